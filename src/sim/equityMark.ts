/**
 * The account's equity as a report number (`reportNumber`: rounded half-even to 1e-8, then the
 * nearest double), worked out with exact integers in doubles instead of Decimal where they fit: a
 * backtest marks its equity at every candle a position is open, and the Decimal mark (the price
 * parsed from text, a subtraction, a product, a sum, a rounding) was the largest share of the
 * Decimal work of a run (issue 18).
 *
 * With one position open, equity = W + s·Q·(last − E) = A + B·last, where A = W − s·Q·E and
 * B = s·Q are exact decimals fixed until the wallet or the position changes (they are computed
 * again, in Decimal, when one of them is a new value). The last price is a double; with L the
 * decimals of the tick size, last·10^L is an integer n when the price is on a decimal of at most L
 * places, and then that decimal is exactly what `toPrice(last)` parses (10^-L is wider than the
 * double's spacing, so no shorter decimal names the same double). Scaled by 10^S, A and B·n are
 * integers; every step is checked to stay below 2^53, where doubles are exact integers. The
 * rounding to 8 places is done on the integers, and the result divided by 10^8 (or 10^S when
 * S <= 8): both exact doubles, so the quotient is the nearest double to the decimal, which is what
 * Decimal's toNumber gives. Whatever does not fit (several positions, a price off the tick's
 * decimals, too many decimals) answers null, and the caller takes the Decimal path.
 */
import { Dec, reportNumber, type Dec as Decimal } from '../domain/money.js';
import type { SimMarket } from './simMarket.js';

const MAX_SCALE = 15;
/** 10^0 … 10^MAX_SCALE, exact (a Decimal power per position change cost more than the rest of it). */
const POW10: readonly Decimal[] = Array.from({ length: MAX_SCALE + 1 }, (_, k) => new Dec(10).pow(k));

export class EquityMark {
  #wallet: Decimal | null = null;
  #entry: Decimal | null = null;
  #size: Decimal | null = null;
  #side: string | null = null;
  #tick: Decimal | null = null;
  /** Whether the figures below hold (false: take the Decimal path until something changes). */
  #ok = false;
  /** A·10^S, B·10^(S−L) (integers), 10^L, and the divisors of the rounding. */
  #a = 0;
  #b = 0;
  #lastPow = 1;
  #scale = 0;
  /** Equity with no position open (the wallet), as a report number. */
  #flat = 0;

  /** The equity report number, or null when the exact integers do not fit. */
  value(wallet: Decimal, markets: Iterable<SimMarket>): number | null {
    let open: SimMarket | null = null;
    for (const m of markets) {
      if (m.pos.side === null) continue;
      if (open !== null) return null;
      open = m;
    }
    if (open === null) {
      if (wallet !== this.#wallet || this.#side !== null) this.#prepare(wallet, null);
      return this.#flat;
    }
    const last = open.last;
    if (Number.isNaN(last)) return null;
    const p = open.pos;
    if (wallet !== this.#wallet || p.entryPrice !== this.#entry || p.size !== this.#size || p.side !== this.#side || open.inst.tickSize !== this.#tick) this.#prepare(wallet, open);
    if (!this.#ok) return null;
    const pow = this.#lastPow;
    const n = Math.round(last * pow);
    if (n / pow !== last || !Number.isSafeInteger(n) || !(Math.abs(last) * 2 ** -51 < 1 / pow)) return null;
    const bn = this.#b * n;
    const x = this.#a + bn;
    // Below 2^53 with room for the rounding's arithmetic (./toReportNumber).
    if (!Number.isSafeInteger(bn) || !(Math.abs(x) <= Number.MAX_SAFE_INTEGER - 1e8)) return null;
    return toReportNumber(x, this.#scale);
  }

  #prepare(wallet: Decimal, open: SimMarket | null): void {
    this.#wallet = wallet;
    this.#ok = false;
    if (open === null) {
      this.#side = null;
      this.#entry = null;
      this.#size = null;
      this.#tick = null;
      this.#flat = reportNumber(wallet);
      return;
    }
    const p = open.pos;
    this.#side = p.side;
    this.#entry = p.entryPrice;
    this.#size = p.size;
    this.#tick = open.inst.tickSize;
    const sq = p.side === 'buy' ? p.size : p.size.neg();
    const a = wallet.sub(sq.mul(p.entryPrice));
    const l = open.inst.tickSize.decimalPlaces();
    const s = Math.max(a.decimalPlaces(), sq.decimalPlaces() + l);
    if (s > MAX_SCALE) return;
    const aInt = a.mul(POW10[s]!);
    const bInt = sq.mul(POW10[s - l]!);
    if (aInt.abs().gte(Number.MAX_SAFE_INTEGER) || bInt.abs().gte(Number.MAX_SAFE_INTEGER)) return;
    this.#a = aInt.toNumber();
    this.#b = bInt.toNumber();
    this.#lastPow = 10 ** l;
    this.#scale = s;
    this.#ok = true;
  }
}

/** x·10^-scale rounded half-even to 8 places, as the nearest double (x a safe integer). */
export function toReportNumber(x: number, scale: number): number {
  if (scale <= 8) return x / 10 ** scale;
  const d = 10 ** (scale - 8);
  const neg = x < 0;
  const ax = neg ? -x : x;
  let q = Math.floor(ax / d);
  let rem = ax - q * d;
  if (rem < 0) {
    q--;
    rem += d;
  } else if (rem >= d) {
    q++;
    rem -= d;
  }
  const twice = 2 * rem;
  if (twice > d || (twice === d && q % 2 === 1)) q++;
  const r = neg ? -q : q;
  return r / 1e8;
}
