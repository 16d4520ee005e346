/**
 * The engine's parts over real neighbours, without the Engine: the in-process simulator as the
 * exchange (SimExchange, BTCUSDT at 60 000), the in-memory store and journal, a settable clock, and
 * recorded alerts and log lines. Each part's test builds the parts it needs from this kit.
 */
import { emptySymbolState } from '../../src/domain/persistedState.js';
import type { Candle } from '../../src/domain/types.js';
import type { EngineContext } from '../../src/engine/engineContext.js';
import { ownerAlert } from '../../src/engine/engineContext.js';
import { EntryPlacer } from '../../src/engine/entryPlacer.js';
import { ExecutionHandler } from '../../src/engine/executionHandler.js';
import { LedgerWriter } from '../../src/engine/ledgerWriter.js';
import { MakerQuoting } from '../../src/engine/makerQuoting.js';
import { MemoryJournal, MemoryStore } from '../../src/engine/memoryPorts.js';
import { OrderSender } from '../../src/engine/orderSender.js';
import { PositionManager } from '../../src/engine/positionManager.js';
import { RiskGate } from '../../src/engine/riskGate.js';
import { StrategyRunner } from '../../src/engine/strategyRunner.js';
import { SymbolQueue } from '../../src/engine/symbolQueue.js';
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
export function partsKit(opts: { readonly settings?: Partial<EngineSettings>; readonly symbol?: EngineSymbolSettings; readonly balance?: string; readonly restartOf?: PartsKit; readonly history?: readonly Candle[] } = {}): PartsKit {
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
  const history = opts.history;
  const port = before?.port ?? new SimExchange(sim, history ? { history: async (_s, _i, sinceMs, limit) => history.filter((c) => c.ts >= sinceMs).slice(-limit) } : {});
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

/** A long scalper entry at 60 000, stop 59 400, four targets 1R apart. */
export function longIntent(over: Partial<Extract<Intent, { kind: 'enter' }>> = {}): Extract<Intent, { kind: 'enter' }> {
  return { kind: 'enter', symbol: 'BTCUSDT', side: 'long', decidedAtMs: T0, refPrice: 60_000, stopLoss: 59_400, targets: [60_600, 61_200, 61_800, 62_400], reason: 'test long', ...over };
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

export interface WiredParts {
  readonly rt: SymbolRuntime;
  readonly ledger: LedgerWriter;
  readonly risk: RiskGate;
  readonly orders: OrderSender;
  readonly positions: PositionManager;
  readonly entries: EntryPlacer;
  readonly maker: MakerQuoting;
  readonly events: ExecutionHandler;
  readonly runner: StrategyRunner;
  readonly queue: SymbolQueue;
  /** How often a part asked for a reconciliation soon. */
  readonly resyncs: { count: number };
  /** Runs `task` in the symbol's turn, then waits until the exchange's pushes it caused are handled. */
  turn(task: () => Promise<void> | void): Promise<void>;
}

/**
 * Every part, wired as the Engine wires them, with the simulator's pushes (orders, fills) going
 * through the symbol's queue into the ExecutionHandler, as the Engine dispatches them.
 */
export async function wireParts(kit: PartsKit, strategy: Strategy = new ScriptedStrategy()): Promise<WiredParts> {
  const rt = kitRuntime(kit, strategy);
  const resyncs = { count: 0 };
  const resync = (): void => {
    resyncs.count++;
  };
  const ledger = new LedgerWriter(kit.journal, kit.logger);
  const risk = new RiskGate(kit.ctx);
  const orders = new OrderSender(kit.ctx, ledger, resync);
  const positions = new PositionManager(kit.ctx, orders, resync);
  const entries = new EntryPlacer(kit.ctx, risk, orders);
  const maker = new MakerQuoting(kit.ctx, risk, orders);
  const events = new ExecutionHandler(kit.ctx, ledger, risk, positions);
  const runner = new StrategyRunner(kit.ctx, { risk, positions, entries, maker });
  const failures: unknown[] = [];
  const queue = new SymbolQueue((e) => failures.push(e));
  await kit.port.subscribe([], {
    onOrder: (o) => queue.enqueue(() => events.onOrder(rt, o)),
    onFill: (f) => queue.enqueue(() => events.onFill(rt, f)),
    onBalance: (b) => risk.noteBalance(b),
  });
  return {
    rt,
    ledger,
    risk,
    orders,
    positions,
    entries,
    maker,
    events,
    runner,
    queue,
    resyncs,
    async turn(task) {
      await queue.enqueueAndWait(async () => task());
      await queue.enqueueAndWait(async () => {});
      await Promise.all(ledger.inFlight);
      if (failures.length > 0) throw failures[0];
    },
  };
}
