/**
 * The mean of a full ring buffer as the SMA class takes it (sma.ts header): summed afresh in slot
 * order and clamped to the window's [min, max], so a window of equal values averages to exactly
 * that value and the same contents always give the same bits.
 */
import type { RingBuffer } from './ringBuffer.js';

export function windowMean(w: RingBuffer): number {
  return w.mean();
}
