/**
 * Volume ratio(n) (DESIGN section 5b, "volRatio"): volume / SMA(volume, n) over the last n candles,
 * the current one included; null until n volumes are in, and while that SMA is 0. The mean is taken
 * as the SMA takes it (windowMean.ts); `window` is exposed so a threshold on the ratio can be decided
 * on the volumes themselves (decimalRules.ts `volumeAtLeast`). Bounded work (n adds), no allocation.
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';
import { RingBuffer } from './ringBuffer.js';
import { windowMean } from './windowMean.js';

export class VolumeRatio implements Indicator<number> {
  readonly requiredInputs: number;
  readonly window: RingBuffer;
  #value: number | null = null;

  constructor(length: number) {
    assertLength(length, 1, 'VolumeRatio');
    this.requiredInputs = length;
    this.window = new RingBuffer(length);
  }

  get value(): number | null {
    return this.#value;
  }

  get isStable(): boolean {
    return this.#value !== null;
  }

  update(volume: number): number | null {
    assertFinite(volume, 'VolumeRatio');
    const w = this.window;
    w.push(volume);
    if (!w.isFull) return null;
    const mean = windowMean(w);
    return (this.#value = mean === 0 ? null : volume / mean);
  }
}
