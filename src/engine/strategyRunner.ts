/**
 * From market data to decisions: a closed candle warms up or feeds the strategy, checks the time
 * exit and the entry timeout, and acts on the strategy's intent; a book top does the same for the
 * market maker. Intents go to the entry placer, the position manager or the maker's quoting.
 */
import type { Candle, Intent } from '../domain/types.js';
import { FLAT, type BookTop as StrategyBookTop, type Strategy } from '../strategies/strategy.js';
import type { EngineContext } from './engineContext.js';
import type { EntryPlacer } from './entryPlacer.js';
import type { MakerQuoting } from './makerQuoting.js';
import type { PositionManager } from './positionManager.js';
import type { RiskGate } from './riskGate.js';
import { guardWithLog, positionView, rememberCandle, type SymbolRuntime } from './symbolRuntime.js';

export class StrategyRunner {
  readonly #ctx: EngineContext;
  readonly #risk: RiskGate;
  readonly #positions: PositionManager;
  readonly #entries: EntryPlacer;
  readonly #maker: MakerQuoting;
  /** When closed orders were last forgotten (market time); see onClosedCandle. */
  #lastPruneMs = 0;

  constructor(ctx: EngineContext, parts: { readonly risk: RiskGate; readonly positions: PositionManager; readonly entries: EntryPlacer; readonly maker: MakerQuoting }) {
    this.#ctx = ctx;
    this.#risk = parts.risk;
    this.#positions = parts.positions;
    this.#entries = parts.entries;
    this.#maker = parts.maker;
  }

  /**
   * A closed candle: time exit, entry timeout, then the strategy's decision. Not async on purpose:
   * a candle that needs no exchange call (most of them) is handled completely in the caller's turn,
   * which is what lets a backtest step a million candles a second; the steps that talk to the
   * exchange continue in #closedCandleSlow, in the same order.
   */
  onClosedCandle(rt: SymbolRuntime, candle: Candle): Promise<void> | void {
    if (!rt.warm) return this.#warmThenHandle(rt, candle);
    const last = rt.history.at(-1);
    if (last && candle.ts <= last.ts) return; // a stream/REST overlap: already handled
    rememberCandle(rt, candle);
    if (candle.ts < rt.newestCandleTs) {
      // Behind: newer candles wait in the queue (slow exchange calls under faults). This one still
      // feeds the strategy's indicators, but only the newest is acted on: a signal, a time exit or
      // an entry timeout judged on a stale close would send one order per queued candle, each
      // about a market that has moved on (found by the soak test).
      rt.strategy.onCandle(candle, positionView(this.#ctx.store, rt), candle.ts + rt.settings.intervalMinutes * 60_000);
      return;
    }
    const now = Math.max(this.#ctx.now(), candle.ts + rt.settings.intervalMinutes * 60_000);
    this.#risk.rollDailyWindow(now);
    // Closed orders are kept a while for late fills, then forgotten: without this a market maker's
    // order history grows for as long as the bot runs (thousands of quotes a day).
    if (now - this.#lastPruneMs >= 60_000) {
      this.#lastPruneMs = now;
      this.#ctx.tracker.prune(now);
    }
    const timeExit = this.#positions.timeExitDue(rt, candle.ts);
    if (timeExit || rt.entryDeadlineMs !== null) return this.#closedCandleSlow(rt, candle, now, timeExit);
    return this.#decide(rt, candle, now);
  }

  /** In a function of its own: a closure made in onClosedCandle would cost it a context at every call. */
  #warmThenHandle(rt: SymbolRuntime, candle: Candle): Promise<void> {
    return this.#warmUpBefore(rt, candle).then(() => this.onClosedCandle(rt, candle));
  }

  /**
   * A new book top: kept as the newest, and true when a requote should be queued for it (a
   * maker only; one requote at a time, which will use the newest book; at most every
   * requoteMinIntervalMs).
   */
  wantsRequote(rt: SymbolRuntime, top: StrategyBookTop): boolean {
    if (rt.settings.strategy !== 'maker') return false;
    rt.latestBook = top;
    if (rt.requoteQueued) return false;
    const now = this.#ctx.now();
    if (now - rt.lastRequoteMs < this.#ctx.settings().requoteMinIntervalMs) return false;
    rt.requoteQueued = true;
    return true;
  }

  /** The maker's turn after a book top (the Engine queues it, one at a time): requote from the newest book. */
  async onBook(rt: SymbolRuntime): Promise<void> {
    rt.requoteQueued = false;
    const book = rt.latestBook;
    if (!book || !rt.settings.enabled || this.#ctx.stopping() || !rt.warm) return;
    rt.lastRequoteMs = this.#ctx.now();
    const intent = rt.strategy.onBook(book, positionView(this.#ctx.store, rt), this.#ctx.now());
    if (intent) await this.#act(rt, intent, this.#ctx.now());
  }

  /** Hot reload: a new strategy instance, re-warmed from the candles already seen, so it decides at the next close. */
  replaceStrategy(rt: SymbolRuntime, next: Strategy): void {
    rt.source = next;
    rt.strategy = guardWithLog(next, this.#ctx.logger);
    rt.quoteTooSmallSaid = false; // new parameters: a size still too small is said again
    for (let i = Math.max(0, rt.history.length - rt.historyLimit); i < rt.history.length; i++) rt.strategy.onCandle(rt.history[i]!, FLAT, rt.history[i]!.ts);
  }

  /**
   * Feeds the strategy the closed candles just before `first`, its first streamed candle. Intents
   * during warm-up are about the past and never acted on.
   */
  async #warmUpBefore(rt: SymbolRuntime, first: Candle): Promise<void> {
    const need = rt.strategy.warmupCandles + 5;
    const intervalMs = rt.settings.intervalMinutes * 60_000;
    const candles = await this.#ctx.port.fetchCandles(rt.settings.symbol, rt.settings.intervalMinutes, first.ts - need * intervalMs, need);
    let fed = 0;
    for (const c of candles) {
      if (c.ts >= first.ts) break;
      rememberCandle(rt, c);
      rt.strategy.onCandle(c, positionView(this.#ctx.store, rt), c.ts + intervalMs);
      fed++;
    }
    rt.warm = true;
    this.#ctx.logger.info(`${rt.settings.symbol} ready: warmed up on ${fed} candles, deciding from the candle of ${new Date(first.ts).toISOString()}`);
  }

  async #closedCandleSlow(rt: SymbolRuntime, candle: Candle, now: number, timeExit: boolean): Promise<void> {
    if (timeExit) await this.#positions.close(rt, 'T', `held ${rt.settings.exits!.timeExitCandles} candles`);
    await this.#entries.expire(rt, now, candle);
    await this.#decide(rt, candle, now);
  }

  #decide(rt: SymbolRuntime, candle: Candle, now: number): Promise<void> | void {
    if (!rt.settings.enabled || this.#ctx.stopping()) return;
    const intent = rt.strategy.onCandle(candle, positionView(this.#ctx.store, rt), now);
    if (intent) return this.#act(rt, intent, now);
  }

  #act(rt: SymbolRuntime, intent: Intent, now: number): Promise<void> | void {
    switch (intent.kind) {
      case 'enter':
        return this.#entries.enter(rt, intent, now);
      case 'exit':
        return this.#positions.close(rt, 'S', intent.reason);
      case 'quote':
        return this.#maker.requote(rt, intent, now);
    }
  }
}
