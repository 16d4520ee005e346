/**
 * The engine's parts over real neighbours, without the Engine: the in-process simulator as the
 * exchange (SimExchange, BTCUSDT at 60 000), the in-memory store and journal, a settable clock, and
 * recorded alerts and log lines. Each part's test builds the parts it needs from this kit.
 */
import { emptySymbolState } from '../../src/domain/persistedState.js';
import type { Candle } from '../../src/domain/types.js';
import type { EngineContext } from '../../src/engine/engineContext.js';
import { ownerAlert } from '../../src/engine/engineContext.js';
import { MemoryJournal, MemoryStore } from '../../src/engine/memoryPorts.js';
import { OrderTracker } from '../../src/engine/orderTracker.js';
import type { EngineAlert, EngineSettings, EngineSymbolSettings } from '../../src/engine/ports.js';
import { newSymbolRuntime, type SymbolRuntime } from '../../src/engine/symbolRuntime.js';
import { simInstrument } from '../../src/sim/instruments.js';
import { SimExchange } from '../../src/sim/simExchange.js';
import { Simulator } from '../../src/sim/simulator.js';
import type { Intent } from '../../src/domain/types.js';
import type { BookTop, PositionView, Strategy } from '../../src/strategies/strategy.js';
import type { Logger, LogFields } from '../../src/util/logger.js';
import { engineSettings, SCALPER_SETTINGS } from './harness.js';

export const T0 = Date.UTC(2025, 5, 23, 12, 0, 0);
export const PRICE = 60_000;

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields | undefined;
}

export interface PartsKit {
  readonly sim: Simulator;
  readonly port: SimExchange;
  readonly store: MemoryStore;
  readonly journal: MemoryJournal;
  readonly tracker: OrderTracker;
  readonly alerts: EngineAlert[];
  readonly logs: LogLine[];
  readonly logger: Logger;
  readonly ctx: EngineContext;
  /** Clock time; decision time is the same in the kit. */
  clock: number;
  settings: EngineSettings;
  stopping: boolean;
}

export function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: LogLine['level']) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, fields });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

/** `restartOf`: a new process over the same exchange, store and journal, with nothing in memory. */
export function partsKit(opts: { readonly settings?: Partial<EngineSettings>; readonly symbol?: EngineSymbolSettings; readonly balance?: string; readonly restartOf?: PartsKit } = {}): PartsKit {
  const symbol = opts.symbol ?? SCALPER_SETTINGS;
  const before = opts.restartOf;
  const sim = before?.sim ?? new Simulator({ instruments: [simInstrument(symbol.symbol)], initialBalance: opts.balance ?? '1000', defaultLeverage: '5', marketFill: 'touch' });
  if (!before) sim.setPrice(symbol.symbol, PRICE, T0);
  const store = before?.store ?? new MemoryStore();
  store.update((d) => {
    d.symbols[symbol.symbol] ??= emptySymbolState();
  });
  const alerts: EngineAlert[] = [];
  const logs: LogLine[] = [];
  const logger = recordingLogger(logs);
  const tracker = new OrderTracker();
  const port = before?.port ?? new SimExchange(sim);
  const kit: PartsKit = {
    sim,
    port,
    store,
    journal: before?.journal ?? new MemoryJournal(),
    tracker,
    alerts,
    logs,
    logger,
    clock: before?.clock ?? T0,
    settings: engineSettings([symbol], opts.settings),
    stopping: false,
    ctx: {
      port,
      store,
      tracker,
      logger,
      clockMs: () => kit.clock,
      now: () => kit.clock,
      settings: () => kit.settings,
      stopping: () => kit.stopping,
      alert: ownerAlert({ send: (a) => alerts.push(a) }, logger),
    },
  };
  return kit;
}

/** A strategy that says what the test tells it to, once per call. */
export class ScriptedStrategy implements Strategy {
  readonly name = 'scalper' as const;
  readonly symbol: string;
  readonly warmupCandles = 0;
  next: Intent | null = null;
  readonly seen: Candle[] = [];

  constructor(symbol = 'BTCUSDT') {
    this.symbol = symbol;
  }

  onCandle(candle: Candle, _position: PositionView, _nowMs: number): Intent | null {
    this.seen.push(candle);
    const out = this.next;
    this.next = null;
    return out;
  }

  onBook(_book: BookTop, _position: PositionView, _nowMs: number): Intent | null {
    const out = this.next;
    this.next = null;
    return out;
  }
}

/** The kit's symbol at run time, with its trading rules loaded as start() would. */
export function kitRuntime(kit: PartsKit, strategy: Strategy = new ScriptedStrategy()): SymbolRuntime {
  const s = kit.settings.symbols[0]!;
  const rt = newSymbolRuntime(s, new Map([[s.symbol, strategy]]), kit.logger);
  rt.instrument = kit.sim.instrument(s.symbol);
  return rt;
}
