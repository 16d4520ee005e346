/**
 * The engine against the sandbox through the real Bybit adapter (ccxt REST, ws streams, signing
 * with the measured clock), stepped candle by candle so a story is deterministic: after each
 * step the harness waits until the engine has handled the candle and every push it caused.
 */
import type { Candle } from '../../src/domain/types.js';
import { ClockService } from '../../src/clock/clockService.js';
import { Engine } from '../../src/engine/engine.js';
import type { ExchangeEvents, ExchangePort, MarketSubscription } from '../../src/engine/exchangePort.js';
import { MemoryJournal, MemoryStore } from '../../src/engine/memoryPorts.js';
import type { EngineAlert, EngineSettings, EngineSymbolSettings } from '../../src/engine/ports.js';
import { createBybitExchange, type BybitExchange } from '../../src/exchange/bybit/bybitExchange.js';
import { fetchBybitServerTime } from '../../src/exchange/bybit/serverTime.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { Scalper } from '../../src/strategies/scalper.js';
import type { Strategy } from '../../src/strategies/strategy.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';
import { engineSettings, SCALPER_SETTINGS } from './harness.js';

export interface SandboxStory {
  readonly sandbox: Sandbox;
  readonly engine: Engine;
  /** The Bybit adapter the engine talks to (e.g. to reload instruments as `run`'s schedule does). */
  readonly exchange: BybitExchange;
  readonly journal: MemoryJournal;
  readonly store: MemoryStore;
  readonly alerts: EngineAlert[];
  /**
   * Plays `n` candles, `perSettle` at a time (default 1): after each group the engine has handled
   * everything the group caused. Larger groups are a faster market, not a different one.
   * `check` runs after each group.
   */
  step(n: number, perSettle?: number, check?: () => void): Promise<void>;
  /** Waits until the engine has nothing queued and no push has arrived for a moment. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Forwards everything, counting the events, so the harness knows when the engine has seen a step. */
class ObservedPort {
  events = 0;
  readonly port: ExchangePort;

  constructor(inner: BybitExchange) {
    this.port = new Proxy(inner as unknown as ExchangePort, {
      get: (target, key, receiver) => {
        if (key !== 'subscribe') {
          const value: unknown = Reflect.get(target, key, receiver);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        }
        return (markets: readonly MarketSubscription[], events: ExchangeEvents) => {
          const counted: ExchangeEvents = {};
          for (const [name, fn] of Object.entries(events) as [keyof ExchangeEvents, (...a: unknown[]) => void][]) {
            (counted as Record<string, (...a: unknown[]) => void>)[name] = (...args: unknown[]) => {
              this.events++;
              fn(...args);
            };
          }
          return target.subscribe(markets, counted);
        };
      },
    });
  }
}

export async function startSandboxStory(opts: {
  readonly candles: readonly Candle[];
  /** Candles already closed when the story starts (warm-up history). */
  readonly history: number;
  readonly symbol?: EngineSymbolSettings;
  readonly settings?: Partial<EngineSettings>;
  readonly strategy?: Strategy;
  readonly faults?: string;
  /** The account's fee rates as the sandbox answers them (GET /v5/account/fee-rate) and charges them. */
  readonly fees?: { readonly makerFeeRate: string; readonly takerFeeRate: string };
  /** The engine's logger (silent by default). */
  readonly logger?: Logger;
  /** The sandbox's clock offset (its NTP responder answers with it too, so the bot trusts it). */
  readonly clockOffsetMs?: number;
  /** Runs after the sandbox is up and before the clock is measured and the engine starts (e.g. what happened while the bot was down). */
  readonly beforeStart?: (sandbox: Sandbox, store: MemoryStore) => void | Promise<void>;
}): Promise<SandboxStory> {
  const symbol = opts.symbol ?? SCALPER_SETTINGS;
  const sandbox = await startSandbox({
    data: [{ symbol: symbol.symbol, candles: opts.candles }],
    historyCandles: opts.history,
    ntpPort: 0,
    speed: 0,
    initialBalance: '1000',
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.fees ?? {}),
    ...(opts.clockOffsetMs !== undefined ? { clockOffsetMs: opts.clockOffsetMs } : {}),
  });
  const store = new MemoryStore();
  await opts.beforeStart?.(sandbox, store);
  const clock = new ClockService({ ntpServers: [`127.0.0.1:${sandbox.ntpPort}`], samplesPerServer: 2, exchangeUrl: sandbox.restUrl }, { fetchExchangeTime: fetchBybitServerTime });
  await clock.measure();
  const bybit = createBybitExchange({
    network: 'testnet',
    restUrl: sandbox.restUrl,
    credentials: { apiKey: DEFAULT_API_KEY, apiSecret: DEFAULT_API_SECRET },
    clock,
    logger: silentLogger,
    instrumentRefreshMs: 0,
  });
  const observed = new ObservedPort(bybit);
  const journal = new MemoryJournal();
  const alerts: EngineAlert[] = [];
  const strategy = opts.strategy ?? new Scalper({ symbol: symbol.symbol, intervalMs: symbol.intervalMinutes * 60_000 });
  const engine = new Engine(
    { port: observed.port, store, journal, alerts: { send: (a) => alerts.push(a) }, logger: opts.logger ?? silentLogger, now: () => clock.now(), strategies: new Map([[symbol.symbol, strategy]]) },
    engineSettings([symbol], opts.settings),
  );
  await engine.start();

  const settle = async (): Promise<void> => {
    // Quiet for 40 ms twice in a row, with the engine idle: every push of the step has been handled.
    let quiet = 0;
    while (quiet < 2) {
      const before = observed.events;
      await engine.idle();
      await new Promise((r) => setTimeout(r, 40));
      await engine.idle();
      quiet = observed.events === before ? quiet + 1 : 0;
    }
  };
  await settle();
  return {
    sandbox,
    engine,
    exchange: bybit,
    journal,
    store,
    alerts,
    settle,
    async step(n, perSettle = 1, check) {
      for (let i = 0; i < n; i += perSettle) {
        sandbox.advanceCandles(Math.min(perSettle, n - i));
        await settle();
        check?.();
      }
    },
    async close() {
      await engine.stop();
      await bybit.close();
      clock.stop();
      await sandbox.close();
    },
  };
}
