/**
 * The sandbox: a Bybit V5 exchange on loopback (issue 3), one HTTP + websocket server backed by the
 * one simulator (src/sim) and a replay of real candles. `dist/sandbox.js` (src/sandbox.ts) is its
 * command line; tests and `run --replay` use `startSandbox` in-process.
 *
 * Clock: the sandbox's time is the machine clock plus `clockOffsetMs`; REST auth windows, `market/
 * time`, websocket `ts` and order/execution times use it, and the NTP responder (`ntpPort`) answers
 * with it. Market data keeps the candle files' own timestamps. Funding falls due by it too
 * (./fundingSchedule.ts).
 */
// node:http is loaded when a sandbox starts (process.getBuiltinModule), not with the bot's bundle (issue 18).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { startNtpResponder, type NtpResponder } from '../clock/ntpResponder.js';
import { describeCandleFile, inferIntervalMinutes, readCandleFile } from '../domain/candleCsv.js';
import type { Candle } from '../domain/types.js';
import { simInstrument } from '../sim/instruments.js';
import { Prng } from '../sim/prng.js';
import { Replay, type ReplayFeed } from '../sim/replay.js';
import { Simulator } from '../sim/simulator.js';
import type { SimExecution } from '../sim/simTypes.js';
import { type AccountSettings, accountSettings, type AccountSettingsInput } from './accountSettings.js';
import type { ApiKeyConfig } from './auth.js';
import { type FaultCounts, type FaultName, type FaultSettings, NO_FAULTS, noFaultCounts, parseFaultSpec } from './faults.js';
import { FundingSchedule } from './fundingSchedule.js';
import { MarketData, type Listings } from './marketData.js';
import { RestApi } from './restApi.js';
import { PRIVATE_PATH, PUBLIC_PATH, WsHub } from './wsHub.js';

export class SandboxConfigError extends Error {
  override name = 'SandboxConfigError';
}

/** Default credentials of a sandbox started without `--api-key/--api-secret` (no real money behind them). */
export const DEFAULT_API_KEY = 'sandbox-key';
export const DEFAULT_API_SECRET = 'sandbox-secret';

export interface CandleSource {
  readonly symbol: string;
  readonly candles: readonly Candle[];
  /** Default: inferred from the candles, else 1 minute. */
  readonly intervalMs?: number;
}

/** One more account on the same exchange: its own key, balance, orders, positions and private stream (issue 24: a mirror account). */
export interface ExtraAccount extends ApiKeyConfig {
  /** Default: `initialBalance`. */
  readonly initialBalance?: string;
}

export interface SandboxOptions {
  /** Candle files (symbol from the file name) or in-memory series. */
  readonly data: ReadonlyArray<string | CandleSource>;
  /** REST (and websocket unless `wsPort`) port; 0 = ephemeral (default). */
  readonly port?: number;
  /** A separate websocket port; 0 = ephemeral. Default: share `port`. */
  readonly wsPort?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly clockOffsetMs?: number;
  /** Replay speed (1 = real time); 0 (default) = stepped only, through `step`/`advanceCandles`. */
  readonly speed?: number;
  /** Candles per file already closed at the start; default 200. */
  readonly historyCandles?: number;
  /** UDP port of the NTP responder (0 = ephemeral); absent = none. */
  readonly ntpPort?: number;
  /** A `--faults` SPEC or settings. */
  readonly faults?: string | Partial<FaultSettings>;
  /** Default: one key, DEFAULT_API_KEY / DEFAULT_API_SECRET. */
  readonly apiKeys?: readonly ApiKeyConfig[];
  /** Further accounts, each reached with its own key; the market is the same for all. */
  readonly extraAccounts?: readonly ExtraAccount[];
  readonly initialBalance?: string;
  readonly makerFeeRate?: string;
  readonly takerFeeRate?: string;
  readonly slippageBps?: number;
  readonly seed?: number;
  /** Per-UID rate limits and their headers; default true. */
  readonly rateLimits?: boolean;
  /** Per-IP limit per 5 s (HTTP 403 beyond); default 600, 0 disables. */
  readonly ipLimitPer5s?: number;
  /** Base clock before the offset; default Date.now. */
  readonly baseClock?: () => number;
  /** Instruments and tickers listed next to the replayed symbols but not traded (see Listings). */
  readonly listings?: Listings;
  /** Hedge mode, isolated margin, demo, instrument status (./accountSettings.ts); default a one-way cross account. */
  readonly account?: AccountSettingsInput;
}

