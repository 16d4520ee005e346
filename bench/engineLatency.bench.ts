/**
 * Confirmed kline → order request (issue 7: p99 under 2 ms on loopback), end to end through the
 * real stack: the sandbox pushes a confirmed candle over ws, the Bybit adapter hands it to the
 * engine, the strategy decides, the engine sizes and sends the order over ccxt REST, and the
 * sandbox receives it. Both ends are timed in this process, so the figure includes both loopback
 * hops and the sandbox's own request handling: an upper bound. The engine's own share (kline event
 * to placeOrder) is timed in process as well; the adapter's frame-to-event time is in
 * bench/streams.bench.ts. The bot's own frame-to-order time is timed in process too: from the ws
 * library handing over the confirmed kline frame to the order request's body being written to the
 * socket (ClientRequest#end returning; ccxt sends through src/util/httpFetch.ts on node:http), so it is the
 * whole bot (adapter, engine, sizing, signing, ccxt) without either loopback hop.
 * The strategy enters when flat and exits when in a
 * position, so every candle yields exactly one order (entries and exits reported apart).
 *
 * It runs twice: first with the engine's in-memory store (the figures the goal has been measured
 * with since issue 7), then with the bot's own state store and journal in a temporary directory, as
 * `run` uses them: an entry's plan is written and fsynced before its order leaves (the guarantee
 * against a duplicate order after a crash), so that second figure is what a live entry costs.
 */
import { ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { ClockService } from '../src/clock/clockService.js';
import { readCandleFile } from '../src/domain/candleCsv.js';
import type { Candle, Intent } from '../src/domain/types.js';
import { Engine } from '../src/engine/engine.js';
import type { ExchangeEvents, ExchangePort, OrderRequest } from '../src/engine/exchangePort.js';
import { MemoryJournal, MemoryStore } from '../src/engine/memoryPorts.js';
import { createBybitExchange } from '../src/exchange/bybit/bybitExchange.js';
import { fetchBybitServerTime } from '../src/exchange/bybit/serverTime.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox } from '../src/sandbox/startSandbox.js';
import type { BookTop, PositionView, Strategy } from '../src/strategies/strategy.js';
import { silentLogger } from '../src/util/logger.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../src/state/journal.js';
import { StateStore } from '../src/state/stateStore.js';
import type { EngineJournal, EngineStore } from '../src/engine/ports.js';
import { percentile, projectRoot, report } from './harness.js';
import { applyV8FlagRule, runTierFlags } from '../src/util/commandV8Flags.js';

// The V8 flags `node dist/bot.js run` sets for itself (src/bot.ts), so the bot's code here is
// compiled as in the trading process.
applyV8FlagRule(runTierFlags);

const SAMPLES = 160;
/** A 1-minute bot sends a few orders a minute; spacing the candles keeps the adapter's pacing of
 * Bybit's 10 orders/s limit (which is correct behaviour) out of a latency measurement. */
const SPACING_MS = 300;

class EnterExit implements Strategy {
  readonly name = 'scalper' as const;
  readonly symbol = 'BTCUSDT';
  readonly warmupCandles = 1;
  onCandle(c: Candle, position: PositionView, nowMs: number): Intent {
    const close = c.close;
    if (position.side === null) {
      return { kind: 'enter', symbol: this.symbol, side: 'long', decidedAtMs: c.ts + 60_000, refPrice: close, stopLoss: close * 0.99, targets: [close * 1.02], reason: `bench ${nowMs}` };
    }
    return { kind: 'exit', symbol: this.symbol, decidedAtMs: c.ts + 60_000, reason: 'bench' };
  }
  onBook(_top: BookTop): Intent | null {
    return null;
  }
}

const candles = readCandleFile(join(projectRoot(), 'data', 'bybit-BTCUSDT-1m.csv.gz')).slice(0, SAMPLES + 300);
const sandbox = await startSandbox({ data: [{ symbol: 'BTCUSDT', candles }], historyCandles: 50, ntpPort: 0, speed: 0, initialBalance: '100000', rateLimits: false, ipLimitPer5s: 0 });
const clock = new ClockService({ ntpServers: [`127.0.0.1:${sandbox.ntpPort}`], samplesPerServer: 2 });
await clock.measure();
const port = createBybitExchange({ network: 'testnet', restUrl: sandbox.restUrl, credentials: { apiKey: DEFAULT_API_KEY, apiSecret: DEFAULT_API_SECRET }, clock, logger: silentLogger, instrumentRefreshMs: 0 });
void fetchBybitServerTime;
// The engine's own share: from the adapter handing it a confirmed kline to its placeOrder call.
let klineEventAt = 0;
let awaitingOrder = false;
const engineShare: number[] = [];
const observed = new Proxy(port as unknown as ExchangePort, {
  get(target, key) {
    if (key === 'subscribe') {
      return (markets: Parameters<ExchangePort['subscribe']>[0], events: ExchangeEvents) =>
        target.subscribe(markets, {
          ...events,
          onCandle: (symbol, interval, candle, confirmed) => {
            if (confirmed) {
              klineEventAt = performance.now();
              awaitingOrder = true;
            }
            events.onCandle?.(symbol, interval, candle, confirmed);
          },
        });
    }
    if (key === 'placeOrder') {
      return (req: OrderRequest) => {
        if (awaitingOrder) {
          engineShare.push(performance.now() - klineEventAt);
          awaitingOrder = false;
        }
        return target.placeOrder(req);
      };
    }
    const value: unknown = Reflect.get(target, key);
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  },
});
// The bot's frame-to-order time: the ws library handing over a confirmed kline frame → the order
// request fully written. Every ws 'message' goes through WebSocket#emit, so one wrapper sees them all.
let frameAt = 0;
let awaitingRequest = false;
const frameToOrder: number[] = [];
const emit = WebSocket.prototype.emit;
WebSocket.prototype.emit = function (this: WebSocket, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'message' && Buffer.isBuffer(args[0]) && args[0].includes('"confirm":true')) {
    frameAt = performance.now();
    awaitingRequest = true;
  }
  return emit.call(this, event, ...args);
};
const end = ClientRequest.prototype.end;
ClientRequest.prototype.end = function (this: ClientRequest, ...args: Parameters<ClientRequest['end']>) {
  const result = end.apply(this, args);
  if (awaitingRequest && this.path.startsWith('/v5/order/create')) {
    frameToOrder.push(performance.now() - frameAt);
    awaitingRequest = false;
  }
  return result;
} as ClientRequest['end'];

