/**
 * Downloaded candles merged into the candle cache file without holding either whole (issue 21):
 * the old file is read in batches as the pages come (they come in time order), each page is
 * merged with the old candles of its range and written at once to a new `.csv.gz` beside the old
 * one, and `finish` writes the rest of the old file, then renames the new file over the old. A kill
 * at any instant leaves the old file or the new one, never a torn one (at worst a stray `.tmp`).
 *
 * The merge is the one the cache made in memory before, candle for candle: the old file's candles
 * on the interval's grid, a downloaded candle replacing an old one of the same open time, ascending,
 * in the canonical CSV (`formatCandleCsv`'s lines), gzipped as `gzipSync` does.
 */
import { rmSync, renameSync } from 'node:fs';
import { readCandleBatchesSync } from '../domain/candleCsv.js';
import { CANDLE_CSV_HEADER } from '../domain/candleCsvParser.js';
import type { Candle } from '../domain/types.js';
import { GzipFileWriter } from './gzipFileWriter.js';

/** A half-open range of open times, as the cache's `Range`. */
type Range = readonly [fromMs: number, toMs: number];

/** CSV text handed to gzip at a time. */
const TEXT_BYTES = 64 * 1024;

export class CacheMerge {
  readonly #intervalMs: number;
  readonly #target: string;
  readonly #out: GzipFileWriter;
  readonly #old: Iterator<Candle[], void> | null;
  #batch: Candle[] = [];
  #at = 0;
  #text = '';
  /** End of the last page merged: pages must come in time order. */
  #pagesEnd = -Infinity;
  /** Runs of grid times written, [first, last + interval). */
  readonly #present: [number, number][] = [];
  #done = false;

  /**
   * Starts a new file for `target` (written to `<target>.<pid>.tmp`), merging `oldFile`'s candles
   * (null: none kept, the file is replaced).
   */
  constructor(target: string, oldFile: string | null, intervalMs: number) {
    this.#target = target;
    this.#intervalMs = intervalMs;
    this.#old = oldFile === null ? null : readCandleBatchesSync(oldFile)[Symbol.iterator]();
    this.#out = new GzipFileWriter(`${target}.${process.pid}.tmp`);
    this.#text = CANDLE_CSV_HEADER + '\n';
  }

  /**
   * Merges the downloaded candles of the grid range [a, b) (candles outside it are left out).
   * Returns the grid times in it with no candle, downloaded or old. The candles must be on the grid
   * (the cache checks them); a range before one merged already is a RangeError.
   */
  page(range: Range, candles: readonly Candle[]): Range[] {
    const [a, b] = range;
    const iv = this.#intervalMs;
    if (a < this.#pagesEnd) throw new RangeError(`downloaded range ${new Date(a).toISOString()} comes before one merged already`);
    this.#pagesEnd = b;
    for (let c = this.#peekOld(); c !== undefined && c.ts < a; c = this.#peekOld()) this.#emit(this.#takeOld());
    const byTs = new Map<number, Candle>();
    for (let c = this.#peekOld(); c !== undefined && c.ts < b; c = this.#peekOld()) byTs.set(c.ts, this.#takeOld());
    for (const c of candles) if (c.ts >= a && c.ts < b) byTs.set(c.ts, c);
    const merged = [...byTs.values()].sort((x, y) => x.ts - y.ts);
    const gaps: [number, number][] = [];
    let i = 0;
    for (let t = a; t < b; t += iv) {
      if (merged[i]?.ts === t) {
        this.#emit(merged[i++]!);
        continue;
      }
      const last = gaps.at(-1);
      if (last && last[1] === t) last[1] = t + iv;
      else gaps.push([t, t + iv]);
    }
    return gaps;
  }

  /** Writes the rest of the old file and puts the new file in its place; returns the runs of grid times it holds. */
  finish(): Range[] {
    if (this.#done) throw new Error('cache merge already finished');
    try {
      for (let c = this.#peekOld(); c !== undefined; c = this.#peekOld()) this.#emit(this.#takeOld());
      this.#flush();
      this.#out.close();
      renameSync(this.#out.path, this.#target);
    } catch (e) {
      this.abort();
      throw e;
    }
    this.#done = true;
    return this.#present;
  }

  /** Leaves the old file as it is and removes the new one. */
  abort(): void {
    if (this.#done) return;
    this.#done = true;
    this.#out.abort();
    rmSync(this.#out.path, { force: true });
    this.#old?.return?.();
  }

  /** The next old candle on the grid, not taken. */
  #peekOld(): Candle | undefined {
    for (;;) {
      while (this.#at < this.#batch.length) {
        const c = this.#batch[this.#at]!;
        if (c.ts % this.#intervalMs === 0) return c;
        this.#at++;
      }
      const next = this.#old?.next();
      if (next === undefined || next.done === true) return undefined;
      this.#batch = next.value;
      this.#at = 0;
    }
  }

  #takeOld(): Candle {
    return this.#batch[this.#at++]!;
  }

  #emit(c: Candle): void {
    this.#text += `${c.ts},${c.open},${c.high},${c.low},${c.close},${c.volume}\n`;
    if (this.#text.length >= TEXT_BYTES) this.#flush();
    const last = this.#present.at(-1);
    if (last && last[1] === c.ts) last[1] = c.ts + this.#intervalMs;
    else this.#present.push([c.ts, c.ts + this.#intervalMs]);
  }

  #flush(): void {
    if (this.#text.length === 0) return;
    this.#out.write(Buffer.from(this.#text, 'utf8'));
    this.#text = '';
  }
}