export interface Sandbox {
  readonly restUrl: string;
  readonly wsPublicUrl: string;
  readonly wsPrivateUrl: string;
  readonly port: number;
  readonly wsPort: number;
  /** The NTP responder's UDP port, or null. */
  readonly ntpPort: number | null;
  readonly sim: Simulator;
  readonly replay: Replay;
  readonly symbols: readonly string[];
  /** The emulated account's settings; change them while running (a symbol leaving Trading). */
  readonly account: AccountSettings;
  /** The simulated account behind `apiKey` (`sim` for the first account's keys and any unknown key). */
  accountSim(apiKey: string): Simulator;
  /** Faults for one extra account's REST requests only (on top of the sandbox's faults as they are now). */
  setAccountFaults(apiKey: string, change: string | Partial<FaultSettings>): void;
  /** Plays `n` intra-candle steps (path points). */
  step(n?: number): number;
  /** Plays until `n` more candles have closed. */
  advanceCandles(n?: number): number;
  /** Plays on timers at `speed` (1 = real time). */
  play(speed?: number): void;
  pause(): void;
  faults(): FaultSettings;
  /** How often each fault struck so far. */
  faultCounts(): Readonly<FaultCounts>;
  setFaults(change: string | Partial<FaultSettings>): void;
  nowMs(): number;
  setClockOffsetMs(ms: number): void;
  /** The funding rate `symbol`'s ticker shows and the next funding time charges (default 0.0001). */
  setFundingRate(symbol: string, rate: string): void;
  confirmedCandles(symbol: string): readonly Candle[];
  fills(): readonly SimExecution[];
  /** REST requests received so far, whatever their answer. */
  restRequests(): number;
  /** Websocket messages sent so far (benchmarks). */
  wsMessagesSent(): number;
  close(): Promise<void>;
}

