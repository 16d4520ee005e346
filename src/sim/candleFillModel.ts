/**
 * The candle-path fill model (DESIGN section 5, issue 3): price moves arrive as segments between path
 * points (`move`, or `stepCandle`, which walks the candle path of ./candlePath.ts), and everything is
 * judged on those segments:
 * - Resting limits fill when price trades strictly beyond them (./restingOrders.ts fills them).
 * - Position stops trigger on touch (long stop loss when price ≤ stop, take profit when price ≥
 *   target) and close the whole position with a market order at the trigger price, or at the worse
 *   segment start when price gapped through it. Trailing stops follow the best price since activation.
 * - When the stop loss and the take profit are both inside one candle, the stop is assumed first
 *   (DESIGN section 5): the target is ignored for that candle.
 * - Events along a segment happen in the order price reaches them; at equal prices stops come before
 *   targets, and both before limit fills.
 * - Orders waiting for the next price point ('nextPrice' mode) meet it at the segment's end.
 *
 * Cost: with no resting order, no pending order and no position stop, `stepCandle` only stores the
 * candle (number work, no Decimal), so the backtester can step millions of candles per second.
 */
import type { Dec as Decimal } from '../domain/money.js';
import type { Candle } from '../domain/types.js';
import { roundToStep, toPrice } from '../domain/money.js';
import { candlePath, pathPointTime } from './candlePath.js';
import type { MarketClock } from './marketClock.js';
import type { RestingOrders } from './restingOrders.js';
import type { InternalOrder, PositionState, SimMarket } from './simMarket.js';
import { hasStops, syncStopNums } from './simMarket.js';
import type { SimStopOrderType, TradingStopInput } from './simTypes.js';

type TriggerKind = 'sl' | 'tp' | 'trail' | 'limit';

interface Trigger {
  /** How far price moves from the segment start before it reaches the trigger. */
  readonly dist: number;
  readonly rank: number;
  readonly kind: TriggerKind;
  readonly order: InternalOrder | null;
}

/** At equal distance: stops first, then targets, then limit fills. */
const RANK: Readonly<Record<TriggerKind, number>> = { sl: 0, trail: 0, tp: 1, limit: 2 };

export class CandleFillModel {
  readonly #orders: RestingOrders;
  readonly #clock: MarketClock;

  constructor(orders: RestingOrders, clock: MarketClock) {
    this.#orders = orders;
    this.#clock = clock;
  }

  /**
   * Plays a whole candle: its four path points. The cheap path (nothing resting, nothing pending,
   * no position stop) only stores numbers.
   */
  stepCandle(m: SimMarket, c: Candle): void {
    m.candle = c;
    if (m.resting.length === 0 && m.pending.length === 0 && (m.pos.side === null || !hasStops(m.pos))) {
      m.book.tradeCandle(c);
      m.last = c.close;
      m.lastTs = c.ts + m.intervalMs - 1;
      this.#clock.advance(m.lastTs);
      return;
    }
    this.beginCandle(m, c);
    const p = candlePath(c);
    for (let k = 0; k < 4; k++) this.move(m, p[k]!, pathPointTime(c.ts, m.intervalMs, k), k === 0);
  }

  /** Starts a candle whose points will come through `move` (the sandbox's stepped replay). */
  beginCandle(m: SimMarket, c: Candle): void {
    m.candle = c;
    const p = m.pos;
    m.tpSuppressed = false;
    if (p.side !== null && !Number.isNaN(p.slNum) && !Number.isNaN(p.tpNum)) {
      // DESIGN section 5: stop and target both inside one candle → the stop is assumed first.
      m.tpSuppressed = p.side === 'buy' ? c.low <= p.slNum && c.high >= p.tpNum : c.high >= p.slNum && c.low <= p.tpNum;
    }
  }

  /**
   * Moves the price from the last price to `to`, matching on the way. A `jump` (the move from one
   * candle's close to the next one's open) trades nothing in between: stops it crosses fill at
   * `to`, the worse side of the gap.
   */
  move(m: SimMarket, to: number, ts: number, jump: boolean): void {
    const from = m.last;
    this.#clock.advance(ts);
    m.book.trade(to);
    if (Number.isNaN(from)) {
      m.last = to;
      m.lastTs = ts;
      return;
    }
    const triggers = this.#collect(m, from, to);
    m.lastTs = ts;
    for (const t of triggers) this.#applyTrigger(m, t, from, jump ? to : from);
    // Trailing stops follow the best price reached on this segment.
    trailAfterSegment(m.pos, from, to);
    m.last = to;
    if (m.pending.length > 0) this.#orders.fillPending(m, to);
  }

