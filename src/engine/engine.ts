/**
 * The engine: from a strategy's intent to a protected position, one code path for live, paper and
 * backtest (issue 7). It talks to an ExchangePort only, keeps what it must survive a SIGKILL with
 * in the EngineStore (flushed before an order goes out), writes every order, fill and exit to the
 * journal, and tells the owner through EngineAlerts.
 *
 * This class is the wiring: it builds the parts (one file each in this folder), owns one task
 * queue per symbol and dispatches the exchange's events into it, so events for one symbol are
 * handled strictly one after another and a fill arriving while an entry is placed never races it.
 */
import type { Candle, Intent } from '../domain/types.js';
import type { Strategy } from '../strategies/strategy.js';
import type { Logger } from '../util/logger.js';
import { dec } from '../domain/money.js';
import { ownerAlert, type EngineContext } from './engineContext.js';
import { EntryPlacer } from './entryPlacer.js';
import type { ExchangePort } from './exchangePort.js';
import { ExecutionHandler } from './executionHandler.js';
import { LedgerWriter } from './ledgerWriter.js';
import { MakerQuoting } from './makerQuoting.js';
import { PositionStopGuard } from './positionStopGuard.js';
import { FeeRates } from './feeRates.js';
import { KillSwitch } from './killSwitch.js';
import { MarketClock } from './marketClock.js';
import { OrderSender } from './orderSender.js';
import { isOwnOrderLinkId } from './orderLinkId.js';
import { OrderTracker } from './orderTracker.js';
import { PositionManager } from './positionManager.js';
import { prepareSymbols } from './prepareSymbols.js';
import type { EngineAlerts, EngineJournal, EngineSettings, EngineStore, EngineSymbolSettings } from './ports.js';
import { Reconciler, type ReconcileReason } from './reconciler.js';
import { RiskGate, type EngineSnapshot } from './riskGate.js';
import { StrategyRunner } from './strategyRunner.js';
import { SymbolQueue } from './symbolQueue.js';
import { newSymbolRuntime, refreshInstrument, type SymbolRuntime } from './symbolRuntime.js';

export type { EngineSnapshot } from './riskGate.js';

export interface EngineDeps {
  readonly port: ExchangePort;
  readonly store: EngineStore;
  readonly journal: EngineJournal;
  readonly alerts: EngineAlerts;
  readonly logger: Logger;
  /** Decision time (epoch ms): the corrected clock live; market time in replay and backtest. */
  readonly now: () => number;
  /** One strategy per configured symbol; the engine guards each one. */
  readonly strategies: ReadonlyMap<string, Strategy>;
  /**
   * Closed candles kept per symbol (default HISTORY_LIMIT, what a hot reload re-warms a new
   * strategy from). A backtest has no hot reload and keeps a few: held candles outlived young
   * collections and were copied at each one.
   */
  readonly historyLimit?: number;
}

export class Engine {
  readonly #deps: EngineDeps;
  #settings: EngineSettings;
  readonly #symbols = new Map<string, SymbolRuntime>();
  readonly #queues = new Map<string, SymbolQueue>();
  #queueList: readonly SymbolQueue[] | null = null;
  /** Only orderLinkIds with the bot's prefix are its orders; every other order is left alone. */
  readonly #tracker = new OrderTracker({ isOwn: (id) => isOwnOrderLinkId(this.#settings.orderIdPrefix, id) });
  readonly #clock: MarketClock;
  readonly #ctx: EngineContext;
  readonly #ledger: LedgerWriter;
  readonly #risk: RiskGate;
  readonly #bot: KillSwitch;
  readonly #fees: FeeRates;
  readonly #orders: OrderSender;
  readonly #positions: PositionManager;
  readonly #maker: MakerQuoting;
  readonly #stopGuard: PositionStopGuard;
  readonly #events: ExecutionHandler;
  readonly #reconciler: Reconciler;
  readonly #runner: StrategyRunner;
  readonly #entries: EntryPlacer;
  /** A reconciliation started by #resyncSoon is running. */
  #resyncing = false;
  #started = false;
  /** The symbols start() set up (instruments, leverage, streams); one enabled later needs a restart. */
  readonly #running = new Set<string>();
  #stopping = false;

