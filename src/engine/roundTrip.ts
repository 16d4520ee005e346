/**
 * Round-trip accounting: from flat to flat, every fill that grows the position is an entry and
 * every fill that shrinks it an exit. When the position is flat again, the trade is complete:
 * size-weighted entry and exit prices, all fees, and PnL net of fees (DESIGN section 4: `pnl` is
 * net of that trade's fees). A fill that crosses through zero is split between the two trades.
 * Funding paid or received while a trade is open belongs to it: kept apart from its fees, and taken
 * off its PnL as well.
 */
import { Dec, ZERO, type Decimal } from '../domain/money.js';
import type { Fill, PositionSide } from '../domain/types.js';

export interface ClosedRoundTrip {
  readonly symbol: string;
  readonly side: PositionSide;
  readonly entryTs: number;
  readonly exitTs: number;
  readonly qty: Decimal;
  readonly entryPrice: Decimal;
  readonly exitPrice: Decimal;
  readonly fees: Decimal;
  /** Funding paid while the trade was open (negative: received); not part of `fees`. */
  readonly funding: Decimal;
  /** Net of `fees` and `funding`. */
  readonly pnl: Decimal;
  /** The fill that closed the trade (its orderLinkId tells why). */
  readonly lastFill: Fill;
}

export class RoundTrip {
  readonly symbol: string;
  #side: PositionSide | null = null;
  #open = ZERO; // current size, >= 0
  #entryQty = ZERO;
  #entryValue = ZERO;
  #exitQty = ZERO;
  #exitValue = ZERO;
  #fees = ZERO;
  #funding = ZERO;
  #entryTs = 0;
  /**
   * The same figures as doubles (each the nearest to its Decimal), for a measurement that only needs
   * to know the bot's equity is far from a limit (KillSwitch.steadyEquity): worked out at the first
   * read after a fill (`#stale`), read at every candle close while the trade is open. Not at each
   * fill: five Decimal-to-double conversions, slow while a backtest's first trades run uncompiled,
   * and never read after the fill that closes the trade.
   */
  #stale = false;
  #openN = 0;
  #entryValueN = 0;
  #exitValueN = 0;
  #costsN = 0;
  #scaleN = 0;

  constructor(symbol: string) {
    this.symbol = symbol;
  }

  get side(): PositionSide | null {
    return this.#side;
  }

  get openQty(): Decimal {
    return this.#open;
  }

  get entryTs(): number {
    return this.#entryTs;
  }

  /** Size-weighted entry price so far (zero when nothing entered). */
  get entryPrice(): Decimal {
    return this.#entryQty.isZero() ? ZERO : this.#entryValue.div(this.#entryQty);
  }

  /**
   * The open trade's PnL as if what is still open were closed at `price`: what its partial exits
   * booked, plus the open part at that price, less every fee paid so far. Zero when flat.
   */
  markToMarket(price: Decimal): Decimal {
    if (this.#side === null) return ZERO;
    const exitValue = this.#exitValue.plus(this.#open.mul(price));
    const gross = this.#side === 'long' ? exitValue.minus(this.#entryValue) : this.#entryValue.minus(exitValue);
    return gross.minus(this.#fees).minus(this.#funding);
  }

  /**
   * markToMarket in doubles at a double price; `scale` bounds the size of its terms (the error of the
   * double is far below 1e-15 of it).
   */
  approxMarkToMarket(price: number): number {
    if (this.#stale) this.#mirror();
    const exitValue = this.#exitValueN + this.#openN * price;
    const gross = this.#side === 'long' ? exitValue - this.#entryValueN : this.#entryValueN - exitValue;
    return gross - this.#costsN;
  }

  /** The size of approxMarkToMarket's terms at `price`. */
  approxScale(price: number): number {
    if (this.#stale) this.#mirror();
    return this.#scaleN + this.#openN * Math.abs(price);
  }

  /**
   * Funding on the open position (Bybit execType Funding, fee positive when paid): it belongs to the
   * open trade and comes off its PnL when it closes. False when flat (nothing to charge it to).
   */
  addFunding(fee: Decimal): boolean {
    if (this.#side === null) return false;
    this.#funding = this.#funding.plus(fee);
    this.#stale = true;
    return true;
  }

  /** Applies a fill; returns the completed trades (none, one, or two when it crossed zero). */
  apply(fill: Fill): ClosedRoundTrip[] {
    const done: ClosedRoundTrip[] = [];
    let qty = fill.qty;
    let fee = fill.fee;
    const fillSide: PositionSide = fill.side === 'buy' ? 'long' : 'short';
    if (this.#side !== null && fillSide !== this.#side) {
      const closing = Dec.min(qty, this.#open);
      const feePart = qty.isZero() ? ZERO : fee.mul(closing).div(qty);
      this.#exitQty = this.#exitQty.plus(closing);
      this.#exitValue = this.#exitValue.plus(closing.mul(fill.price));
      this.#fees = this.#fees.plus(feePart);
      this.#open = this.#open.minus(closing);
      qty = qty.minus(closing);
      fee = fee.minus(feePart);
      if (this.#open.isZero()) {
        done.push(this.#close(fill));
      }
    }
    if (qty.gt(0)) {
      if (this.#side === null) {
        this.#side = fillSide;
        this.#entryTs = fill.ts;
      }
      this.#entryQty = this.#entryQty.plus(qty);
      this.#entryValue = this.#entryValue.plus(qty.mul(fill.price));
      this.#fees = this.#fees.plus(fee);
      this.#open = this.#open.plus(qty);
    }
    this.#stale = true;
    return done;
  }

  #mirror(): void {
    this.#stale = false;
    this.#openN = this.#open.toNumber();
    this.#entryValueN = this.#entryValue.toNumber();
    this.#exitValueN = this.#exitValue.toNumber();
    const fees = this.#fees.toNumber();
    const funding = this.#funding.toNumber();
    this.#costsN = fees + funding;
    this.#scaleN = Math.abs(this.#entryValueN) + Math.abs(this.#exitValueN) + Math.abs(fees) + Math.abs(funding);
  }

  #close(last: Fill): ClosedRoundTrip {
    const side = this.#side!;
    const gross = side === 'long' ? this.#exitValue.minus(this.#entryValue) : this.#entryValue.minus(this.#exitValue);
    const trip: ClosedRoundTrip = {
      symbol: this.symbol,
      side,
      entryTs: this.#entryTs,
      exitTs: last.ts,
      qty: this.#entryQty,
      entryPrice: this.#entryValue.div(this.#entryQty),
      exitPrice: this.#exitValue.div(this.#exitQty),
      fees: this.#fees,
      funding: this.#funding,
      pnl: gross.minus(this.#fees).minus(this.#funding),
      lastFill: last,
    };
    this.#side = null;
    this.#open = ZERO;
    this.#entryQty = ZERO;
    this.#entryValue = ZERO;
    this.#exitQty = ZERO;
    this.#exitValue = ZERO;
    this.#fees = ZERO;
    this.#funding = ZERO;
    this.#entryTs = 0;
    return trip;
  }
}
