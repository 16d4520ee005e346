/**
 * The engine: from a strategy's intent to a protected position, one code path for live, paper and
 * backtest (issue 7). It talks to an ExchangePort only, keeps what it must survive a SIGKILL with
 * in the EngineStore (flushed before an order goes out), writes every order, fill and exit to the
 * journal, and tells the owner through EngineAlerts.
 *
 * Events for one symbol are handled strictly one after another (a per-symbol queue), so a fill
 * arriving while an entry is being placed never races it. Money is Decimal throughout; strategies
 * see plain numbers through `positionView`.
 */
import type { Decimal } from '../domain/money.js';
import { dec, Dec, money, roundToStep, toPrice, ZERO } from '../domain/money.js';
import type { JournalRecord } from '../domain/journalRecord.js';
import type { DeepReadonly, PersistedState, PositionState, ProtectionName } from '../domain/persistedState.js';
import { ExchangeError, refusedForZeroPosition, refusedStopBeyondPrice } from '../domain/exchangeErrors.js';
import type { Candle, Fill, Instrument, Intent, Order, Position, PositionSide } from '../domain/types.js';
import { TERMINAL_ORDER_STATUSES } from '../domain/types.js';
import { diffQuotes, type LiveQuote } from '../strategies/diffQuotes.js';
import { guardStrategy, type GuardedStrategy } from '../strategies/guardStrategy.js';
import type { BookTop as StrategyBookTop, PositionView, Strategy } from '../strategies/strategy.js';
import { FLAT } from '../strategies/strategy.js';
import type { Logger } from '../util/logger.js';
import { planEntry } from './executor.js';
import type { Balance, BookTop, ExchangePort, OrderRequest } from './exchangePort.js';
import { isOwnOrderLinkId, makeOrderLinkId, parseOrderLinkId } from './orderLinkId.js';
import { OrderTracker } from './orderTracker.js';
import type { EngineAlerts, EngineJournal, EngineSettings, EngineStore, EngineSymbolSettings } from './ports.js';
import { breakevenStop, improvesStop, ladderOrders, timeExitDue, trailingStop } from './positionPlan.js';
import { dailyLossLock, drawdownLock, lossStreakLock, nextDayStartMs, startOfDayMs, type ClosedTrade, type Lock } from './protections.js';
import { RoundTrip, type ClosedRoundTrip } from './roundTrip.js';

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
}

/** Exit codes in orderLinkIds (`X<code>`) and the reasons they stand for in the journal. */
const EXIT_CODES = { T: 'timeExit', S: 'signal', K: 'killSwitch', C: 'closeAll', L: 'stopLoss' } as const;
type ExitCode = keyof typeof EXIT_CODES;

const HISTORY_LIMIT = 1000;
const FILL_RECOVERY_OVERLAP_MS = 15 * 60_000;
/** A pushed balance this recent sizes an entry without asking the exchange again. */
const BALANCE_FRESH_MS = 30_000;

interface SymbolRuntime {
  settings: EngineSymbolSettings;
  /** The strategy as given (hot reload compares with it); `strategy` is it, guarded. */
  source: Strategy;
  strategy: GuardedStrategy;
  instrument: Instrument | null;
  readonly history: Candle[];
  readonly roundTrip: RoundTrip;
  queue: Promise<void>;
  /** Tasks enqueued and not finished yet (0 = the queue is idle). */
  pending: number;
  /** A task is running inline (#enqueueOrRun), and the resolver of the promise tasks queued meanwhile wait for. */
  inline: boolean;
  gate: (() => void) | null;
  lastRequoteMs: number;
  requoteQueued: boolean;
  /** Start of the newest closed candle received (queued or handled); see #onClosedCandle. */
  newestCandleTs: number;
  /** The owner was told this maker's quotes are below the exchange's minimum order (once). */
  quoteTooSmallSaid: boolean;
  latestBook: StrategyBookTop | null;
  exchangePosition: Position | null;
  entryDeadlineMs: number | null;
  warm: boolean;
  /** Exchange time of the newest fill recorded for this symbol: where fill recovery resumes. */
  lastFillTs: number | null;
}

export interface EngineSnapshot {
  readonly paused: boolean;
  readonly locks: readonly { readonly name: ProtectionName; readonly reason: string; readonly untilMs: number | null }[];
  readonly positions: readonly { readonly symbol: string; readonly side: PositionSide; readonly size: string; readonly entryPrice: string }[];
  readonly realisedPnlToday: string;
}

export class Engine {
  readonly #deps: EngineDeps;
  #settings: EngineSettings;
  readonly #symbols = new Map<string, SymbolRuntime>();
  readonly #tracker = new OrderTracker();
  /** When closed orders were last forgotten (market time); see #onClosedCandle. */
  #lastPruneMs = 0;
  /** A reconciliation started by #resyncSoon is running. */
  #resyncing = false;
  readonly #closedTrades: ClosedTrade[] = [];
  #lastEquity: Decimal | null = null;
  /** The newest balance (wallet stream or REST) and when it came, clock time. */
  #lastBalance: { readonly balance: Balance; readonly atMs: number } | null = null;
  readonly #journalWrites = new Set<Promise<void>>();
  /** Entry blocks that live only while the process does (battery, clock), apart from the owner's persisted pause. */
  readonly #blocks = new Map<string, string>();
  /**
   * Market time minus the clock's time, learned from the newest confirmed candle: against Bybit it
   * is about minus the stream latency; against a replay it absorbs the replay's shift in time. It
   * keeps decisions, holding times and day windows on the exchange's market clock, so a candle
   * that arrives late (a backfill) is recognised as old however the data is timed.
   */
  #marketOffsetMs: number | null = null;
  #newestCloseMs = -Infinity;
  #started = false;
  #stopping = false;
  #dayEnd: { readonly dayStartMs: number; readonly tz: string; readonly endMs: number } | null = null;

  constructor(deps: EngineDeps, settings: EngineSettings) {
    this.#deps = deps;
    this.#settings = settings;
    for (const s of settings.symbols) this.#symbols.set(s.symbol, this.#newRuntime(s));
  }

