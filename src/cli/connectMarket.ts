/**
 * The exchange side of a running bot, per mode: live (Bybit with our key), paper (the simulated
 * account moved by Bybit's live public data) and `--replay` (the whole live stack against the
 * sandbox, in this process, on loopback). Each comes with the clock it signs with, cross-checked
 * against the server time of the exchange it talks to.
 */
import { Simulator } from '../sim/simulator.js';
import { SimExchange } from '../sim/simExchange.js';
import { ClockService } from '../clock/clockService.js';
import type { Config } from '../config/schema.js';
import { dec } from '../domain/money.js';
import type { Candle } from '../domain/types.js';
import type { ExchangePort } from '../engine/exchangePort.js';
import type { EngineAlert } from '../engine/ports.js';
import { bybitNetworkForMode, createBybitExchange, type BybitExchange } from '../exchange/bybit/bybitExchange.js';
import type { RestPause } from '../exchange/bybit/restPipeline.js';
import { fetchBybitServerTime } from '../exchange/bybit/serverTime.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox, type Sandbox } from '../sandbox/startSandbox.js';
import type { Logger } from '../util/logger.js';
import { timeOfDay } from '../util/timeOfDay.js';
import { clockOptionsFrom } from './clock.js';
import { exchangeBaseUrl } from './doctorChecks.js';
import type { KeyCheckInput } from './doctorKey.js';
import type { Patience } from './patience.js';
import { STEP } from './patientPort.js';
import type { RunOptions } from './runOptions.js';

export interface MarketConnection {
  readonly port: ExchangePort;
  readonly clock: ClockService;
  /** The corrected clock; the engine aligns its decisions with the market's time from there. */
  readonly now: () => number;
  /** Signing needs a trusted clock (live and replay); paper mode signs nothing. */
  readonly needsTrustedClock: boolean;
  /** Live modes: the key whose permissions are checked before trading. */
  readonly keyCheck?: Omit<KeyCheckInput, 'timestampMs'>;
  /** A replay's market time (the candle in play), where it differs from the clock: the journal files a run's records by it. */
  readonly marketNowMs?: () => number;
  close(): Promise<void>;
}

/** The one notification of a REST pause after Bybit's HTTP 403 (the adapter logs it too). */
function restPauseAlert(alert: ((a: EngineAlert) => void) | undefined): { onRestPause?: (p: RestPause) => void } {
  if (alert === undefined) return {};
  return {
    onRestPause: (p) =>
      alert({ level: 'warning', kind: 'error', title: 'Bybit paused us', body: `${p.reason}. No request to Bybit until ${timeOfDay(p.untilMs)}: exits and stops wait for it, new entries are skipped. It resumes by itself.`, dedupeKey: 'rest-403-pause' }),
  };
}

/**
 * `patience` waits out transient failures of the reads made here (paper mode's instruments); `alert`
 * tells the owner of a REST pause (HTTP 403).
 */
