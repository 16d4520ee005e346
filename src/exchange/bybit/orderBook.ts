/**
 * A local copy of one Bybit order book, rebuilt from the `orderbook.{depth}.{symbol}` stream
 * (reference section 2): a `snapshot` replaces the book, each `delta` sets levels (size "0" deletes
 * one), `u` is the update id. Bybit's docs do not promise that `u` steps by 1 (issue 20 item 12), so a
 * jump is applied like any delta and reported as a `gap`: the caller may ask for a fresh snapshot,
 * but the book stays usable meanwhile. An older or equal `u` is ignored. `u = 1` means Bybit's
 * service restarted: that message is a fresh book whatever its type says.
 *
 * Levels are kept as the wire strings (the sandbox comparison and any later Decimal use need them
 * exact), keyed by the price's number value; the top of book is found by a scan of at most `depth`
 * keys, cheaper than keeping a sorted structure at these sizes.
 */
import type { BookTop } from '../../engine/exchangePort.js';
import type { WireBookData } from './bybitWire.js';

export type BookApplyResult = 'applied' | 'gap' | 'ignored';

export interface BookLevels {
  /** [price, size] strings, best first. */
  readonly bids: readonly (readonly [string, string])[];
  readonly asks: readonly (readonly [string, string])[];
}

type Side = Map<number, readonly [string, string]>;

export class OrderBook {
  readonly symbol: string;
  #bids: Side = new Map();
  #asks: Side = new Map();
  #u: number | null = null;
  #valid = false;
  #ts = 0;

  constructor(symbol: string) {
    this.symbol = symbol;
  }

  get valid(): boolean {
    return this.#valid;
  }

  get updateId(): number | null {
    return this.#u;
  }

  /** Forget everything: nothing is trusted until the next snapshot. */
  invalidate(): void {
    this.#valid = false;
    this.#u = null;
    this.#bids.clear();
    this.#asks.clear();
  }

  apply(type: string, data: WireBookData, ts: number): BookApplyResult {
    if (type === 'snapshot' || data.u === 1) {
      this.#bids = new Map();
      this.#asks = new Map();
      setLevels(this.#bids, data.b);
      setLevels(this.#asks, data.a);
      this.#u = data.u;
      this.#valid = true;
      this.#ts = ts;
      return 'applied';
    }
    if (!this.#valid || this.#u === null) return 'ignored';
    if (data.u <= this.#u) return 'ignored';
    const jumped = data.u !== this.#u + 1;
    setLevels(this.#bids, data.b);
    setLevels(this.#asks, data.a);
    this.#u = data.u;
    this.#ts = ts;
    return jumped ? 'gap' : 'applied';
  }

  /** Best bid and ask, or null while the book is invalid or one side is empty. */
  top(): BookTop | null {
    if (!this.#valid) return null;
    let bidKey = -Infinity;
    for (const k of this.#bids.keys()) if (k > bidKey) bidKey = k;
    let askKey = Infinity;
    for (const k of this.#asks.keys()) if (k < askKey) askKey = k;
    const bid = this.#bids.get(bidKey);
    const ask = this.#asks.get(askKey);
    if (bid === undefined || ask === undefined) return null;
    return { symbol: this.symbol, bidPrice: bidKey, bidQty: Number(bid[1]), askPrice: askKey, askQty: Number(ask[1]), ts: this.#ts };
  }

  /** The whole book, best first, as wire strings. */
  levels(): BookLevels {
    const sorted = (side: Side, dir: 1 | -1) => [...side.entries()].sort((x, y) => dir * (x[0] - y[0])).map(([, level]) => level);
    return { bids: sorted(this.#bids, -1), asks: sorted(this.#asks, 1) };
  }
}

/**
 * Why a push's levels cannot be applied, or null: every price must be a positive finite number and
 * every size a finite number, not negative (size "0" deletes). Checked before anything is applied,
 * so a corrupt push never leaves half of itself in the book.
 */
export function badBookLevel(data: WireBookData): string | null {
  for (const [side, levels] of [['bid', data.b], ['ask', data.a]] as const) {
    for (const level of levels) {
      const price = Number(level[0]);
      const size = Number(level[1]);
      if (level[0] === '' || !Number.isFinite(price) || !(price > 0)) return `orderbook ${side} price "${String(level[0]).slice(0, 40)}" is not a positive price`;
      if (level[1] === '' || !Number.isFinite(size) || size < 0) return `orderbook ${side} size "${String(level[1]).slice(0, 40)}" at ${level[0]} is not a size`;
    }
  }
  return null;
}

function setLevels(side: Side, levels: readonly (readonly string[])[]): void {
  for (const level of levels) {
    const price = level[0]!;
    const size = level[1]!;
    const key = Number(price);
    if (Number(size) === 0) side.delete(key);
    else side.set(key, [price, size]);
  }
}