interface Run {
  readonly entry: number[];
  readonly exit: number[];
  readonly engineShare: number[];
  readonly frameToOrder: number[];
}

/** One pass of SAMPLES + 10 candles against the sandbox with the given store and journal (the first 10 dropped). */
async function measure(store: EngineStore, journal: EngineJournal): Promise<Run> {
  engineShare.length = 0;
  frameToOrder.length = 0;
  const engine = new Engine(
    {
      port: observed,
      store,
      journal,
      alerts: { send: () => {} },
      logger: silentLogger,
      now: () => clock.now(),
      strategies: new Map([['BTCUSDT', new EnterExit()]]),
    },
    {
      symbols: [
        {
          symbol: 'BTCUSDT',
          strategy: 'scalper',
          enabled: true,
          intervalMinutes: 1,
          leverage: 5,
          sizing: { mode: 'notional', notionalUsdt: 200 },
          exits: { ladderFractions: [1], breakeven: { enabled: false, afterTargets: 1, feeBufferPct: 0.11 }, trailing: { enabled: false, activationR: 2, distancePct: 0.5 }, timeExitCandles: 0, entryTimeoutSec: 30 },
        },
      ],
      risk: { maxDailyLossPct: 100, maxDrawdownPct: 100, lossStreak: { losses: 1000, cooldownMinutes: 1 }, maxOpenPositions: 1, dayTimeZone: 'UTC' },
      takerFeePct: 0.055,
      orderIdPrefix: 'ps',
      fallbackStopPct: 2,
      requoteMinIntervalMs: 0,
    },
  );
  await engine.start();
  const entry: number[] = [];
  const exit: number[] = [];
  for (let i = 0; i < SAMPLES + 10; i++) {
    arrivedKind = null;
    sandbox.advanceCandles(1); // plays the candle's path and ends by handing the confirmed kline to the socket
    const sentAt = performance.now();
    const got = await waitForArrival(2000);
    if (got && i >= 10) (arrivedKind === 'entry' ? entry : exit).push(arrivedAt - sentAt);
    await engine.idle();
    await new Promise((r) => setTimeout(r, SPACING_MS));
  }
  await engine.stop();
  // The first 10 candles of the pass are left out (the entries above likewise).
  const sorted = (xs: readonly number[]): number[] => xs.slice(10).sort((a, b) => a - b);
  return { entry: entry.sort((a, b) => a - b), exit: exit.sort((a, b) => a - b), engineShare: sorted(engineShare), frameToOrder: sorted(frameToOrder) };
}

