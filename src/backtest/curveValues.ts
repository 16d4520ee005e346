/**
 * A backtest's curve (equity, inventory, drawdown): one number per window candle, held in blocks of
 * 4,096 candles, a block whose numbers are all the same (the equity while no position is open: most
 * candles) as that one number (issue 21). A year of 1m candles took 4.2 MB as one Float64Array
 * however flat the curve; now a block costs 32 KB only once its numbers differ, and nothing is held
 * in advance for candles not yet played. `at(i)` gives back exactly the number pushed (Object.is).
 */

/** The i-th of `length` numbers: a CurveValues, or a view worked out as it is read. */
export interface Curve {
  readonly length: number;
  at(i: number): number;
}

/** A curve as plain data (to hand to another thread: the dense blocks' buffers can be transferred). */
export interface CurveData {
  readonly length: number;
  /** The number of each block while it was flat (the first number of a dense block). */
  readonly flat: Float64Array;
  /** Each block's numbers, null for a flat block. */
  readonly dense: readonly (Float64Array | null)[];
}

const BLOCK_BITS = 12;
const BLOCK = 1 << BLOCK_BITS;
const MASK = BLOCK - 1;

export class CurveValues implements Curve, Iterable<number> {
  #length = 0;
  readonly #flat: number[] = [];
  readonly #dense: (Float64Array | null)[] = [];

  get length(): number {
    return this.#length;
  }

  push(x: number): void {
    const i = this.#length++;
    const b = i >>> BLOCK_BITS;
    const k = i & MASK;
    if (k === 0) {
      this.#flat.push(x);
      this.#dense.push(null);
      return;
    }
    const d = this.#dense[b]!;
    if (d !== null) d[k] = x;
    else if (!Object.is(x, this.#flat[b])) {
      const block = new Float64Array(BLOCK);
      block.fill(this.#flat[b]!, 0, k);
      block[k] = x;
      this.#dense[b] = block;
    }
  }

  /** The i-th number (0 <= i < length; a negative i counts from the end, as `Array.at`). */
  at(i: number): number {
    if (i < 0) i += this.#length;
    const d = this.#dense[i >>> BLOCK_BITS];
    return d === null || d === undefined ? this.#flat[i >>> BLOCK_BITS]! : d[i & MASK]!;
  }

  /**
   * Where the stretch from `i` of numbers equal (===) to the i-th ends (exclusive), looked for in
   * i's block only: the block's end for a flat block, else as far as the block repeats the number.
   */
  sameUntil(i: number): number {
    const b = i >>> BLOCK_BITS;
    const end = Math.min((b + 1) << BLOCK_BITS, this.#length);
    const d = this.#dense[b];
    if (d === null || d === undefined) return end;
    const x = d[i & MASK];
    let j = i + 1;
    while (j < end && d[j & MASK] === x) j++;
    return j;
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.#length; i++) yield this.at(i);
  }

  /** Bytes held by the numbers (flat blocks and dense ones). */
  get heldBytes(): number {
    let dense = 0;
    for (const d of this.#dense) if (d !== null) dense++;
    return this.#flat.length * 8 + dense * BLOCK * 8;
  }

  toData(): CurveData {
    return { length: this.#length, flat: Float64Array.from(this.#flat), dense: [...this.#dense] };
  }

  /** The dense blocks' buffers, for a `postMessage` transfer list of `toData()`. */
  static buffers(d: CurveData): ArrayBuffer[] {
    const out: ArrayBuffer[] = [d.flat.buffer as ArrayBuffer];
    for (const b of d.dense) if (b !== null) out.push(b.buffer as ArrayBuffer);
    return out;
  }

  static fromData(d: CurveData): CurveValues {
    const c = new CurveValues();
    c.#length = d.length;
    for (let b = 0; b < d.dense.length; b++) {
      c.#flat.push(d.flat[b]!);
      c.#dense.push(d.dense[b] ?? null);
    }
    return c;
  }

  static from(values: ArrayLike<number>): CurveValues {
    const c = new CurveValues();
    for (let i = 0; i < values.length; i++) c.push(values[i]!);
    return c;
  }
}

/** Numbers in an array (a test's, a typed array) or a curve, read as a curve. */
export function asCurve(values: Curve | ArrayLike<number>): Curve {
  if (Array.isArray(values) || ArrayBuffer.isView(values)) {
    const a = values as ArrayLike<number>;
    return { length: a.length, at: (i) => a[i]! };
  }
  return values as Curve;
}