function loadSource(src: string | CandleSource): ReplayFeed {
  if (typeof src !== 'string') {
    const minutes = inferIntervalMinutes(src.candles);
    return { symbol: src.symbol, candles: src.candles, intervalMs: src.intervalMs ?? (minutes ?? 1) * 60_000 };
  }
  const { symbol, intervalMinutes } = describeCandleFile(src);
  if (!symbol) throw new SandboxConfigError(`cannot tell the symbol from the file name ${src} (expected e.g. bybit-BTCUSDT-1m.csv)`);
  const candles = readCandleFile(src);
  if (candles.length === 0) throw new SandboxConfigError(`${src} holds no candles`);
  const minutes = intervalMinutes ?? inferIntervalMinutes(candles) ?? 1;
  return { symbol, candles, intervalMs: minutes * 60_000 };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  if (opts.data.length === 0) throw new SandboxConfigError('the sandbox needs at least one candle file (--data)');
  const feeds = opts.data.map(loadSource);
  const host = opts.host ?? '127.0.0.1';
  const baseClock = opts.baseClock ?? Date.now;
  let offsetMs = opts.clockOffsetMs ?? 0;
  const nowMs = (): number => baseClock() + offsetMs;

  let faults: FaultSettings = { ...NO_FAULTS };
  const applyFaults = (change: string | Partial<FaultSettings>): Partial<FaultSettings> => (typeof change === 'string' ? parseFaultSpec(change) : change);
  if (opts.faults !== undefined) faults = { ...faults, ...applyFaults(opts.faults) };
  let dice = new Prng(faults.seed);

  const makerFeeRate = opts.makerFeeRate ?? '0.0002';
  const takerFeeRate = opts.takerFeeRate ?? '0.00055';
  const newSim = (initialBalance: string): Simulator => {
    const s = new Simulator({
      marketFill: 'touch',
      clock: nowMs,
      seed: opts.seed ?? 1,
      initialBalance,
      makerFeeRate,
      takerFeeRate,
      slippageBps: opts.slippageBps ?? 0,
      partialFillRatio: faults.partialFillRatio,
      thinBookRatio: faults.thinBookRatio,
    });
    for (const f of feeds) s.addInstrument(simInstrument(f.symbol, f.candles[0]!.open), f.intervalMs);
    return s;
  };
  const sim = newSim(opts.initialBalance ?? '10000');
  const replay = new Replay(sim, feeds, opts.historyCandles !== undefined ? { historyCandles: opts.historyCandles } : {});
  const market = new MarketData(sim, replay, opts.listings);
  const keys = new Map<string, ApiKeyConfig>();
  for (const k of opts.apiKeys ?? [{ apiKey: DEFAULT_API_KEY, apiSecret: DEFAULT_API_SECRET }]) keys.set(k.apiKey, k);
  // Every further account: a simulator of its own, moved by the same replay (the market is one).
  const extras = (opts.extraAccounts ?? []).map((k) => {
    const own = newSim(k.initialBalance ?? opts.initialBalance ?? '10000');
    for (const f of feeds) own.setPrice(f.symbol, sim.lastPrice(f.symbol), sim.lastTs(f.symbol), replay.contextCandle(f.symbol));
    return { key: k, sim: own, faults: null as FaultSettings | null };
  });
  const allKeys = new Map(keys);
  for (const e of extras) allKeys.set(e.key.apiKey, e.key);

  const account = accountSettings(opts.account);
  const counts = noFaultCounts();
  const struck = (fault: FaultName): void => {
    counts[fault]++;
  };
  // Split fills and thin-book market orders happen inside the simulator: counted from its events.
  sim.onEvent((e) => {
    if (e.kind === 'execution' && faults.partialFillRatio !== null && e.execution.leavesQty.gt(0)) struck('partial');
    if (e.kind === 'order' && faults.thinBookRatio !== null && e.order.status === 'PartiallyFilledCanceled' && e.order.orderType === 'market') struck('thin');
  });
  const hub = new WsHub({ sim, market, keys: allKeys, nowMs, faults: () => faults, intervalMs: (s) => replay.intervalMs(s), struck, account, ...(extras.length ? { mainKeys: new Set(keys.keys()) } : {}) });
  const funding = new FundingSchedule(sim, (symbol, now) => market.ticker(symbol, now).fundingRate ?? '0', nowMs());
  replay.onTick((t) => {
    for (const e of extras) {
      if (t.point === 0) e.sim.beginCandle(t.symbol, t.candle);
      e.sim.movePrice(t.symbol, t.price, t.ts, t.point === 0);
    }
    funding.check(nowMs());
    hub.onTick(t);
  });
  sim.onEvent((e) => hub.onSimEvent(e));
  // What every account's REST API shares: the replay, the clock, the fault dice, the limits, the fees.
  const common = { replay, nowMs, dice: () => dice.next(), rateLimits: opts.rateLimits ?? true, ipLimitPer5s: opts.ipLimitPer5s ?? 600, makerFeeRate, takerFeeRate, struck, account };
  const rest = new RestApi({ ...common, sim, market, keys, faults: () => faults, onRaceFill: (o) => hub.pushDuplicateOrder(o) });
  const extraRest = new Map<string, RestApi>();
  for (const e of extras) {
    const pushes = hub.addAccount(e.sim, new Set([e.key.apiKey]));
    e.sim.onEvent((ev) => pushes.onSimEvent(ev));
    const own = new RestApi({
      ...common,
      sim: e.sim,
      market: new MarketData(e.sim, replay, opts.listings),
      keys: new Map([[e.key.apiKey, e.key]]),
      faults: () => e.faults ?? faults,
      onRaceFill: (o) => pushes.pushDuplicateOrder(o),
    });
    extraRest.set(e.key.apiKey, own);
  }
  /** The account a REST request is for, by its key header; public requests go to the first. */
  const restFor = (headers: IncomingMessage['headers']): RestApi => {
    const k = headers['x-bapi-api-key'];
    return (typeof k === 'string' ? extraRest.get(k) : undefined) ?? rest;
  };

  const hung = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let outcome;
      try {
        outcome = restFor(req.headers).handle(req.method ?? 'GET', req.url ?? '/', req.headers, body, req.socket.remoteAddress ?? '');
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`sandbox internal error: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      if (outcome.kind === 'hang') {
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return;
      }
      const { status, headers, body: out } = outcome.response;
      const send = (): void => {
        res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(out) });
        res.end(out);
      };
      if (faults.latencyMs > 0) {
        struck('latency');
        setTimeout(send, faults.latencyMs);
      } else send();
    });
  };
  const track = (server: Server): void => {
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
  };

  const { createServer } = process.getBuiltinModule('node:http');
  const server = createServer(onRequest);
  track(server);
  const separateWs = opts.wsPort !== undefined;
  const wsServer = separateWs ? createServer((_req, res) => res.writeHead(404).end()) : server;
  if (separateWs) track(wsServer);
  wsServer.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) {
      socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      socket.destroy();
    }
  });
  const port = await listen(server, opts.port ?? 0, host);
  const wsPort = separateWs ? await listen(wsServer, opts.wsPort ?? 0, host) : port;

  let ntp: NtpResponder | null = null;
  if (opts.ntpPort !== undefined) ntp = await startNtpResponder({ host, port: opts.ntpPort, offsetMs });

  let dropTimer: NodeJS.Timeout | null = null;
  const armDrop = (): void => {
    if (dropTimer) clearInterval(dropTimer);
    dropTimer = null;
    if (faults.wsDropEveryMs !== null) {
      dropTimer = setInterval(() => hub.dropAll(), faults.wsDropEveryMs);
      dropTimer.unref();
    }
  };
  armDrop();
  const fundingTimer = setInterval(() => funding.check(nowMs()), 1000);
  fundingTimer.unref();
  if ((opts.speed ?? 0) > 0) replay.start(opts.speed);

  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  let closed = false;
  return {
    restUrl: `http://${hostForUrl}:${port}`,
    wsPublicUrl: `ws://${hostForUrl}:${wsPort}${PUBLIC_PATH}`,
    wsPrivateUrl: `ws://${hostForUrl}:${wsPort}${PRIVATE_PATH}`,
    port,
    wsPort,
    ntpPort: ntp ? ntp.port : null,
    sim,
    replay,
    symbols: feeds.map((f) => f.symbol),
    account,
    accountSim: (apiKey) => extras.find((e) => e.key.apiKey === apiKey)?.sim ?? sim,
    setAccountFaults(apiKey, change) {
      const e = extras.find((x) => x.key.apiKey === apiKey);
      if (!e) throw new SandboxConfigError(`no extra account with the key ${apiKey}`);
      e.faults = { ...(e.faults ?? faults), ...applyFaults(change) };
      e.sim.setPartialFillRatio(e.faults.partialFillRatio);
    },
    step: (n = 1) => replay.step(n),
    advanceCandles: (n = 1) => replay.advanceCandles(n),
    play: (speed) => replay.start(speed),
    pause: () => replay.stop(),
    faults: () => faults,
    faultCounts: () => ({ ...counts }),
    setFaults(change) {
      const next = { ...faults, ...applyFaults(change) };
      if (next.seed !== faults.seed) dice = new Prng(next.seed);
      const dropChanged = next.wsDropEveryMs !== faults.wsDropEveryMs;
      faults = next;
      sim.setPartialFillRatio(faults.partialFillRatio);
      sim.setThinBookRatio(faults.thinBookRatio);
      if (dropChanged) armDrop();
    },
    nowMs,
    setClockOffsetMs(ms) {
      offsetMs = ms;
      ntp?.setOffsetMs(ms);
    },
    setFundingRate: (symbol, rate) => market.setFundingRate(symbol, rate),
    confirmedCandles: (s) => replay.confirmedCandles(s),
    fills: () => sim.executions(),
    restRequests: () => [...extraRest.values()].reduce((n, r) => n + r.requests, rest.requests),
    wsMessagesSent: () => hub.sentCount,
    async close() {
      if (closed) return;
      closed = true;
      replay.stop();
      clearInterval(fundingTimer);
      if (dropTimer) clearInterval(dropTimer);
      for (const r of hung) r.destroy();
      await hub.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (separateWs) await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      if (ntp) await ntp.close();
    },
  };
}