export async function connectMarket(config: Config, opts: RunOptions, mode: string, logger: Logger, patience?: Patience, alert?: (a: EngineAlert) => void): Promise<MarketConnection> {
  const symbols = config.symbols.filter((s) => s.enabled).map((s) => s.symbol);
  if (opts.replay) {
    // The whole live stack against the sandbox, in this process, on loopback.
    // The paper account's costs, as the backtest and --paper use them (tests/cli/parity.test.ts).
    const files = opts.replay.split(',');
    const sandbox: Sandbox = await startSandbox({ data: files, ntpPort: 0, speed: opts.speed, ...paperCosts(config) });
    const clock = new ClockService({ ...clockOptionsFrom(config), ntpServers: [`127.0.0.1:${sandbox.ntpPort}`], exchangeUrl: sandbox.restUrl }, { fetchExchangeTime: fetchBybitServerTime });
    const port = createBybitExchange({
      network: 'testnet',
      restUrl: sandbox.restUrl,
      credentials: { apiKey: DEFAULT_API_KEY, apiSecret: DEFAULT_API_SECRET },
      clock,
      recvWindowMs: config.exchange.recvWindowMs,
      requestTimeoutMs: config.exchange.requestTimeoutMs,
      logger: logger.child('exchange'),
      name: 'bybit-sandbox',
      ...restPauseAlert(alert),
    });
    const missing = [...(opts.replaySkipped ?? []), ...symbols.filter((s) => !sandbox.symbols.includes(s))];
    if (missing.length) {
      const them = missing.length > 1 ? 'them' : 'it';
      logger.warn(`the replay has no data for ${missing.join(', ')}: trading ${symbols.filter((s) => sandbox.symbols.includes(s)).join(', ') || 'nothing'} only (to replay ${them} too, add the candle files after a comma: --replay a.csv.gz,b.csv.gz)`);
    }
    return {
      port,
      clock,
      // The engine moves decisions onto the replay's market time itself (src/engine/marketClock.ts).
      now: () => clock.now(),
      needsTrustedClock: true,
      marketNowMs: () => sandbox.replay.contextCandle(sandbox.symbols[0]!).ts,
      close: async () => {
        await port.close();
        await sandbox.close();
      },
    };
  }
  const network = bybitNetworkForMode(config.mode);
  // Bybit's server time is the second source in every mode (issue 20, item 5): NTP alone once signed
  // 3 s ahead when the NTP server lied. The drift gate refuses while the two disagree.
  const clock = new ClockService({ ...clockOptionsFrom(config), exchangeUrl: exchangeBaseUrl(config) }, { fetchExchangeTime: fetchBybitServerTime });
  const bybit: BybitExchange = createBybitExchange({
    network,
    restUrl: config.exchange.restUrl,
    wsPublicUrl: config.exchange.wsPublicUrl,
    wsPrivateUrl: config.exchange.wsPrivateUrl,
    credentials: mode === 'paper' || !opts.secrets.apiKey || !opts.secrets.apiSecret ? null : { apiKey: opts.secrets.apiKey, apiSecret: opts.secrets.apiSecret },
    clock,
    recvWindowMs: config.exchange.recvWindowMs,
    requestTimeoutMs: config.exchange.requestTimeoutMs,
    logger: logger.child('exchange'),
    ...restPauseAlert(alert),
  });
  if (mode !== 'paper') {
    const keyCheck =
      opts.secrets.apiKey && opts.secrets.apiSecret
        ? { baseUrl: exchangeBaseUrl(config), mode: config.mode, apiKey: opts.secrets.apiKey, apiSecret: opts.secrets.apiSecret, recvWindowMs: config.exchange.recvWindowMs, timeoutMs: config.exchange.requestTimeoutMs }
        : undefined;
    return { port: bybit, clock, now: () => clock.now(), needsTrustedClock: true, ...(keyCheck ? { keyCheck } : {}), close: () => bybit.close() };
  }

  // Paper: the simulated account, moved by the exchange's live public data.
  const instruments = await (patience ? patience.run(STEP.instruments, () => bybit.loadInstruments(symbols)) : bybit.loadInstruments(symbols));
  const sim = new Simulator({
    instruments: [...instruments.values()],
    ...paperCosts(config),
    marketFill: 'touch',
  });
  const paper = new SimExchange(sim, { name: 'paper', history: (s, i, since, limit) => bybit.fetchCandles(s, i, since, limit), bookTop: (s) => bybit.fetchBookTop(s) });
  const markets = config.symbols.filter((s) => s.enabled).map((s) => ({ symbol: s.symbol, intervalMinutes: s.intervalMinutes, book: s.strategy === 'maker' }));
  const seeded = new Set<string>();
  await bybit.subscribe(markets, {
    onCandle: (symbol: string, interval: number, candle: Candle, confirmed: boolean) => {
      if (!seeded.has(symbol)) {
        sim.setPrice(symbol, candle.close, candle.ts);
        seeded.add(symbol);
      }
      if (confirmed) paper.feedCandle(symbol, interval, candle);
    },
    onBookTop: (top) => paper.feedBookTop(top),
    // The adapter logs each stream's health itself.
    onStreamHealth: (stream, health, detail) => logger.debug(`paper market data: ${stream} stream ${health}`, { detail }),
  });
  return {
    port: paper,
    clock,
    now: () => clock.now(),
    needsTrustedClock: false,
    close: async () => {
      await paper.close();
      await bybit.close();
    },
  };
}

/** The simulated account of paper mode and --replay: starting balance, fees and slippage from config.paper. */
export function paperCosts(config: Config): { initialBalance: string; makerFeeRate: string; takerFeeRate: string; slippageBps: number } {
  return {
    initialBalance: String(config.paper.startBalanceUsdt),
    makerFeeRate: dec(config.paper.makerFeePct).div(100).toFixed(),
    takerFeeRate: dec(config.paper.takerFeePct).div(100).toFixed(),
    slippageBps: config.paper.slippagePct * 100,
  };
}