  constructor(deps: EngineDeps, settings: EngineSettings) {
    this.#deps = deps;
    this.#settings = settings;
    this.#clock = new MarketClock(() => deps.now());
    this.#ctx = {
      port: deps.port,
      store: deps.store,
      tracker: this.#tracker,
      logger: deps.logger,
      clockMs: () => deps.now(),
      now: () => this.#clock.now(),
      settings: () => this.#fees.apply(this.#settings),
      stopping: () => this.#stopping,
      alert: ownerAlert(deps.alerts, deps.logger),
    };
    const resync = (): void => this.#resyncSoon();
    this.#ledger = new LedgerWriter(deps.journal, deps.logger);
    this.#fees = new FeeRates(deps.port, deps.logger);
    this.#bot = new KillSwitch(this.#ctx, this.#ledger, () => this.#symbols.values(), (reason) => void this.killSwitch(reason));
    this.#risk = new RiskGate(this.#ctx, this.#bot);
    this.#orders = new OrderSender(this.#ctx, this.#ledger, resync, (ok, error) => this.#risk.orderOutcome(ok, error), () => this.#risk.openingSent(this.#ctx.now()));
    const later = (rt: SymbolRuntime, task: () => Promise<void>, delayMs: number): void => {
      setTimeout(() => this.#stopping || this.#queueOf(rt).enqueue(task), delayMs).unref();
    };
    this.#positions = new PositionManager(this.#ctx, this.#orders, resync, later);
    this.#maker = new MakerQuoting(this.#ctx, this.#risk, this.#orders);
    this.#stopGuard = new PositionStopGuard(this.#ctx, (rt) => this.#queueOf(rt).enqueue(() => this.#positions.protectPosition(rt)));
    this.#events = new ExecutionHandler(this.#ctx, this.#ledger, this.#risk, this.#positions);
    this.#reconciler = new Reconciler(this.#ctx, this.#ledger, this.#events, this.#positions, this.#orders);
    const entries = (this.#entries = new EntryPlacer(this.#ctx, this.#risk, this.#orders));
    this.#runner = new StrategyRunner(this.#ctx, { risk: this.#risk, positions: this.#positions, entries, maker: this.#maker });
    for (const s of settings.symbols) {
      const rt = newSymbolRuntime(s, deps.strategies, deps.logger, deps.historyLimit);
      this.#symbols.set(s.symbol, rt);
      // A failure in one event must not stop the next: log it and keep the loop alive.
      this.#queues.set(s.symbol, new SymbolQueue((e) => deps.logger.error(`${rt.settings.symbol}: event handling failed`, { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) })));
    }
  }

  get tracker(): OrderTracker {
    return this.#tracker;
  }

  get started(): boolean {
    return this.#started;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Instruments → leverage → reconcile → warm-up → streams (issue 7 item 7, after the clock is trusted). */
  async start(): Promise<void> {
    const { port, logger } = this.#deps;
    const symbols = this.#enabledSymbols();
    if (this.#settings.feesFromExchange) await this.refreshFees();
    await prepareSymbols(port, symbols.map((sym) => this.#symbols.get(sym)!), this.#settings.symbols);
    this.#deps.store.update((d) => {
      for (const sym of symbols) d.symbols[sym] ??= { position: null, openOrders: {}, cooldownUntilMs: null };
    });
    for (const sym of symbols) this.#running.add(sym);
    await this.#reconciler.restoreFromJournal(this.#symbols);
    // Streams first, then the REST snapshot, so no fill can fall between the two (one made after
    // the snapshot is pushed; one made before is in it). Events wait behind a gate per symbol until
    // reconciliation is done, so nothing is decided on an unreconciled view.
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    for (const sym of symbols) this.#queues.get(sym)!.enqueue(() => gate);
    // Strategies warm up on each symbol's first streamed candle (StrategyRunner.onClosedCandle),
    // from the history just before it: that works on any market clock, live or replayed.
    const markets = symbols.map((sym) => {
      const rt = this.#symbols.get(sym)!;
      return { symbol: sym, intervalMinutes: rt.settings.intervalMinutes, book: rt.settings.strategy === 'maker' };
    });
    await port.subscribe(markets, {
      onCandle: (symbol, intervalMinutes, candle, confirmed) => {
        const rt = this.#symbols.get(symbol);
        if (!rt || intervalMinutes !== rt.settings.intervalMinutes) return;
        // Every kline, confirmed or not, carries the last traded price (protective orders are checked against it).
        if (candle.ts >= rt.lastPriceCandleTs) {
          rt.lastPriceNum = candle.close;
          rt.lastPriceCandleTs = candle.ts;
        }
        if (!confirmed) return;
        this.#clock.observeClose(candle.ts + intervalMinutes * 60_000);
        if (candle.ts > rt.newestCandleTs) rt.newestCandleTs = candle.ts;
        this.#queues.get(symbol)!.runOrEnqueueWith(this.#afterCandleFn, rt, candle);
      },
      onBookTop: (top) => {
        const rt = this.#symbols.get(top.symbol);
        if (rt && this.#runner.wantsRequote(rt, top)) this.#queues.get(top.symbol)!.enqueue(() => this.#runner.onBook(rt));
      },
      onOrder: (order) => {
        const rt = this.#symbols.get(order.symbol);
        if (rt) this.#queues.get(order.symbol)!.enqueue(() => this.#events.onOrder(rt, order));
      },
      onFill: (fill) => {
        const rt = this.#symbols.get(fill.symbol);
        if (rt) this.#queues.get(fill.symbol)!.enqueue(() => this.#events.onFill(rt, fill));
      },
      onPosition: (position) => {
        const rt = this.#symbols.get(position.symbol);
        if (!rt) return;
        rt.exchangePosition = position;
        // Maker inventory the exchange shows without a stop (new inventory, a stop refused before the
        // position was there, or dropped when it went flat in between): protected at once, not after
        // whatever holds the symbol's turn (PositionStopGuard); so is any other position shown bare.
        this.#stopGuard.onPosition(rt, position);
      },
      onBalance: (balance) => this.#risk.noteBalance(balance),
      onStreamHealth: (stream, health, detail) => {
        if (health === 'stale' || health === 'reconnecting') logger.warn(`${stream} stream ${health}`, { detail });
      },
    });
    try {
      await this.reconcile('start', { direct: true });
      // An entry still waiting on the exchange (a limit) gets its deadline back.
      for (const sym of symbols) this.#entries.resume(this.#symbols.get(sym)!);
      // The bot's own equity starts from the account's, the first time the bot runs here.
      if (this.#deps.store.state.botEquity === null) this.#risk.noteEquity((await port.fetchBalance()).equity);
    } finally {
      openGate();
    }
    this.#started = true;
    logger.info('engine started', { symbols: symbols.join(','), exchange: port.name });
  }

  /**
   * True while an event is queued or being handled, or a journal write is in flight: the backtester checks it at every candle to skip
   * `idle()` when nothing is pending (over the queues as an array, made at the first call: a Map's loop costs more).
   */
  get busy(): boolean {
    if (this.#ledger.inFlight.size > 0) return true;
    for (const q of (this.#queueList ??= [...this.#queues.values()])) if (q.pending > 0) return true;
    return false;
  }

  /** Resolves when every queued event has been handled and its journal records are written. */
  async idle(): Promise<void> {
    const writes = this.#ledger.inFlight;
    for (;;) {
      const tails = [...this.#queues.values()].map((q) => q.tail);
      await Promise.all([...tails, ...writes]);
      if (writes.size === 0 && [...this.#queues.values()].every((q, i) => q.tail === tails[i])) return;
    }
  }

  /**
   * Graceful shutdown (issue 7 item 7): cancel the maker's quotes, keep every protective order and
   * exchange stop in place, finish queued work, flush state.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const rt of this.#symbols.values()) if (rt.settings.strategy === 'maker') this.#queueOf(rt).enqueue(() => this.#maker.cancelAll(rt, 'shutdown'));
    await this.idle();
    await this.#deps.store.flush();
  }

  /**
   * Hot reload: new settings, and new strategies for the symbols whose parameters changed (they
   * decide from the next close). A leverage change is applied on the exchange before the next
   * decision, so sizing and margin agree.
   */
  updateSettings(given: EngineSettings, strategies: ReadonlyMap<string, Strategy>): void {
    this.#settings = given;
    this.#risk.settingsChanged(this.#clock.now());
    // With the account's fee rates in place of the config's (the breakeven buffer follows them).
    const settings = this.#ctx.settings();
    for (const s of settings.symbols) {
      const rt = this.#symbols.get(s.symbol);
      if (!rt) continue; // adding a symbol needs a restart (streams and leverage)
      const leverageChanged = s.leverage !== rt.settings.leverage;
      rt.settings = s;
      if (leverageChanged) {
        this.#queueOf(rt).enqueue(async () => {
          try {
            await this.#deps.port.setLeverage(s.symbol, dec(s.leverage));
          } catch (e) {
            this.#deps.logger.error(`${s.symbol}: leverage ${s.leverage}x not applied`, { error: e instanceof Error ? e.message : String(e) });
          }
        });
      }
      const next = strategies.get(s.symbol);
      if (next && next !== rt.source) this.#runner.replaceStrategy(rt, next);
    }
  }

  // ------------------------------------------------------------------ owner controls

  pause(reason: string): void {
    this.#risk.pause(reason);
  }

  /**
   * Lifts the pause, and the kill switch and drawdown locks unless their condition still holds;
   * `resetPeak` accepts the loss (the equity now is the new peak). Returns the answer for the owner.
   */
  resume(opts: { resetPeak?: boolean } = {}): string {
    return this.#risk.resume(opts.resetPeak ?? false);
  }

  /** Live modes: reads the account's fee rates again (the schedule calls it daily); the last known stay on failure. */
  async refreshFees(): Promise<void> {
    if (!this.#settings.feesFromExchange) return;
    await this.#fees.refresh(this.#enabledSymbols(), this.#clock.now());
    for (const s of this.#ctx.settings().symbols) {
      const rt = this.#symbols.get(s.symbol);
      if (rt) rt.settings = s;
    }
  }

  /** The fee rates in force and where they come from, for the owner. */
  feeSummary(): string {
    return this.#fees.summary(this.#settings);
  }

  /**
   * Cancels the bot's own orders (`ps-` ids; others' orders and a position's own TP/SL orders stay),
   * closes its positions at market, and stops new entries until `resume --reset-peak`.
   */
  async killSwitch(reason: string): Promise<void> {
    this.#risk.killSwitch(reason);
    await this.#flattenAll('K');
  }

  /** `close-all`: cancel the bot's orders, close its positions, and pause. */
  async closeAll(reason: string): Promise<void> {
    this.pause(`close-all: ${reason}`);
    await this.#flattenAll('C');
  }

  /**
   * Blocks (reason) or unblocks (null) new entries for a condition the bot measures itself: low
   * battery or heat, an untrusted clock, a state directory that cannot be written. Open positions stay
   * managed; the owner's pause is separate.
   */
  setBlock(source: 'battery' | 'clock' | 'storage', reason: string | null): void {
    this.#risk.setBlock(source, reason);
  }

  snapshot(): EngineSnapshot {
    return this.#risk.snapshot(this.#clock.now());
  }

  /**
   * Compares local state with the exchange (issue 7 item 6; see Reconciler); returns the differences.
   * At start the queues are held for it (start()); afterwards each symbol takes its turn in its queue.
   */
  async reconcile(reason: ReconcileReason, opts: { direct?: boolean } = {}): Promise<string[]> {
    const runtimes = this.#enabledSymbols().map((sym) => this.#symbols.get(sym)!);
    const diffs = await this.#reconciler.reconcile(reason, runtimes, opts.direct ? (_rt, task) => task() : (rt, task) => this.#queueOf(rt).enqueueAndWait(task));
    // A kill switch in force: what reconciliation found still open is closed again.
    if (!opts.direct) for (const rt of runtimes) await this.#queueOf(rt).enqueueAndWait(async () => this.#positions.killSwitchCloseOut(rt));
    return diffs;
  }

  /** A mirror account (issue 24): enters as `intent` says now, sized and laddered by `own`, with the entry's usual checks and stop. */
  copyEntry(intent: Extract<Intent, { kind: 'enter' }>, own: Pick<EngineSymbolSettings, 'sizing' | 'exits'>): Promise<void> {
    const rt = this.#symbols.get(intent.symbol);
    if (!rt || !this.#started) return Promise.resolve();
    return this.#queueOf(rt).enqueueAndWait(async () => {
      rt.settings = { ...rt.settings, ...own };
      await this.#entries.enter(rt, intent, this.#clock.now());
    });
  }

  /** A mirror account: the main account's position closed, so this one's is closed at market and its orders cancelled. */
  closePosition(symbol: string, reason: string): Promise<void> {
    const rt = this.#symbols.get(symbol);
    if (!rt || !this.#started) return Promise.resolve();
    return this.#queueOf(rt).enqueueAndWait(() => this.#positions.close(rt, 'M', reason));
  }

  // ------------------------------------------------------------------ helpers

  // Closures made once: #afterCandleFn goes to the queue with its arguments; a function that makes a closure allocates its context at every call.
  readonly #afterCandleFn = (rt: SymbolRuntime, candle: Candle): Promise<void> | void => this.#afterCandle(rt, candle);
  readonly #measure = (): void => this.#risk.onCandle(this.#clock.now());
  readonly #afterTurnLater = (done: Promise<void>, rt: SymbolRuntime): Promise<void> => done.then(() => this.#afterTurn(rt));

  /** A closed candle: the strategy's turn, then the bot's equity (hourly record, kill switch, daily-loss and drawdown locks). */
  #afterCandle(rt: SymbolRuntime, candle: Candle): Promise<void> | void {
    refreshInstrument(rt, this.#deps.port, this.#deps.logger);
    const done = this.#runner.onClosedCandle(rt, candle);
    return done ? this.#afterTurnLater(done, rt) : this.#afterTurn(rt);
  }

  /** A kill switch still in force closes what is left open (before it measures again), then the bot's equity. */
  #afterTurn(rt: SymbolRuntime): Promise<void> | void {
    const closing = this.#positions.killSwitchCloseOut(rt);
    return closing ? closing.then(this.#measure) : this.#measure();
  }

  /** One reconciliation at a time, started outside the caller's queue turn (it queues behind it). */
  #resyncSoon(): void {
    if (this.#resyncing || this.#stopping) return;
    this.#resyncing = true;
    this.reconcile('stale')
      .catch((e: unknown) => this.#deps.logger.warn('reconciliation failed', { error: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        this.#resyncing = false;
      });
  }

  async #flattenAll(code: 'K' | 'C'): Promise<void> {
    for (const rt of this.#symbols.values()) await this.#queueOf(rt).enqueueAndWait(() => this.#positions.flatten(rt, code));
  }

  #queueOf(rt: SymbolRuntime): SymbolQueue {
    return this.#queues.get(rt.settings.symbol)!;
  }

  /** Enabled and, once started, set up at start: a symbol added or enabled by a hot reload waits for a restart. */
  #enabledSymbols(): string[] {
    return this.#settings.symbols.filter((s) => s.enabled && (this.#running.size === 0 || this.#running.has(s.symbol))).map((s) => s.symbol);
  }
}
