/**
 * Stops for positions the exchange shows without one (DESIGN section 1: every position has an
 * exchange-side stop): the maker's inventory stop, the planned (or fallback) stop of any other
 * position, and the fallback stop itself. PositionManager owns the trading-stop call and hands it in.
 */
import { dec, roundToStep, type Decimal } from '../domain/money.js';
import type { PositionSide } from '../domain/types.js';
import type { EngineContext } from './engineContext.js';
import { makerInventoryStop } from './positionPlan.js';
import { stopMissing } from './positionStopGuard.js';
import { localPosition, type SymbolRuntime } from './symbolRuntime.js';

/**
 * What a trading-stop call came to: set; failed (the cause is logged); skipped (a move the market
 * had already passed, the earlier stop stays); the position is already closed on the exchange; or
 * the market was beyond the stop, so the position was closed at market.
 */
export type StopOutcome = 'set' | 'failed' | 'skipped' | 'gone' | 'closed';

/** A maker stop refused for a zero position is tried again this often, this long apart. */
const MAKER_STOP_RETRIES = 3;
const MAKER_STOP_RETRY_MS = 1_500;

export class BareStops {
  readonly #ctx: EngineContext;
  /** PositionManager's trading-stop call for a new stop (no earlier stop stands). */
  readonly #setStop: (rt: SymbolRuntime, stop: Decimal, why: string) => Promise<StopOutcome>;
  /** Asks for a reconciliation soon (a position the bot has no record of is adopted there). */
  readonly #resync: () => void;
  /** Runs `task` in the symbol's turn after `delayMs`. */
  readonly #later: (rt: SymbolRuntime, task: () => Promise<void>, delayMs: number) => void;
  /** Per symbol, the maker stops refused for a zero position in a row (MAKER_STOP_RETRIES at most). */
  readonly #makerRetries = new Map<string, number>();

  constructor(
    ctx: EngineContext,
    setStop: (rt: SymbolRuntime, stop: Decimal, why: string) => Promise<StopOutcome>,
    resync: () => void,
    later: (rt: SymbolRuntime, task: () => Promise<void>, delayMs: number) => void,
  ) {
    this.#ctx = ctx;
    this.#setStop = setStop;
    this.#resync = resync;
    this.#later = later;
  }

  /** The stop for a position found without one: fallbackStopPct from its entry, rounded away from the price. */
  fallbackStop(rt: SymbolRuntime, side: PositionSide, entry: Decimal): Decimal {
    const move = entry.mul(this.#ctx.settings().fallbackStopPct).div(100);
    const tick = rt.instrument?.tickSize ?? dec('0.01');
    return side === 'long' ? roundToStep(entry.minus(move), tick, 'down') : roundToStep(entry.plus(move), tick, 'up');
  }

  /**
   * The maker's inventory gets an exchange-side stop too (DESIGN section 1: every position). The
   * stop the exchange holds now decides whether one is sent, not one remembered: the exchange drops
   * a position's stop when it goes flat, and the next inventory can open at the same entry price.
   * A refusal for a zero position (the fill was pushed before the position) is tried again when
   * the position is pushed, or after a short pause, a few times at most.
   */
  async protectMakerInventory(rt: SymbolRuntime): Promise<void> {
    const pos = localPosition(this.#ctx.store, rt);
    const ex = rt.exchangePosition;
    const pct = rt.settings.protectiveStopPct;
    if (rt.settings.strategy !== 'maker' || pct === undefined || !rt.instrument) return;
    const held = pos && !dec(pos.size).isZero() ? { side: pos.side, entry: dec(pos.entryPrice) } : ex?.side && ex.size.gt(0) ? { side: ex.side, entry: ex.entryPrice } : null;
    if (!held) return;
    const stop = makerInventoryStop(held.side, held.entry, pct, rt.instrument.tickSize);
    // Before the exchange has said anything (no push, no reconciliation yet) the stored stop stands in.
    const current = ex === null ? (pos?.stop ? dec(pos.stop.price) : null) : ex.side === held.side ? ex.stopLoss : null;
    if (current !== null && current.eq(stop)) return;
    const outcome = await this.#setStop(rt, stop, 'maker inventory stop');
    const sym = rt.settings.symbol;
    if (outcome !== 'gone' || localPosition(this.#ctx.store, rt) === null) {
      this.#makerRetries.delete(sym);
      return;
    }
    const tries = (this.#makerRetries.get(sym) ?? 0) + 1;
    if (tries > MAKER_STOP_RETRIES) {
      this.#makerRetries.delete(sym);
      return;
    }
    this.#makerRetries.set(sym, tries);
    this.#later(rt, () => this.protectMakerInventory(rt), MAKER_STOP_RETRY_MS);
  }

  /**
   * A position the exchange showed without a stop, in the symbol's turn (PositionStopGuard sends
   * what it can at once): the maker's inventory as protectMakerInventory does; any other position
   * gets its planned stop, or the fallback, and a stop the market has already passed closes it at
   * market (#tradingStop). One the bot has no record of is left to a reconciliation, which adopts it.
   */
  async protectPosition(rt: SymbolRuntime): Promise<void> {
    if (rt.settings.strategy === 'maker') return this.protectMakerInventory(rt);
    const ex = rt.exchangePosition;
    if (ex === null || ex.side === null || !stopMissing(ex)) return; // protected or closed meanwhile
    const pos = localPosition(this.#ctx.store, rt);
    if (pos === null || pos.side !== ex.side || dec(pos.size).isZero()) return this.#resync();
    const stop = pos.stop ? dec(pos.stop.price) : this.fallbackStop(rt, ex.side, ex.entryPrice);
    if ((await this.#setStop(rt, stop, 'the position had no stop on the exchange')) === 'set') {
      this.#ctx.alert('critical', 'reconcile', `${rt.settings.symbol} had no stop`, `Placed a stop at ${stop.toFixed()}.`, rt.settings.symbol);
    }
  }
}