  get tracker(): OrderTracker {
    return this.#tracker;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Instruments → leverage → reconcile → warm-up → streams (issue 7 item 7, after the clock is trusted). */
  async start(): Promise<void> {
    const { port, logger } = this.#deps;
    const symbols = this.#enabledSymbols();
    const instruments = await port.loadInstruments(symbols);
    for (const sym of symbols) {
      const rt = this.#symbols.get(sym)!;
      rt.instrument = instruments.get(sym) ?? null;
      if (!rt.instrument) throw new ExchangeError(`no trading rules for ${sym}`, 'fatal');
      await port.setLeverage(sym, dec(rt.settings.leverage));
    }
    this.#deps.store.update((d) => {
      for (const sym of symbols) d.symbols[sym] ??= { position: null, openOrders: {}, cooldownUntilMs: null };
    });
    await this.#restoreFromJournal();
    // Streams first, then the REST snapshot, so no fill can fall between the two (one made after
    // the snapshot is pushed; one made before is in it). Events wait behind a gate per symbol until
    // reconciliation is done, so nothing is decided on an unreconciled view.
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    for (const sym of symbols) this.#enqueue(this.#symbols.get(sym)!, () => gate);
    // Strategies warm up on each symbol's first streamed candle (#onClosedCandle), from the history
    // just before it: that works on any market clock, live or replayed.
    const markets = symbols.map((sym) => {
      const rt = this.#symbols.get(sym)!;
      return { symbol: sym, intervalMinutes: rt.settings.intervalMinutes, book: rt.settings.strategy === 'maker' };
    });
    await port.subscribe(markets, {
      onCandle: (symbol, intervalMinutes, candle, confirmed) => {
        const rt = this.#symbols.get(symbol);
        if (!rt || !confirmed || intervalMinutes !== rt.settings.intervalMinutes) return;
        this.#observeClose(candle.ts + intervalMinutes * 60_000);
        if (candle.ts > rt.newestCandleTs) rt.newestCandleTs = candle.ts;
        this.#enqueueOrRun(rt, () => this.#onClosedCandle(rt, candle));
      },
      onBookTop: (top) => this.#onBookTop(top),
      onOrder: (order) => {
        const rt = this.#symbols.get(order.symbol);
        if (rt) this.#enqueue(rt, () => this.#onOrder(rt, order));
      },
      onFill: (fill) => {
        const rt = this.#symbols.get(fill.symbol);
        if (rt) this.#enqueue(rt, () => this.#onFill(rt, fill));
      },
      onPosition: (position) => {
        const rt = this.#symbols.get(position.symbol);
        if (rt) rt.exchangePosition = position;
      },
      onBalance: (balance) => {
        this.#lastBalance = { balance, atMs: this.#deps.now() };
        this.#noteEquity(balance.equity);
      },
      onStreamHealth: (stream, health, detail) => {
        if (health === 'stale' || health === 'reconnecting') logger.warn(`${stream} stream ${health}`, { detail });
      },
    });
    try {
      await this.reconcile('start', { direct: true });
    } finally {
      openGate();
    }
    this.#started = true;
    logger.info('engine started', { symbols: symbols.join(','), exchange: port.name });
  }

  /**
   * True while an event is queued or being handled, or a journal write is in flight. A caller that
   * drives the engine itself (the backtester) checks it to skip `idle()` when there is nothing to
   * wait for.
   */
  get busy(): boolean {
    if (this.#journalWrites.size > 0) return true;
    for (const rt of this.#symbols.values()) if (rt.pending > 0) return true;
    return false;
  }

  /** Resolves when every queued event has been handled and its journal records are written. */
  async idle(): Promise<void> {
    for (;;) {
      const queues = [...this.#symbols.values()].map((rt) => rt.queue);
      await Promise.all([...queues, ...this.#journalWrites]);
      if (this.#journalWrites.size === 0 && [...this.#symbols.values()].every((rt, i) => rt.queue === queues[i])) return;
    }
  }

  /**
   * Graceful shutdown (issue 7 item 7): cancel the maker's quotes, keep every protective order and
   * exchange stop in place, finish queued work, flush state.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const rt of this.#symbols.values()) {
      if (rt.settings.strategy !== 'maker') continue;
      this.#enqueue(rt, async () => {
        for (const q of this.#liveQuotes(rt)) await this.#cancel(rt, q.id, 'shutdown');
      });
    }
    await this.idle();
    await this.#deps.store.flush();
  }

  /**
   * Hot reload: new settings, and new strategies for the symbols whose parameters changed (they
   * decide from the next close). A leverage change is applied on the exchange before the next
   * decision, so sizing and margin agree.
   */
  updateSettings(settings: EngineSettings, strategies: ReadonlyMap<string, Strategy>): void {
    this.#settings = settings;
    for (const s of settings.symbols) {
      const rt = this.#symbols.get(s.symbol);
      if (!rt) continue; // adding a symbol needs a restart (streams and leverage)
      const leverageChanged = s.leverage !== rt.settings.leverage;
      rt.settings = s;
      if (leverageChanged) {
        this.#enqueue(rt, async () => {
          try {
            await this.#deps.port.setLeverage(s.symbol, dec(s.leverage));
          } catch (e) {
            this.#deps.logger.error(`${s.symbol}: leverage ${s.leverage}x not applied`, { error: e instanceof Error ? e.message : String(e) });
          }
        });
      }
      const next = strategies.get(s.symbol);
      if (next && next !== rt.source) {
        rt.source = next;
        rt.strategy = this.#guard(next);
        rt.quoteTooSmallSaid = false; // new parameters: a size still too small is said again
        // Re-warm the new instance from the candles already seen, so it decides at the next close.
        for (let i = Math.max(0, rt.history.length - HISTORY_LIMIT); i < rt.history.length; i++) rt.strategy.onCandle(rt.history[i]!, FLAT, rt.history[i]!.ts);
      }
    }
  }

  // ------------------------------------------------------------------ owner controls

  pause(reason: string): void {
    this.#setLock('paused', { reason, sinceMs: this.#now(), untilMs: null });
    this.#alert('warning', 'control', 'Paused', `${reason}. Open positions stay managed; no new entries.`);
  }

  /** Lifts pause, kill switch and drawdown locks (the manual ones). Time-bound locks run out by themselves. */
  resume(): void {
    this.#deps.store.update((d) => {
      d.protections.paused = null;
      d.protections.killSwitch = null;
      d.protections.drawdown = null;
    });
    this.#alert('info', 'control', 'Resumed', 'New entries allowed again.');
  }

  /** Cancels the bot's own orders, closes its positions, and stops new entries until `resume`. */
  async killSwitch(reason: string): Promise<void> {
    this.#setLock('killSwitch', { reason, sinceMs: this.#now(), untilMs: null });
    this.#alert('critical', 'killSwitch', 'Kill switch', `${reason}. Cancelling the bot's orders and closing its positions.`);
    await this.#flattenAll('K');
  }

  /** `close-all`: cancel the bot's orders, close its positions, and pause. */
  async closeAll(reason: string): Promise<void> {
    this.pause(`close-all: ${reason}`);
    await this.#flattenAll('C');
  }

  /**
   * Blocks (reason) or unblocks (null) new entries for a condition the bot measures itself: low
   * battery or heat, an untrusted clock. Open positions stay managed; the owner's pause is separate.
   */
  setBlock(source: 'battery' | 'clock', reason: string | null): void {
    if (reason === null) this.#blocks.delete(source);
    else this.#blocks.set(source, reason);
  }

  snapshot(): EngineSnapshot {
    const st = this.#deps.store.state;
    const now = this.#now();
    const locks = (Object.entries(st.protections) as [ProtectionName, DeepReadonly<{ reason: string; untilMs: number | null }> | null][])
      .filter(([, l]) => l !== null && (l.untilMs === null || l.untilMs > now))
      .map(([name, l]) => ({ name, reason: l!.reason, untilMs: l!.untilMs }));
    const positions = Object.entries(st.symbols)
      .filter(([, s]) => s.position !== null && dec(s.position.size).gt(0))
      .map(([symbol, s]) => ({ symbol, side: s.position!.side, size: s.position!.size, entryPrice: s.position!.entryPrice }));
    return { paused: st.protections.paused !== null, locks, positions, realisedPnlToday: st.daily?.realisedPnl ?? '0' };
  }

  // ------------------------------------------------------------------ reconciliation

  /**
   * After a restart: the journal's fills seed de-duplication (a fill is never journaled twice) and
   * rebuild each symbol's open round trip, so a trade that began before a crash is accounted whole.
   */
  async #restoreFromJournal(): Promise<void> {
    const fills = (await this.#deps.journal.readFills?.()) ?? [];
    for (const r of fills) {
      const rt = this.#symbols.get(r.symbol);
      if (!rt) continue;
      const fill: Fill = { execId: r.execId, orderId: r.orderId, orderLinkId: r.orderLinkId, symbol: r.symbol, side: r.side, price: dec(r.price), qty: dec(r.qty), fee: dec(r.fee), isMaker: r.isMaker, ts: r.ts };
      if (!this.#tracker.recordFill(fill)) continue;
      rt.roundTrip.apply(fill); // trades it closes were journaled when they closed
      rt.lastFillTs = Math.max(rt.lastFillTs ?? 0, r.ts);
    }
  }

  /**
   * Compares local state with the exchange (issue 7 item 6): adopts the bot's own orders and any
   * position in its symbols, gives a position without an exchange stop a stop at once, records
   * fills that happened while the bot was down, drops local orders the exchange no longer knows.
   * Returns the differences found (also sent to the owner as one alert).
   */
  async reconcile(reason: 'start' | 'periodic' | 'stale', opts: { direct?: boolean } = {}): Promise<string[]> {
    const diffs: string[] = [];
    const symbols = this.#enabledSymbols();
    for (const sym of symbols) {
      const rt = this.#symbols.get(sym)!;
      // The position is read inside the symbol's turn, after the events queued before it: a
      // snapshot read earlier could predate fills applied meanwhile (see #reconcileSymbol).
      const task = async (): Promise<void> => {
        const ex = (await this.#deps.port.fetchPositions([sym])).find((p) => p.symbol === sym) ?? null;
        rt.exchangePosition = ex;
        await this.#reconcileSymbol(rt, ex, reason, diffs);
      };
      // At start the queues are held for us (see start()); afterwards, reconciliation takes its turn.
      if (opts.direct) await task();
      else await this.#enqueueAndWait(rt, task);
    }
    if (diffs.length > 0) {
      this.#deps.logger.warn('reconciliation found differences', { reason, count: diffs.length });
      this.#alert('warning', 'reconcile', `Reconciled ${diffs.length} difference(s)`, diffs.join('\n'), undefined, `reconcile-${reason}-${diffs.join('|')}`);
    }
    return diffs;
  }

  async #reconcileSymbol(rt: SymbolRuntime, ex: Position | null, reason: string, diffs: string[]): Promise<void> {
    const { port } = this.#deps;
    const sym = rt.settings.symbol;
    const exOpen = ex !== null && ex.side !== null && ex.size.gt(0);

    // Fills that happened while we were not listening: from well before the newest one recorded
    // (exchange time, as fills are stamped), or the last 7 days. The overlap covers fills recorded
    // out of time order (one recovered late by REST after a newer one was pushed); fills already
    // recorded are skipped by execId, so the overlap costs nothing but a longer answer.
    const since = rt.lastFillTs !== null ? rt.lastFillTs - FILL_RECOVERY_OVERLAP_MS : this.#deps.now() - 7 * 86_400_000;
    for (const f of await port.fetchFills(sym, since)) await this.#onFill(rt, f);

    const open = await port.fetchOpenOrders(sym);
    for (const o of open) {
      if (!isOwnOrderLinkId(this.#settings.orderIdPrefix, o.orderLinkId)) continue; // never touch others' orders
      const known = this.#tracker.get(o.orderLinkId);
      if (!known) {
        this.#tracker.applyUpdate(o, this.#now());
        const role = parseOrderLinkId(this.#settings.orderIdPrefix, o.orderLinkId)?.role;
        if (role?.kind === 'quote' && reason === 'start') {
          await this.#cancel(rt, o.orderLinkId, 'stale quote from before the restart');
          diffs.push(`${sym}: cancelled a quote left from before the restart (${o.orderLinkId})`);
        } else {
          diffs.push(`${sym}: adopted open order ${o.orderLinkId}`);
        }
      } else {
        this.#tracker.applyUpdate(o, this.#now());
      }
    }
    // Local open orders the exchange does not list: look each up; only repeated misses drop it.
    const stored = this.#deps.store.state.symbols[sym]?.openOrders ?? {};
    for (const linkId of Object.keys(stored)) {
      if (open.some((o) => o.orderLinkId === linkId)) continue;
      const found = await port.fetchOrder(sym, linkId);
      if (found) {
        await this.#onOrder(rt, found);
        continue;
      }
      if (!this.#tracker.get(linkId)) {
        const s = stored[linkId]!;
        this.#tracker.applyUpdate(
          {
            orderLinkId: linkId,
            orderId: s.orderId,
            symbol: sym,
            side: s.side,
            type: s.type,
            timeInForce: s.type === 'market' ? 'IOC' : 'GTC',
            price: s.price === null ? null : dec(s.price),
            qty: dec(s.qty),
            reduceOnly: s.reduceOnly,
            stopLoss: null,
            takeProfit: null,
            status: s.status,
            filledQty: dec(s.filledQty),
            avgFillPrice: null,
            rejectReason: null,
            createdMs: s.createdMs,
            updatedMs: s.createdMs,
          },
          this.#now(),
        );
      }
      // A restart finds nothing in flight: three misses in a row mean the order never reached the exchange.
      let lost: Order | null = null;
      for (let i = 0; i < 3 && lost === null; i++) lost = this.#tracker.lookupMissed(linkId, this.#now());
      if (lost) {
        diffs.push(`${sym}: dropped ${linkId}, which the exchange does not know`);
        await this.#onOrder(rt, lost);
      }
    }

    const nowLocal = this.#deps.store.state.symbols[sym]?.position ?? null;
    // A snapshot older than a fill the bot has applied (the fill moved the position after the
    // exchange last did, as far as this answer knows) says nothing about the position now:
    // comparing with it could wipe a live position or adopt a closed one. The next round decides.
    if (ex !== null && ex.updatedMs > 0 && rt.lastFillTs !== null && rt.lastFillTs > ex.updatedMs) {
      this.#deps.logger.debug(`${sym}: position snapshot older than the newest fill; compared next time`, { snapshotMs: ex.updatedMs, lastFillMs: rt.lastFillTs });
      return;
    }
    if (exOpen) {
      if (nowLocal === null || dec(nowLocal.size).isZero()) {
        if (nowLocal === null) diffs.push(`${sym}: adopted a ${ex.side} position of ${ex.size.toFixed()} the bot had no record of`);
        this.#deps.store.update((d) => {
          const s = d.symbols[sym]!;
          s.position = {
            side: ex.side!,
            size: money(ex.size),
            entryPrice: money(ex.entryPrice),
            openedMs: s.position?.openedMs ?? this.#now(),
            entryOrderLinkId: s.position?.entryOrderLinkId ?? null,
            stop: ex.stopLoss ? { price: money(ex.stopLoss), orderLinkId: null, orderId: null } : (s.position?.stop ?? null),
            targets: s.position?.targets ?? [],
          };
        });
        if (rt.roundTrip.side === null) {
          // Seed the accounting with the position as found, so its exit is still recorded.
          rt.roundTrip.apply({ execId: `adopt-${sym}-${this.#now()}`, orderId: '', orderLinkId: '', symbol: sym, side: ex.side === 'long' ? 'buy' : 'sell', price: ex.entryPrice, qty: ex.size, fee: ZERO, isMaker: false, ts: this.#now() });
        }
      } else if (!dec(nowLocal.size).eq(ex.size)) {
        diffs.push(`${sym}: position size ${nowLocal.size} locally, ${ex.size.toFixed()} on the exchange; using the exchange's`);
        this.#deps.store.update((d) => {
          d.symbols[sym]!.position!.size = money(ex.size);
          d.symbols[sym]!.position!.entryPrice = money(ex.entryPrice);
        });
      }
      if (ex.stopLoss === null && ex.trailingStop === null) {
        const pos = this.#deps.store.state.symbols[sym]!.position!;
        const stop = pos.stop ? dec(pos.stop.price) : this.#fallbackStop(rt, ex.side!, ex.entryPrice);
        const placed = await this.#setStop(rt, stop, 'reconcile: position had no stop on the exchange');
        diffs.push(`${sym}: the position had no stop on the exchange; ${placed ? `placed one at ${stop.toFixed()}` : 'placing one failed'}`);
        // A failure has raised its own alarm in #tradingStop; the next round tries again.
        if (placed) this.#alert('critical', 'reconcile', `${sym} had no stop`, `Placed a stop at ${stop.toFixed()}.`, sym);
      }
    } else if (nowLocal !== null && dec(nowLocal.size).gt(0)) {
      diffs.push(`${sym}: the ${nowLocal.side} position is closed on the exchange`);
      if (rt.roundTrip.side !== null) {
        // Fills we could not see: close the books with what we know rather than keep a ghost position.
        this.#deps.logger.warn(`${sym}: closing a position whose exit fills were not found`, { size: nowLocal.size });
      }
      await this.#clearPosition(rt);
    }
  }

  // ------------------------------------------------------------------ candles and decisions

  /**
   * Feeds the strategy the closed candles just before `first`, its first streamed candle. Intents
   * during warm-up are about the past and never acted on.
   */
  async #warmUpBefore(rt: SymbolRuntime, first: Candle): Promise<void> {
    const need = rt.strategy.warmupCandles + 5;
    const intervalMs = rt.settings.intervalMinutes * 60_000;
    const candles = await this.#deps.port.fetchCandles(rt.settings.symbol, rt.settings.intervalMinutes, first.ts - need * intervalMs, need);
    for (const c of candles) {
      if (c.ts >= first.ts) break;
      this.#remember(rt, c);
      rt.strategy.onCandle(c, this.#positionView(rt), c.ts + intervalMs);
    }
    rt.warm = true;
    this.#deps.logger.info(`${rt.settings.symbol} ready: warmed up on ${rt.history.length} candles, deciding from the candle of ${new Date(first.ts).toISOString()}`);
  }

  /**
   * A closed candle: time exit, entry timeout, then the strategy's decision. Not async on purpose:
   * a candle that needs no exchange call (most of them) is handled completely in the caller's turn,
   * which is what lets a backtest step a million candles a second; the steps that talk to the
   * exchange continue in #closedCandleSlow, in the same order.
   */
  #onClosedCandle(rt: SymbolRuntime, candle: Candle): Promise<void> | void {
    if (!rt.warm) return this.#warmUpBefore(rt, candle).then(() => this.#onClosedCandle(rt, candle));
    const last = rt.history.at(-1);
    if (last && candle.ts <= last.ts) return; // a stream/REST overlap: already handled
    this.#remember(rt, candle);
    if (candle.ts < rt.newestCandleTs) {
      // Behind: newer candles wait in the queue (slow exchange calls under faults). This one still
      // feeds the strategy's indicators, but only the newest is acted on: a signal, a time exit or
      // an entry timeout judged on a stale close would send one order per queued candle, each
      // about a market that has moved on (found by the soak test).
      rt.strategy.onCandle(candle, this.#positionView(rt), candle.ts + rt.settings.intervalMinutes * 60_000);
      return;
    }
    const now = Math.max(this.#now(), candle.ts + rt.settings.intervalMinutes * 60_000);
    this.#rollDailyWindow(now);
    // Closed orders are kept a while for late fills, then forgotten: without this a market maker's
    // order history grows for as long as the bot runs (thousands of quotes a day).
    if (now - this.#lastPruneMs >= 60_000) {
      this.#lastPruneMs = now;
      this.#tracker.prune(now);
    }
    const pos = this.#localPosition(rt);
    // The size (a Decimal to parse) is looked at last: on most candles no time exit is due.
    // Held candles count from the close the entry was decided on: the decision time is that close
    // plus however long the decision took live (milliseconds), which would otherwise make the
    // exit wait one candle more than in a backtest (tests/cli/parity.test.ts).
    const intervalMs = rt.settings.intervalMinutes * 60_000;
    const timeExit = pos !== null && rt.settings.exits !== undefined && timeExitDue(Math.floor(pos.openedMs / intervalMs) * intervalMs, candle.ts + intervalMs, rt.settings.intervalMinutes, rt.settings.exits.timeExitCandles) && dec(pos.size).gt(0);
    if (timeExit || rt.entryDeadlineMs !== null) return this.#closedCandleSlow(rt, candle, now, timeExit);
    return this.#decide(rt, candle, now);
  }

  async #closedCandleSlow(rt: SymbolRuntime, candle: Candle, now: number, timeExit: boolean): Promise<void> {
    if (timeExit) await this.#closePosition(rt, 'T', `held ${rt.settings.exits!.timeExitCandles} candles`);
    await this.#expireEntry(rt, now);
    await this.#decide(rt, candle, now);
  }

  #decide(rt: SymbolRuntime, candle: Candle, now: number): Promise<void> | void {
    if (!rt.settings.enabled || this.#stopping) return;
    const intent = rt.strategy.onCandle(candle, this.#positionView(rt), now);
    if (intent) return this.#act(rt, intent, now);
  }

  #onBookTop(top: BookTop): void {
    const rt = this.#symbols.get(top.symbol);
    if (!rt || rt.settings.strategy !== 'maker') return;
    rt.latestBook = top;
    if (rt.requoteQueued) return; // one requote at a time; it will use the newest book
    const now = this.#now();
    if (now - rt.lastRequoteMs < this.#settings.requoteMinIntervalMs) return;
    rt.requoteQueued = true;
    this.#enqueue(rt, async () => {
      rt.requoteQueued = false;
      const book = rt.latestBook;
      if (!book || !rt.settings.enabled || this.#stopping || !rt.warm) return;
      rt.lastRequoteMs = this.#now();
      const intent = rt.strategy.onBook(book, this.#positionView(rt), this.#now());
      if (intent) await this.#act(rt, intent, this.#now());
    });
  }

  #act(rt: SymbolRuntime, intent: Intent, now: number): Promise<void> | void {
    switch (intent.kind) {
      case 'enter':
        return this.#enter(rt, intent, now);
      case 'exit':
        return this.#closePosition(rt, 'S', intent.reason);
      case 'quote':
        return this.#requote(rt, intent, now);
    }
  }

  // ------------------------------------------------------------------ entries

  /** Not async: a signal refused by these checks (most of a backtest's) costs no promise. */
  #enter(rt: SymbolRuntime, intent: Extract<Intent, { kind: 'enter' }>, now: number): Promise<void> | void {
    const why = this.#entryRefusal(rt, now);
    // The reason is read only by a logger that prints it (the strategy may build it on first read).
    if (why !== null) return this.#deps.logger.info(`${rt.settings.symbol} ${intent.side} signal not traded: ${why}`, { get reason() { return intent.reason; } });
    return this.#enterChecked(rt, intent, now);
  }

  #entryRefusal(rt: SymbolRuntime, now: number): string | null {
    if (!rt.settings.sizing || !rt.settings.exits || !rt.instrument) return 'this symbol has no sizing or exit settings';
    const lock = this.#entryLock(now);
    if (lock) return `${lock.name}: ${lock.reason}`;
    if (this.#localPosition(rt) !== null) return 'a position or entry is already open';
    const openCount = Object.values(this.#deps.store.state.symbols).filter((s) => s.position !== null).length;
    if (openCount >= this.#settings.risk.maxOpenPositions) return `already ${openCount} open position(s), the maximum`;
    return null;
  }

  async #enterChecked(rt: SymbolRuntime, intent: Extract<Intent, { kind: 'enter' }>, now: number): Promise<void> {
    const sym = rt.settings.symbol;
    const { logger } = this.#deps;
    const skip = (why: string): void => logger.info(`${sym} ${intent.side} signal not traded: ${why}`, { reason: intent.reason });
    if (!rt.settings.sizing || !rt.settings.exits || !rt.instrument) return; // #entryRefusal checked them
    const balance = await this.#balance();
    this.#noteEquity(balance.equity);
    const newLock = this.#evaluateProtections(now);
    if (newLock) return skip(`${newLock.kind}: ${newLock.reason}`);

    const plan = planEntry(intent, {
      instrument: rt.instrument,
      equity: balance.equity,
      available: balance.available,
      sizing: rt.settings.sizing,
      leverage: rt.settings.leverage,
      takerFeePct: this.#settings.takerFeePct,
      ladderFractions: rt.settings.exits.ladderFractions,
      orderIdPrefix: this.#settings.orderIdPrefix,
    });
    if (plan.status === 'skipped') {
      logger.info(plan.reason);
      return;
    }
    const req = plan.request;
    const stamp = intent.decidedAtMs;
    // The plan is durable before the order leaves: after a crash the restart knows what was sent.
    this.#deps.store.update((d) => {
      const s = d.symbols[sym]!;
      s.position = {
        side: intent.side,
        size: '0',
        entryPrice: money(toPrice(intent.refPrice)),
        openedMs: now,
        entryOrderLinkId: req.orderLinkId,
        stop: { price: money(plan.stopLoss), orderLinkId: null, orderId: null },
        targets: plan.targets.map((t, i) => ({
          price: money(t.price),
          qty: money(t.qty),
          filled: false,
          orderLinkId: makeOrderLinkId(this.#settings.orderIdPrefix, sym, { kind: 'target', index: i + 1 }, stamp),
          orderId: null,
        })),
      };
      s.openOrders[req.orderLinkId] = this.#storedOrder(req, 'entry', now);
    });
    await this.#deps.store.flush();
    rt.entryDeadlineMs = now + rt.settings.exits.entryTimeoutSec * 1000;
    await this.#send(req, 'entry', intent.reason);
  }

  /** Sends an order that is already recorded; a refusal undoes the record, an unknown outcome leaves it for reconciliation. */
  async #send(req: OrderRequest, purpose: 'entry' | 'exit' | 'takeProfit' | 'quote', reason: string): Promise<boolean> {
    const now = this.#now();
    this.#journal({ type: 'order', ts: now, symbol: req.symbol, orderLinkId: req.orderLinkId, side: req.side, orderType: req.type, purpose, qty: money(req.qty), price: req.price ? money(req.price) : null, reduceOnly: req.reduceOnly, reason });
    this.#tracker.trackSent(req, now);
    try {
      const res = await this.#deps.port.placeOrder(req);
      this.#tracker.acknowledge(req.orderLinkId, res.orderId, this.#now());
      if (purpose !== 'quote') {
        this.#deps.store.update((d) => {
          const o = d.symbols[req.symbol]?.openOrders[req.orderLinkId];
          if (o && o.status === 'pending') {
            o.orderId = res.orderId;
            o.status = 'new';
          }
        });
      }
      return true;
    } catch (e) {
      const err = e instanceof ExchangeError ? e : new ExchangeError(String(e), 'retryable');
      if (err.kind === 'rejected' || err.kind === 'fatal') {
        // A reduce-only order for a position that closed meanwhile (110017) is expected, not a problem.
        const positionGone = req.reduceOnly && refusedForZeroPosition(err);
        this.#deps.logger[positionGone ? 'info' : 'warn'](`${req.symbol} ${purpose} order refused`, { orderLinkId: req.orderLinkId, retCode: err.retCode, message: err.retMsg ?? err.message });
        this.#tracker.applyUpdate({ ...this.#tracker.get(req.orderLinkId)!, status: 'rejected', rejectReason: err.retMsg, updatedMs: this.#now() }, this.#now());
        this.#deps.store.update((d) => {
          const s = d.symbols[req.symbol]!;
          delete s.openOrders[req.orderLinkId];
          if (purpose === 'entry' && s.position?.entryOrderLinkId === req.orderLinkId && dec(s.position.size).isZero()) s.position = null;
        });
        if (purpose !== 'quote' && !positionGone) this.#alert('warning', 'error', `${req.symbol} ${purpose} refused`, `Bybit said ${err.retCode ?? ''} ${err.retMsg ?? err.message}`, req.symbol);
        // An exit for a position the exchange says is flat: the fills that closed it have not
        // reached us (a stalled or dropped stream). Fetch them now instead of retrying the exit on
        // every candle until the stream catches up (found by the soak test).
        if (positionGone && purpose === 'exit') this.#resyncSoon();
      } else {
        // Unknown outcome (timeout, connection lost): the id makes a later look-up safe.
        this.#deps.logger.warn(`${req.symbol} ${purpose} order outcome unknown; reconciliation will look it up`, { orderLinkId: req.orderLinkId, error: err.message });
      }
      return false;
    }
  }

  /**
   * A quote the exchange would refuse for its size: said once per symbol (an error and a critical
   * alert), since the maker then quotes nothing at all on that symbol.
   */
  #quoteTooSmall(rt: SymbolRuntime, wanted: number, rounded: Decimal, price: Decimal): void {
    if (rt.quoteTooSmallSaid) return;
    rt.quoteTooSmallSaid = true;
    const sym = rt.settings.symbol;
    const ins = rt.instrument!;
    const body =
      `A quote of ${wanted} ${sym} (${rounded.toFixed()} after Bybit's step of ${ins.qtyStep.toFixed()}) is below the minimum order ` +
      `of ${ins.minQty.toFixed()} and ${ins.minNotional.toFixed()} USDT at ${price.toFixed()}, so no quotes are placed. ` +
      `Raise params.orderQty of ${sym} in config.json.`;
    this.#deps.logger.error(`${sym} maker cannot quote: ${body}`);
    this.#alert('critical', 'error', `${sym} maker cannot quote`, body, sym);
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

  async #expireEntry(rt: SymbolRuntime, now: number): Promise<void> {
    if (rt.entryDeadlineMs === null || now < rt.entryDeadlineMs) return;
    rt.entryDeadlineMs = null;
    const pos = this.#localPosition(rt);
    const linkId = pos?.entryOrderLinkId;
    if (!linkId) return;
    const o = this.#tracker.get(linkId);
    if (o && !TERMINAL_ORDER_STATUSES.has(o.status)) await this.#cancel(rt, linkId, 'entry timeout');
  }

  // ------------------------------------------------------------------ exchange events

  async #onOrder(rt: SymbolRuntime, order: Order): Promise<void> {
    const outcome = this.#tracker.applyUpdate(order, this.#now());
    if (outcome === 'stale') return;
    const current = this.#tracker.get(order.orderLinkId) ?? order;
    const terminal = TERMINAL_ORDER_STATUSES.has(current.status);
    const sym = rt.settings.symbol;
    const stored = this.#deps.store.state.symbols[sym]?.openOrders[order.orderLinkId];
    if (stored) {
      this.#deps.store.update((d) => {
        const s = d.symbols[sym]!;
        if (terminal) delete s.openOrders[order.orderLinkId];
        else {
          const o = s.openOrders[order.orderLinkId]!;
          o.orderId = current.orderId ?? o.orderId;
          o.status = current.status === 'partiallyFilled' ? 'partiallyFilled' : 'new';
          o.filledQty = money(current.filledQty);
        }
      });
    }
    const role = parseOrderLinkId(this.#settings.orderIdPrefix, order.orderLinkId)?.role;
    if (!terminal || !role) return;
    if (role.kind === 'entry') await this.#afterEntry(rt, current);
    else if (role.kind === 'target' && current.status === 'filled') await this.#afterTarget(rt, role.index);
  }

  async #onFill(rt: SymbolRuntime, fill: Fill): Promise<void> {
    if (!this.#tracker.recordFill(fill)) return;
    rt.lastFillTs = Math.max(rt.lastFillTs ?? 0, fill.ts);
    this.#journal({ type: 'fill', ts: fill.ts, symbol: fill.symbol, execId: fill.execId, orderLinkId: fill.orderLinkId, orderId: fill.orderId, side: fill.side, price: money(fill.price), qty: money(fill.qty), fee: money(fill.fee), isMaker: fill.isMaker });
    const sym = rt.settings.symbol;
    for (const trip of rt.roundTrip.apply(fill)) await this.#onTradeClosed(rt, trip);
    // The position as the fills say, until the exchange's own position push confirms it.
    const side = rt.roundTrip.side;
    const pos = this.#localPosition(rt);
    if (side !== null && pos !== null) {
      this.#deps.store.update((d) => {
        const p = d.symbols[sym]!.position!;
        p.size = money(rt.roundTrip.openQty);
        p.entryPrice = money(rt.roundTrip.entryPrice);
      });
    } else if (side !== null && pos === null) {
      // A fill that opened a position without an entry record: the maker's quotes.
      this.#deps.store.update((d) => {
        d.symbols[sym]!.position = { side, size: money(rt.roundTrip.openQty), entryPrice: money(rt.roundTrip.entryPrice), openedMs: fill.ts, entryOrderLinkId: null, stop: null, targets: [] };
      });
    }
    if (rt.settings.strategy === 'maker' && side !== null) await this.#protectMakerInventory(rt);
  }

  /** The entry is done (filled, or partly filled and the rest cancelled): protect and ladder what filled. */
  async #afterEntry(rt: SymbolRuntime, entry: Order): Promise<void> {
    rt.entryDeadlineMs = null;
    const sym = rt.settings.symbol;
    const pos = this.#localPosition(rt);
    if (!pos || pos.entryOrderLinkId !== entry.orderLinkId) return;
    if (entry.filledQty.isZero()) {
      this.#deps.store.update((d) => {
        d.symbols[sym]!.position = null;
      });
      this.#deps.logger.info(`${sym} entry ${entry.orderLinkId} ended unfilled (${entry.status})`);
      return;
    }
    const exits = rt.settings.exits!;
    const ins = rt.instrument!;
    const entryPrice = entry.avgFillPrice ?? dec(pos.entryPrice);
    const stop = dec(pos.stop!.price);
    // The stop was attached to the entry; set it on the position as well, so it covers exactly what
    // filled. When it was attached, a failure here leaves that stop in force: a warning, not an alarm.
    await this.#setStop(rt, stop, 'entry filled', entry.stopLoss !== null);
    const orders = ladderOrders({
      symbol: sym,
      side: pos.side,
      filledQty: entry.filledQty,
      prices: pos.targets.map((t) => dec(t.price)),
      fractions: exits.ladderFractions,
      instrument: ins,
      prefix: this.#settings.orderIdPrefix,
      entryStampMs: parseOrderLinkId(this.#settings.orderIdPrefix, entry.orderLinkId)?.stampMs ?? pos.openedMs,
    });
    const now = this.#now();
    this.#deps.store.update((d) => {
      const p = d.symbols[sym]!.position!;
      p.size = money(entry.filledQty);
      p.entryPrice = money(entryPrice);
      p.targets = orders.map((o) => ({ price: money(o.price!), qty: money(o.qty), filled: false, orderLinkId: o.orderLinkId, orderId: null }));
      for (const o of orders) d.symbols[sym]!.openOrders[o.orderLinkId] = this.#storedOrder(o, 'takeProfit', now);
    });
    await this.#deps.store.flush();
    for (const o of orders) await this.#send(o, 'takeProfit', 'take-profit ladder');
    if (exits.trailing.enabled) {
      await this.#tradingStop(rt, trailingStop({ symbol: sym, side: pos.side, entryPrice, initialStop: stop, activationR: exits.trailing.activationR, distancePct: exits.trailing.distancePct, instrument: ins }), 'trailing stop', true);
    }
    this.#alert('trade', 'fill', `${sym} ${pos.side} opened`, `${entry.filledQty.toFixed()} @ ${entryPrice.toFixed()}, stop ${stop.toFixed()}, ${orders.length} target(s)`, sym);
  }

  async #afterTarget(rt: SymbolRuntime, index: number): Promise<void> {
    const sym = rt.settings.symbol;
    const pos = this.#localPosition(rt);
    if (!pos) return;
    this.#deps.store.update((d) => {
      const t = d.symbols[sym]!.position?.targets.find((x) => x.orderLinkId?.includes(`-T${index}-`));
      if (t) t.filled = true;
    });
    const filled = this.#localPosition(rt)?.targets.filter((t) => t.filled).length ?? 0;
    this.#alert('trade', 'takeProfit', `${sym} target ${index} filled`, `${filled} of ${pos.targets.length} targets done`, sym);
    const be = rt.settings.exits?.breakeven;
    const remaining = this.#localPosition(rt);
    if (!be?.enabled || filled < be.afterTargets || !remaining || dec(remaining.size).isZero() || !rt.instrument) return;
    const stop = breakevenStop(remaining.side, dec(remaining.entryPrice), be.feeBufferPct, rt.instrument);
    const current = remaining.stop ? dec(remaining.stop.price) : null;
    if (!improvesStop(remaining.side, current, stop)) return;
    // If price is already back through the breakeven level the exchange refuses the move; the
    // existing stop still protects the position, so that is a warning, not an alarm.
    if (!(await this.#setStop(rt, stop, 'breakeven', current !== null))) return;
    this.#alert('trade', 'breakeven', `${sym} stop to breakeven`, `Stop moved to ${stop.toFixed()} after target ${index}.`, sym);
  }

  async #onTradeClosed(rt: SymbolRuntime, trip: ClosedRoundTrip): Promise<void> {
    const sym = rt.settings.symbol;
    const reason = this.#exitReason(rt, trip.lastFill);
    this.#journal({
      type: 'exit',
      ts: trip.exitTs,
      symbol: sym,
      side: trip.side,
      entryTs: trip.entryTs,
      entryPrice: money(trip.entryPrice.toDecimalPlaces(8)),
      exitPrice: money(trip.exitPrice.toDecimalPlaces(8)),
      qty: money(trip.qty),
      fees: money(trip.fees.toDecimalPlaces(8)),
      pnl: money(trip.pnl.toDecimalPlaces(8)),
      reason,
    });
    // Day windows, streaks and locks run on the engine's market clock, like its decisions (the
    // closing fill carries the exchange's own stamp, which a replay does not share).
    const now = this.#now();
    this.#closedTrades.push({ symbol: sym, closedAtMs: now, pnl: trip.pnl });
    if (this.#closedTrades.length > 200) this.#closedTrades.splice(0, this.#closedTrades.length - 200);
    this.#rollDailyWindow(now);
    this.#deps.store.update((d) => {
      if (d.daily) d.daily.realisedPnl = money(dec(d.daily.realisedPnl).plus(trip.pnl).toDecimalPlaces(8));
    });
    await this.#clearPosition(rt);
    const level = trip.pnl.isNegative() ? 'warning' : 'trade';
    this.#alert(level, reason === 'stopLoss' ? 'stopLoss' : reason === 'takeProfit' ? 'takeProfit' : 'fill', `${sym} ${trip.side} closed: ${reason}`, `PnL ${trip.pnl.toFixed(2)} USDT (fees ${trip.fees.toFixed(2)}), ${trip.qty.toFixed()} @ ${trip.entryPrice.toFixed(2)} → ${trip.exitPrice.toFixed(2)}`, sym);
    this.#evaluateProtections(now);
  }

  #exitReason(rt: SymbolRuntime, last: Fill): string {
    if (last.trigger) return last.trigger;
    const parsed = parseOrderLinkId(this.#settings.orderIdPrefix, last.orderLinkId);
    if (parsed?.role.kind === 'target') return 'takeProfit';
    if (parsed?.role.kind === 'exit') return EXIT_CODES[parsed.role.code as ExitCode] ?? 'exit';
    if (parsed?.role.kind === 'quote') return rt.settings.strategy === 'maker' ? 'quote' : 'exit';
    return 'manual';
  }

  /** After a position ends: cancel what is left of its ladder and forget it. */
  async #clearPosition(rt: SymbolRuntime): Promise<void> {
    const sym = rt.settings.symbol;
    for (const o of this.#tracker.open(sym)) {
      const role = parseOrderLinkId(this.#settings.orderIdPrefix, o.orderLinkId)?.role;
      if (role?.kind === 'target') await this.#cancel(rt, o.orderLinkId, 'position closed');
    }
    this.#deps.store.update((d) => {
      const s = d.symbols[sym]!;
      s.position = null;
      for (const [id, o] of Object.entries(s.openOrders)) if (o.purpose === 'takeProfit') delete s.openOrders[id];
    });
  }

  // ------------------------------------------------------------------ exits and stops

  /**
   * Closes the position at market. Orders that could add to it (an entry, the maker's quotes) are
   * cancelled first; the exit goes out next; the reduce-only ladder, which can never open a
   * position, is cancelled after it, so the exit waits for no round trip it does not need.
   */
  async #closePosition(rt: SymbolRuntime, code: ExitCode, reason: string): Promise<void> {
    const sym = rt.settings.symbol;
    const roleOf = (o: Order) => parseOrderLinkId(this.#settings.orderIdPrefix, o.orderLinkId)?.role.kind;
    for (const o of this.#tracker.open(sym)) if (roleOf(o) === 'quote' || roleOf(o) === 'entry') await this.#cancel(rt, o.orderLinkId, reason);
    const pos = this.#localPosition(rt);
    if (pos && !dec(pos.size).isZero()) {
      const now = this.#now();
      const req: OrderRequest = {
        symbol: sym,
        side: pos.side === 'long' ? 'sell' : 'buy',
        type: 'market',
        qty: dec(pos.size),
        price: null,
        timeInForce: 'IOC',
        reduceOnly: true,
        orderLinkId: makeOrderLinkId(this.#settings.orderIdPrefix, sym, { kind: 'exit', code }, now),
        stopLoss: null,
        takeProfit: null,
      };
      // Recorded, not flushed first: an exit repeated after a crash is refused (reduce-only on a
      // flat position), so unlike an entry it cannot do harm twice.
      this.#deps.store.update((d) => {
        d.symbols[sym]!.openOrders[req.orderLinkId] = this.#storedOrder(req, 'exit', now);
      });
      await this.#send(req, 'exit', `${EXIT_CODES[code]}: ${reason}`);
    }
    for (const o of this.#tracker.open(sym)) if (roleOf(o) === 'target') await this.#cancel(rt, o.orderLinkId, reason);
  }

  async #flattenAll(code: 'K' | 'C'): Promise<void> {
    for (const rt of this.#symbols.values()) {
      await this.#enqueueAndWait(rt, async () => {
        for (const o of this.#tracker.open(rt.settings.symbol)) await this.#cancel(rt, o.orderLinkId, EXIT_CODES[code]);
        await this.#closePosition(rt, code, EXIT_CODES[code]);
      });
    }
  }

  /** Sets the position's stop; false when the exchange refused (see #tradingStop). */
  async #setStop(rt: SymbolRuntime, stop: Decimal, why: string, stillProtected = false): Promise<boolean> {
    const ok = await this.#tradingStop(rt, { symbol: rt.settings.symbol, stopLoss: stop }, why, stillProtected);
    if (!ok) return false;
    this.#deps.store.update((d) => {
      const p = d.symbols[rt.settings.symbol]?.position;
      if (p) p.stop = { price: money(stop), orderLinkId: null, orderId: null };
    });
    return true;
  }

  /**
   * A trading-stop call. A failure is an alarm when it may leave the position unprotected; when an
   * earlier stop still stands (`stillProtected`, e.g. a breakeven move refused), it is a warning.
   */
  async #tradingStop(rt: SymbolRuntime, req: Parameters<ExchangePort['setTradingStop']>[0], why: string, stillProtected = false): Promise<boolean> {
    try {
      await this.#deps.port.setTradingStop(req);
      return true;
    } catch (e) {
      const err = e instanceof ExchangeError ? e : new ExchangeError(String(e), 'retryable');
      const detail = { retCode: err.retCode, message: err.retMsg ?? err.message };
      if (refusedForZeroPosition(err)) {
        // Bybit: "can not set tp/sl/ts for zero position". The position closed on the exchange
        // before this request arrived (a burst of fills, a stop that triggered): there is nothing
        // to protect. The closing fills are on their way; fetch them if the stream is behind.
        this.#deps.logger.info(`${rt.settings.symbol} trading-stop not needed (${why}): the position is already closed on the exchange`, detail);
        this.#resyncSoon();
        return false;
      }
      if (stillProtected) {
        this.#deps.logger.warn(`${rt.settings.symbol} trading-stop refused (${why}); the previous stop stays in force`, detail);
        return false;
      }
      if (refusedStopBeyondPrice(err) && req.stopLoss !== undefined) {
        // Bybit: "StopLoss:X set for Buy position should lower than base_price:Y". The market has
        // already passed the stop, so the stop would have fired: do what it would have done.
        this.#deps.logger.warn(`${rt.settings.symbol} the market is already beyond the stop (${why}); closing at market`, detail);
        await this.#closePosition(rt, 'L', `price already beyond the stop ${req.stopLoss.toFixed()}`);
        return false;
      }
      this.#deps.logger.error(`${rt.settings.symbol} trading-stop failed (${why})`, detail);
      this.#alert('critical', 'error', `${rt.settings.symbol} stop not set`, `${why}: ${err.retCode ?? ''} ${err.retMsg ?? err.message}. Reconciliation retries within a minute.`, rt.settings.symbol);
      return false;
    }
  }

  #fallbackStop(rt: SymbolRuntime, side: PositionSide, entry: Decimal): Decimal {
    const move = entry.mul(this.#settings.fallbackStopPct).div(100);
    const tick = rt.instrument?.tickSize ?? dec('0.01');
    return side === 'long' ? roundToStep(entry.minus(move), tick, 'down') : roundToStep(entry.plus(move), tick, 'up');
  }

  /** The maker's inventory gets an exchange-side stop too (DESIGN section 1: every position). */
  async #protectMakerInventory(rt: SymbolRuntime): Promise<void> {
    const pos = this.#localPosition(rt);
    const pct = rt.settings.protectiveStopPct;
    if (!pos || pct === undefined || dec(pos.size).isZero() || !rt.instrument) return;
    const entry = dec(pos.entryPrice);
    const move = entry.mul(pct).div(100);
    const stop = pos.side === 'long' ? roundToStep(entry.minus(move), rt.instrument.tickSize, 'down') : roundToStep(entry.plus(move), rt.instrument.tickSize, 'up');
    if (pos.stop && dec(pos.stop.price).eq(stop)) return;
    await this.#setStop(rt, stop, 'maker inventory stop');
  }

  // ------------------------------------------------------------------ market maker

  #liveQuotes(rt: SymbolRuntime): LiveQuote[] {
    const out: LiveQuote[] = [];
    for (const o of this.#tracker.open(rt.settings.symbol)) {
      const role = parseOrderLinkId(this.#settings.orderIdPrefix, o.orderLinkId)?.role;
      if (role?.kind !== 'quote' || o.price === null) continue;
      out.push({ id: o.orderLinkId, side: o.side, level: role.level, price: o.price.toNumber(), qty: o.qty.minus(o.filledQty).toNumber(), placedMs: o.createdMs });
    }
    return out;
  }

  async #requote(rt: SymbolRuntime, intent: Extract<Intent, { kind: 'quote' }>, now: number): Promise<void> {
    const ins = rt.instrument;
    if (!ins) return;
    const pos = this.#localPosition(rt);
    // While entries are locked, only quotes that reduce the inventory stay.
    const locked = this.#entryLock(now) !== null;
    const desired = intent.quotes.filter((q) => !locked || (pos !== null && (pos.side === 'long' ? q.side === 'sell' : q.side === 'buy')));
    const tol = rt.settings.quoteTolerance ?? { pricePct: 0.02, maxAgeMs: 300_000 };
    const diff = diffQuotes(this.#liveQuotes(rt), desired, { pricePct: tol.pricePct, maxAgeMs: tol.maxAgeMs, nowMs: now });
    for (const c of diff.cancel) await this.#cancel(rt, c.id, 'requote');
    for (const a of diff.amend) {
      const price = roundToStep(toPrice(a.desired.price), ins.tickSize, a.desired.side === 'buy' ? 'down' : 'up');
      const qty = roundToStep(toPrice(a.desired.qty), ins.qtyStep, 'down');
      if (qty.lt(ins.minQty)) {
        await this.#cancel(rt, a.live.id, 'quote below minimum');
        continue;
      }
      try {
        await this.#deps.port.amendOrder({ symbol: rt.settings.symbol, orderLinkId: a.live.id, price, qty });
      } catch (e) {
        this.#deps.logger.info(`${rt.settings.symbol} quote amend failed; cancelling it`, { orderLinkId: a.live.id, error: e instanceof Error ? e.message : String(e) });
        await this.#cancel(rt, a.live.id, 'amend failed');
      }
    }
    for (const q of diff.create) {
      const price = roundToStep(toPrice(q.price), ins.tickSize, q.side === 'buy' ? 'down' : 'up');
      const qty = roundToStep(toPrice(q.qty), ins.qtyStep, 'down');
      if (qty.lt(ins.minQty) || qty.mul(price).lt(ins.minNotional)) {
        this.#quoteTooSmall(rt, q.qty, qty, price);
        continue;
      }
      const reduces = pos !== null && (pos.side === 'long' ? q.side === 'sell' : q.side === 'buy');
      await this.#send(
        {
          symbol: rt.settings.symbol,
          side: q.side,
          type: 'limit',
          qty: reduces ? Dec.min(qty, dec(pos.size)) : qty,
          price,
          timeInForce: 'PostOnly',
          reduceOnly: false,
          orderLinkId: makeOrderLinkId(this.#settings.orderIdPrefix, rt.settings.symbol, { kind: 'quote', side: q.side, level: q.level }, now),
          stopLoss: null,
          takeProfit: null,
        },
        'quote',
        intent.reason,
      );
    }
  }

  // ------------------------------------------------------------------ protections

  /** The first block, else the first protection lock still active: no list built (it runs for every signal). */
  #entryLock(now: number): { name: string; reason: string } | null {
    for (const [source, reason] of this.#blocks) return { name: source, reason };
    const p = this.#deps.store.state.protections;
    for (const name of Object.keys(p) as ProtectionName[]) {
      const l = p[name];
      if (l && (l.untilMs === null || l.untilMs > now)) return { name, reason: l.reason };
    }
    return null;
  }

  /** Checks daily loss, drawdown and loss streak; stores and announces a new lock. */
  #evaluateProtections(now: number): Lock | null {
    const risk = this.#settings.risk;
    const st = this.#deps.store.state;
    const found: [ProtectionName, Lock | null][] = [
      [
        'dailyLoss',
        st.daily?.equityAtDayStart
          ? dailyLossLock({ trades: [{ symbol: '*', closedAtMs: st.daily.dayStartMs, pnl: dec(st.daily.realisedPnl) }], nowMs: now, timeZone: risk.dayTimeZone, dayStartEquity: dec(st.daily.equityAtDayStart), maxDailyLossPct: risk.maxDailyLossPct })
          : null,
      ],
      ['drawdown', st.equityPeak && this.#lastEquity ? drawdownLock({ equityPeak: dec(st.equityPeak.equity), equity: this.#lastEquity, maxDrawdownPct: risk.maxDrawdownPct, nowMs: now }) : null],
      ['consecutiveLoss', lossStreakLock({ trades: this.#closedTrades, nowMs: now, losses: risk.lossStreak.losses, cooldownMinutes: risk.lossStreak.cooldownMinutes })],
    ];
    let first: Lock | null = null;
    for (const [name, lock] of found) {
      if (!lock) continue;
      first ??= lock;
      const existing = st.protections[name];
      if (existing && (existing.untilMs === null || existing.untilMs > now)) continue;
      this.#setLock(name, { reason: lock.reason, sinceMs: lock.sinceMs, untilMs: lock.untilMs });
      this.#alert(name === 'drawdown' ? 'critical' : 'warning', name === 'drawdown' ? 'killSwitch' : 'error', `Entries stopped: ${name}`, lock.reason);
    }
    return first;
  }

  #setLock(name: ProtectionName, lock: { reason: string; sinceMs: number; untilMs: number | null }): void {
    this.#deps.store.update((d) => {
      d.protections[name] = lock;
    });
  }

  #rollDailyWindow(now: number): void {
    const tz = this.#settings.risk.dayTimeZone;
    const daily = this.#deps.store.state.daily;
    if (daily && now < this.#dayEndMs(daily.dayStartMs, tz)) {
      if (daily.equityAtDayStart === null && this.#lastEquity) {
        const eq = money(this.#lastEquity);
        this.#deps.store.update((d) => {
          d.daily!.equityAtDayStart = eq;
        });
      }
      return;
    }
    const equityAtDayStart = this.#lastEquity ? money(this.#lastEquity) : null;
    this.#deps.store.update((d) => {
      d.daily = { dayStartMs: startOfDayMs(now, tz), realisedPnl: '0', equityAtDayStart };
    });
  }

  /**
   * nextDayStartMs for the current daily window, remembered: it formats dates in the zone (Intl),
   * far too slow to repeat on every candle of a backtest, and it only changes with the window.
   */
  #dayEndMs(dayStartMs: number, tz: string): number {
    const c = this.#dayEnd;
    if (c !== null && c.dayStartMs === dayStartMs && c.tz === tz) return c.endMs;
    const endMs = nextDayStartMs(dayStartMs, tz);
    this.#dayEnd = { dayStartMs, tz, endMs };
    return endMs;
  }

  /**
   * The balance to size an entry with: the wallet stream's newest while fresh (it pushes on every
   * change), so an entry costs no REST round trip; otherwise asked for.
   */
  async #balance(): Promise<Balance> {
    const cached = this.#lastBalance;
    if (cached && this.#deps.now() - cached.atMs < BALANCE_FRESH_MS) return cached.balance;
    const balance = await this.#deps.port.fetchBalance();
    this.#lastBalance = { balance, atMs: this.#deps.now() };
    return balance;
  }

  #noteEquity(equity: Decimal): void {
    this.#lastEquity = equity;
    const peak = this.#deps.store.state.equityPeak;
    if (!peak || equity.gt(dec(peak.equity))) {
      this.#deps.store.update((d) => {
        d.equityPeak = { equity: money(equity), atMs: this.#now() };
      });
    }
  }

  // ------------------------------------------------------------------ helpers

  /** Decision time: the clock, moved onto the market's time (see #marketOffsetMs). */
  #now(): number {
    return this.#deps.now() + (this.#marketOffsetMs ?? 0);
  }

  #observeClose(closeMs: number): void {
    if (closeMs <= this.#newestCloseMs) return;
    this.#newestCloseMs = closeMs;
    this.#marketOffsetMs = closeMs - this.#deps.now();
  }

  async #cancel(rt: SymbolRuntime, orderLinkId: string, why: string): Promise<void> {
    try {
      const cancelled = await this.#deps.port.cancelOrder(rt.settings.symbol, orderLinkId);
      if (!cancelled) this.#deps.logger.debug(`${orderLinkId} was already closed (${why})`);
    } catch (e) {
      this.#deps.logger.warn(`${rt.settings.symbol} cancel failed (${why})`, { orderLinkId, error: e instanceof Error ? e.message : String(e) });
    }
  }

  #localPosition(rt: SymbolRuntime): DeepReadonly<PositionState> | null {
    return this.#deps.store.state.symbols[rt.settings.symbol]?.position ?? null;
  }

  #positionView(rt: SymbolRuntime): PositionView {
    const p = this.#localPosition(rt);
    if (!p) return FLAT;
    // A pending entry counts as open: the strategy must not signal a second one.
    return { side: p.side, sizeBase: Math.max(Number(p.size), Number.MIN_VALUE), entryPrice: Number(p.entryPrice) };
  }

  #storedOrder(req: OrderRequest, purpose: 'entry' | 'exit' | 'takeProfit', now: number): PersistedState['symbols'][string]['openOrders'][string] {
    return { orderLinkId: req.orderLinkId, orderId: null, side: req.side, type: req.type, purpose, status: 'pending', price: req.price ? money(req.price) : null, qty: money(req.qty), filledQty: '0', reduceOnly: req.reduceOnly, createdMs: now };
  }

  #remember(rt: SymbolRuntime, c: Candle): void {
    rt.history.push(c);
    // Trimmed in batches (one splice per HISTORY_LIMIT candles, not one per candle); readers look at
    // the newest HISTORY_LIMIT only.
    if (rt.history.length >= 2 * HISTORY_LIMIT) rt.history.splice(0, rt.history.length - HISTORY_LIMIT);
  }

  /** Journal writes run beside trading (an fsync must not delay an order); idle() waits for them. */
  #journal(record: JournalRecord): void {
    const write = this.#deps.journal
      .append(record)
      .catch((e: unknown) => this.#deps.logger.error('journal write failed', { error: e instanceof Error ? e.message : String(e), type: record.type }))
      .finally(() => this.#journalWrites.delete(write));
    this.#journalWrites.add(write);
  }

  #alert(level: 'info' | 'trade' | 'warning' | 'critical', kind: string, title: string, body: string, symbol?: string, dedupeKey?: string): void {
    try {
      this.#deps.alerts.send({ level, kind, title, body, ...(symbol ? { symbol } : {}), ...(dedupeKey ? { dedupeKey } : {}) });
    } catch (e) {
      this.#deps.logger.warn('alert failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  #enqueue(rt: SymbolRuntime, task: () => Promise<void> | void): void {
    // Behind a task running inline, which has no promise in the queue until something must wait for it.
    if (rt.inline && rt.gate === null) rt.queue = new Promise<void>((resolve) => (rt.gate = resolve));
    rt.pending++;
    rt.queue = rt.queue
      .then(task)
      .catch((e: unknown) => this.#taskFailed(rt, e))
      .finally(() => {
        rt.pending--;
      });
  }

  /**
   * Like #enqueue, but when nothing is queued for the symbol the task starts at once, in the
   * caller's turn, instead of one microtask later: the same order of events, and a task that has
   * nothing to wait for (a candle with no decision, the common case) finishes before this returns.
   * Used for closed candles only, which exchanges push from a quiet point (never from inside a
   * simulator call), so starting the handler there cannot re-enter anything.
   */
  #enqueueOrRun(rt: SymbolRuntime, task: () => Promise<void> | void): void {
    if (rt.pending > 0) return this.#enqueue(rt, task);
    rt.pending++;
    // Events enqueued while this task runs must wait for it, as they would behind a queued task:
    // #enqueue puts a gate in the queue for them. A task that finishes here (most candles) and
    // that nothing waited for costs no promise at all.
    rt.inline = true;
    let result: Promise<void> | void;
    try {
      result = task();
    } catch (e) {
      this.#taskFailed(rt, e);
      result = undefined;
    }
    rt.inline = false;
    if (rt.gate === null && result !== undefined) rt.queue = new Promise<void>((resolve) => (rt.gate = resolve));
    const finish = rt.gate;
    rt.gate = null;
    if (result === undefined) {
      rt.pending--;
      finish?.();
      return;
    }
    result
      .catch((e: unknown) => this.#taskFailed(rt, e))
      .finally(() => {
        rt.pending--;
        finish!();
      });
  }

  #taskFailed(rt: SymbolRuntime, e: unknown): void {
    // A failure in one event must not stop the next: log it and keep the loop alive.
    this.#deps.logger.error(`${rt.settings.symbol}: event handling failed`, { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }

  #enqueueAndWait(rt: SymbolRuntime, task: () => Promise<void>): Promise<void> {
    this.#enqueue(rt, task);
    return rt.queue;
  }

  #enabledSymbols(): string[] {
    return this.#settings.symbols.filter((s) => s.enabled).map((s) => s.symbol);
  }

  #guard(strategy: Strategy): GuardedStrategy {
    return guardStrategy(strategy, (message, error) => this.#deps.logger.error(message, { error: error instanceof Error ? error.message : String(error) }));
  }

  #newRuntime(s: EngineSymbolSettings): SymbolRuntime {
    const strategy = this.#deps.strategies.get(s.symbol);
    if (!strategy) throw new RangeError(`no strategy for ${s.symbol}`);
    return {
      settings: s,
      source: strategy,
      strategy: this.#guard(strategy),
      instrument: null,
      history: [],
      roundTrip: new RoundTrip(s.symbol),
      queue: Promise.resolve(),
      pending: 0,
      inline: false,
      gate: null,
      lastRequoteMs: 0,
      requoteQueued: false,
      newestCandleTs: 0,
      quoteTooSmallSaid: false,
      latestBook: null,
      exchangePosition: null,
      entryDeadlineMs: null,
      warm: false,
      lastFillTs: null,
    };
  }

  get started(): boolean {
    return this.#started;
  }
}