  #collect(m: SimMarket, from: number, to: number): Trigger[] {
    const lo = Math.min(from, to);
    const hi = Math.max(from, to);
    const out: Trigger[] = [];
    const p = m.pos;
    if (p.side === 'buy') {
      if (!Number.isNaN(p.slNum) && lo <= p.slNum) out.push({ dist: Math.max(0, from - p.slNum), rank: RANK.sl, kind: 'sl', order: null });
      if (!m.tpSuppressed && !Number.isNaN(p.tpNum) && hi >= p.tpNum) out.push({ dist: Math.max(0, p.tpNum - from), rank: RANK.tp, kind: 'tp', order: null });
      if (p.trailActive && to < from) {
        const stop = Math.max(p.trailPeak, from) - p.trailNum;
        if (lo <= stop) out.push({ dist: Math.max(0, from - stop), rank: RANK.trail, kind: 'trail', order: null });
      }
    } else if (p.side === 'sell') {
      if (!Number.isNaN(p.slNum) && hi >= p.slNum) out.push({ dist: Math.max(0, p.slNum - from), rank: RANK.sl, kind: 'sl', order: null });
      if (!m.tpSuppressed && !Number.isNaN(p.tpNum) && lo <= p.tpNum) out.push({ dist: Math.max(0, from - p.tpNum), rank: RANK.tp, kind: 'tp', order: null });
      if (p.trailActive && to > from) {
        const stop = Math.min(p.trailPeak, from) + p.trailNum;
        if (hi >= stop) out.push({ dist: Math.max(0, stop - from), rank: RANK.trail, kind: 'trail', order: null });
      }
    }
    for (const o of m.resting) {
      const l = o.limitNum;
      if (o.side === 'buy' ? lo < l : hi > l) {
        out.push({ dist: Math.max(0, o.side === 'buy' ? from - l : l - from), rank: RANK.limit, kind: 'limit', order: o });
      }
    }
    if (out.length > 1) out.sort((a, b) => a.dist - b.dist || a.rank - b.rank);
    return out;
  }

  #applyTrigger(m: SimMarket, t: Trigger, from: number, gapRef: number): void {
    const p = m.pos;
    if (t.kind === 'limit') {
      this.#orders.fillResting(m, t.order!);
      return;
    }
    if (p.side === null) return;
    const long = p.side === 'buy';
    let trigger: number;
    let trigDec: Decimal | null = null;
    let type: SimStopOrderType;
    if (t.kind === 'sl') {
      trigger = p.slNum;
      trigDec = p.stopLoss;
      type = 'StopLoss';
    } else if (t.kind === 'tp') {
      trigger = p.tpNum;
      trigDec = p.takeProfit;
      type = 'TakeProfit';
    } else {
      trigger = long ? Math.max(p.trailPeak, from) - p.trailNum : Math.min(p.trailPeak, from) + p.trailNum;
      type = 'TrailingStop';
    }
    // A gap through the trigger fills at the segment start (worse for the position), never better.
    const gapped = t.kind === 'tp' ? false : long ? gapRef < trigger : gapRef > trigger;
    let ref: Decimal;
    if (gapped) ref = toPrice(gapRef);
    else if (trigDec !== null) ref = trigDec;
    else ref = roundToStep(toPrice(trigger), m.inst.tickSize, long ? 'down' : 'up');
    this.#orders.closeOnTrigger(m, type, ref);
  }
}

/**
 * Sets a position's stops (Bybit set-trading-stop, already checked): `undefined` leaves one as it is,
 * null clears it. A trailing stop given here starts inactive; an inactive one activates at once when
 * price is already at its activation price, or when it has none.
 */
export function setPositionStops(p: PositionState, input: TradingStopInput, last: number): void {
  if (input.takeProfit !== undefined) p.takeProfit = input.takeProfit;
  if (input.stopLoss !== undefined) p.stopLoss = input.stopLoss;
  if (input.activePrice !== undefined) p.activePrice = input.activePrice;
  if (input.trailingStop !== undefined) {
    p.trailingStop = input.trailingStop;
    p.trailActive = false;
  }
  syncStopNums(p);
  if (p.trailingStop !== null && !p.trailActive) maybeActivateTrail(p, last);
}

function maybeActivateTrail(p: PositionState, last: number): void {
  if (Number.isNaN(p.activeNum) || (p.side === 'buy' ? last >= p.activeNum : last <= p.activeNum)) {
    p.trailActive = true;
    p.trailPeak = last;
  }
}

function trailAfterSegment(p: PositionState, from: number, to: number): void {
  if (p.side === null || Number.isNaN(p.trailNum)) return;
  if (!p.trailActive) {
    const hit = p.side === 'buy' ? Math.max(from, to) >= p.activeNum : Math.min(from, to) <= p.activeNum;
    if (!hit) return;
    p.trailActive = true;
    p.trailPeak = p.side === 'buy' ? Math.max(p.activeNum, to) : Math.min(p.activeNum, to);
    return;
  }
  p.trailPeak = p.side === 'buy' ? Math.max(p.trailPeak, from, to) : Math.min(p.trailPeak, from, to);
}
