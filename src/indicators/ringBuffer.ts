/**
 * Fixed-capacity ring buffer of numbers on a Float64Array: the bounded window behind every
 * windowed indicator. No allocation after construction (STYLE point 2).
 */
export class RingBuffer {
  readonly capacity: number;
  readonly #data: Float64Array;
  /** Index where the next value goes. */
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`RingBuffer capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#data = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  get isFull(): boolean {
    return this.#size === this.capacity;
  }

  /** Appends `x`; returns the value it evicted, or NaN when the buffer was not yet full. */
  push(x: number): number {
    const data = this.#data;
    const head = this.#head;
    const evicted = this.#size === this.capacity ? data[head]! : NaN;
    data[head] = x;
    this.#head = head + 1 === this.capacity ? 0 : head + 1;
    if (this.#size < this.capacity) this.#size++;
    return evicted;
  }

  /** The value in slot i (slot order, not time order; see `sum`). */
  slot(i: number): number {
    return this.#data[i]!;
  }

  /** The i-th value, 0 = oldest, size-1 = newest. */
  at(i: number): number {
    let j = this.#head - this.#size + i;
    if (j < 0) j += this.capacity;
    return this.#data[j]!;
  }

  /**
   * Sum of the held values, recomputed from scratch in slot order (not time order): a value that
   * replaces an equal one leaves the slots, hence this sum, bit for bit the same.
   */
  sum(): number {
    let s = 0;
    for (let i = 0; i < this.#size; i++) s += this.#data[i]!;
    return s;
  }

  /** The mean of the held values as the SMA takes it (meanOfSlots below); NaN when empty. */
  mean(): number {
    return meanOfSlots(this.#data, this.#size);
  }

  /** Smallest held value (NaN when empty), scanned in slot order like `sum`. */
  min(): number {
    let m = NaN;
    for (let i = 0; i < this.#size; i++) if (!(this.#data[i]! >= m)) m = this.#data[i]!;
    return m;
  }

  /** Largest held value (NaN when empty). */
  max(): number {
    let m = NaN;
    for (let i = 0; i < this.#size; i++) if (!(this.#data[i]! <= m)) m = this.#data[i]!;
    return m;
  }

  /** Sum of squares of the held values, recomputed from scratch. */
  sumOfSquares(): number {
    let s = 0;
    for (let i = 0; i < this.#size; i++) s += this.#data[i]! * this.#data[i]!;
    return s;
  }
}

/**
 * The mean of data[0..n) as the SMA takes it (sma.ts header): summed in slot order, then clamped to
 * the values' [min, max] (rounding can overstep them: 0.1 three times averages to 0.10000000000000002).
 * The clamp applies only when the mean lies beyond every value, i.e. beyond all n of them; that is
 * counted without a branch per value (each comparison is a coin toss, a mispredicted branch apiece
 * when max and min were scanned for), and only then are max and min scanned for, in slot order,
 * exactly as before. Same bits, ~12 ns less a mean of 3 (tests/indicators/meanOfSlots.test.ts).
 */
export function meanOfSlots(data: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += data[i]!;
  const mean = sum / n;
  let above = 0;
  let below = 0;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    above += +(mean > v);
    below += +(mean < v);
  }
  if (above !== n && below !== n) return mean;
  let hi = NaN;
  let lo = NaN;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (!(v <= hi)) hi = v;
    if (!(v >= lo)) lo = v;
  }
  return mean > hi ? hi : mean < lo ? lo : mean;
}
