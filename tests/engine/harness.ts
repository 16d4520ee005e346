/**
 * Drives the real Engine over real candles: SimExchange (the in-process simulator) as the exchange,
 * the real StateStore and Journal in a temporary directory, a recording alert sink.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCandleFile } from '../../src/domain/candleCsv.js';
import type { Candle, Intent } from '../../src/domain/types.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineAlert, EngineSettings, EngineSymbolSettings } from '../../src/engine/ports.js';
import { simInstrument } from '../../src/sim/instruments.js';
import { SimExchange } from '../../src/sim/simExchange.js';
import { Simulator } from '../../src/sim/simulator.js';
import { Journal, readJournal } from '../../src/state/journal.js';
import { StateStore } from '../../src/state/stateStore.js';
import { Maker } from '../../src/strategies/maker.js';
import { Scalper } from '../../src/strategies/scalper.js';
import type { BookTop, PositionView, Strategy } from '../../src/strategies/strategy.js';
import { silentLogger } from '../../src/util/logger.js';

export const BTC_1M: readonly Candle[] = readCandleFile(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url).pathname);

/** Enters long when flat and leaves when in a position, so every candle yields one order; stop and target as fractions of the close. */
export class EnterThenExit implements Strategy {
  readonly name = 'scalper' as const;
  readonly symbol = 'BTCUSDT';
  readonly warmupCandles = 1;
  constructor(private readonly stopFraction: number, private readonly targetFraction: number) {}
  onCandle(c: Candle, position: PositionView): Intent {
    if (position.side === null) return { kind: 'enter', symbol: this.symbol, side: 'long', decidedAtMs: c.ts + 60_000, refPrice: c.close, stopLoss: c.close * this.stopFraction, targets: [c.close * this.targetFraction], reason: 'test entry' };
    return { kind: 'exit', symbol: this.symbol, decidedAtMs: c.ts + 60_000, reason: 'test exit' };
  }
  onBook(_top: BookTop): Intent | null {
    return null;
  }
}

export const SCALPER_SETTINGS: EngineSymbolSettings = {
  symbol: 'BTCUSDT',
  strategy: 'scalper',
  enabled: true,
  intervalMinutes: 1,
  leverage: 5,
  sizing: { mode: 'risk', riskPerTradePct: 1, maxNotionalUsdt: null },
  exits: {
    ladderFractions: [0.6, 0.15, 0.15, 0.1],
    breakeven: { enabled: true, afterTargets: 1, feeBufferPct: 0.11 },
    trailing: { enabled: false, activationR: 2, distancePct: 0.5 },
    timeExitCandles: 0,
    entryTimeoutSec: 30,
  },
};

export function engineSettings(symbols: readonly EngineSymbolSettings[], over: Partial<EngineSettings> = {}): EngineSettings {
  return {
    symbols,
    risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 50, cooldownMinutes: 1 }, maxOpenPositions: 2, dayTimeZone: 'UTC' },
    takerFeePct: 0.055,
    orderIdPrefix: 'ps',
    fallbackStopPct: 2,
    requoteMinIntervalMs: 0,
    ...over,
  };
}

export interface Harness {
  readonly engine: Engine;
  readonly ex: SimExchange;
  readonly sim: Simulator;
  readonly store: StateStore;
  readonly journal: Journal;
  readonly alerts: EngineAlert[];
  readonly dir: string;
  /** Feeds candles one by one, waiting for the engine after each; `check` runs after every candle. */
  play(candles: readonly Candle[], check?: (c: Candle) => void): Promise<void>;
  journalRecords(): Promise<Awaited<ReturnType<typeof readJournal>>['records']>;
  close(): Promise<void>;
}

export async function startHarness(opts: {
  readonly candles: readonly Candle[];
  /** Candles before this index are history (warm-up); trading starts here. */
  readonly startIndex: number;
  readonly symbol?: EngineSymbolSettings;
  readonly settings?: Partial<EngineSettings>;
  readonly strategy?: Strategy;
  readonly balance?: string;
}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'pocket-engine-'));
  const symbol = opts.symbol ?? SCALPER_SETTINGS;
  const history = opts.candles.slice(0, opts.startIndex);
  const sim = new Simulator({ instruments: [simInstrument(symbol.symbol)], initialBalance: opts.balance ?? '1000', defaultLeverage: String(symbol.leverage) });
  const last = history.at(-1)!;
  sim.setPrice(symbol.symbol, last.close, last.ts + 60_000);
  const ex = new SimExchange(sim, { history: async (_s, _i, sinceMs, limit) => history.filter((c) => c.ts >= sinceMs).slice(-limit) });
  let clock = last.ts + 60_000;
  const store = await StateStore.open(dir, { nowMs: () => clock });
  const journal = new Journal(dir, { durability: 'write' });
  const alerts: EngineAlert[] = [];
  const strategy =
    opts.strategy ??
    (symbol.strategy === 'scalper' ? new Scalper({ symbol: symbol.symbol, intervalMs: 60_000 }) : new Maker({ symbol: symbol.symbol }));
  const engine = new Engine(
    { port: ex, store, journal, alerts: { send: (a) => alerts.push(a) }, logger: silentLogger, now: () => clock, strategies: new Map([[symbol.symbol, strategy]]) },
    engineSettings([symbol], opts.settings),
  );
  await engine.start();
  return {
    engine,
    ex,
    sim,
    store,
    journal,
    alerts,
    dir,
    async play(candles, check) {
      for (const c of candles) {
        clock = c.ts + 60_000;
        ex.feedCandle(symbol.symbol, 1, c);
        await engine.idle();
        check?.(c);
      }
    },
    async journalRecords() {
      await engine.idle();
      return (await readJournal(dir)).records;
    },
    async close() {
      await engine.stop();
      await store.close();
      await journal.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
