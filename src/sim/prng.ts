/**
 * Seeded pseudo-random numbers (mulberry32) so that the simulator is deterministic for a given
 * input (issue 3: "Deterministic for a given input"). Not for cryptography.
 */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** 32 random bits. */
  nextUint32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** A UUID-shaped id (version-4 layout), like Bybit's linear orderId and execId. */
  uuid(): string {
    const h = (n: number, len: number): string => n.toString(16).padStart(8, '0').slice(0, len);
    const a = this.nextUint32();
    const b = this.nextUint32();
    const c = this.nextUint32();
    const d = this.nextUint32();
    const e = this.nextUint32();
    return `${h(a, 8)}-${h(b, 4)}-4${h(c, 3)}-${((8 + (d & 3)).toString(16))}${h(d >>> 4, 3)}-${h(e, 8)}${h(c >>> 12, 4)}`;
  }
}

/** Stateless hash of integers to [0, 1), for values that must depend only on (candle, level). */
export function hashUnit(a: number, b: number, c: number): number {
  let h = (Math.imul(a | 0, 0x9e3779b1) ^ Math.imul(b | 0, 0x85ebca77) ^ Math.imul(c | 0, 0xc2b2ae3d)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 4294967296;
}