// The sandbox takes the order: note when, per kind (entry or exit).
let arrivedAt = 0;
let arrivedKind: 'entry' | 'exit' | null = null;
sandbox.sim.onEvent((e) => {
  if (e.kind !== 'order' || arrivedKind !== null) return;
  if (e.order.orderLinkId.includes('-EL-')) arrivedKind = 'entry';
  else if (e.order.orderLinkId.includes('-XS-')) arrivedKind = 'exit';
  else return;
  arrivedAt = performance.now();
  onArrival?.();
});

// Waits for the sandbox's event, asleep: a loop polling with setImmediate would keep the main
// thread busy, as the bot's never is, and compete for a core with libuv's pool threads (the durable
// write's fs calls run there) and with the kernel.
let onArrival: (() => void) | null = null;
function waitForArrival(ms: number): Promise<boolean> {
  if (arrivedKind !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      onArrival = null;
      resolve(false);
    }, ms);
    onArrival = () => {
      clearTimeout(timer);
      onArrival = null;
      resolve(true);
    };
  });
}

const memory = await measure(new MemoryStore(), new MemoryJournal());
// The bot's own state: state.json written and fsynced through StateStore, the journal appended and fsynced.
const stateDir = mkdtempSync(join(tmpdir(), 'pocket-latency-'));
const stateStore = await StateStore.open(stateDir);
const stateJournal = new Journal(stateDir);
const durable = await measure(stateStore, { append: (r) => stateJournal.append(r), readFills: async () => [] });
await stateStore.close();
await stateJournal.close();
rmSync(stateDir, { recursive: true, force: true });
await port.close();
clock.stop();
await sandbox.close();

const p99Engine = percentile(memory.engineShare, 99);
const p99Frame = percentile(memory.frameToOrder, 99);
report('engineLatency', [
  { name: 'kline event → placeOrder (engine, in process), p50', value: percentile(memory.engineShare, 50), unit: 'ms' },
  { name: 'kline event → placeOrder (engine, in process), p99', value: p99Engine, unit: 'ms', goal: '< 2 ms', ok: p99Engine < 2 },
  { name: 'ws frame → order request written (bot), p50', value: percentile(memory.frameToOrder, 50), unit: 'ms' },
  { name: 'ws frame → order request written (bot), p99', value: p99Frame, unit: 'ms', goal: '<= 2 ms', ok: p99Frame <= 2 },
  { name: 'ws frame → order request written (bot), max', value: memory.frameToOrder.at(-1) ?? NaN, unit: 'ms' },
  { name: 'kline → entry order at the exchange, p50', value: percentile(memory.entry, 50), unit: 'ms' },
  { name: 'kline → entry order at the exchange, p99', value: percentile(memory.entry, 99), unit: 'ms' },
  { name: 'kline → exit order at the exchange, p50', value: percentile(memory.exit, 50), unit: 'ms' },
  { name: 'kline → exit order at the exchange, p99', value: percentile(memory.exit, 99), unit: 'ms' },
  { name: 'samples (entries + exits)', value: memory.entry.length + memory.exit.length, unit: 'orders' },
  { name: 'with the bot\'s state store: ws frame → order request written, p50', value: percentile(durable.frameToOrder, 50), unit: 'ms' },
  { name: 'with the bot\'s state store: ws frame → order request written, p99', value: percentile(durable.frameToOrder, 99), unit: 'ms' },
  { name: 'with the bot\'s state store: kline → entry order at the exchange, p50', value: percentile(durable.entry, 50), unit: 'ms' },
  { name: 'with the bot\'s state store: kline → entry order at the exchange, p99', value: percentile(durable.entry, 99), unit: 'ms' },
  { name: 'with the bot\'s state store: kline → exit order at the exchange, p50', value: percentile(durable.exit, 50), unit: 'ms' },
  { name: 'with the bot\'s state store: kline → exit order at the exchange, p99', value: percentile(durable.exit, 99), unit: 'ms' },
]);
