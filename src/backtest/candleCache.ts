/**
 * The local candle cache of `backtest --download` (issue 9 item 2), in the state directory:
 * `<cacheDir>/bybit-<SYMBOL>-<n>m.csv.gz` (the canonical candle CSV, usable with `--data` as is)
 * beside `<same name>.json`, the manifest of the date ranges that were downloaded completely and
 * the gaps found in them (grid times the exchange had no candle for).
 *
 * Keyed and validated by date range, never by length (the classic failure the issue names): a range
 * counts as cached only when the manifest lists it AND every grid time inside it is either in the
 * file or a recorded gap. A range that fails that check (file edited, truncated, or lost) is
 * forgotten and downloaded again. Ranges are half-open [fromMs, toMs) over candle open times, on
 * the interval's grid (multiples of the interval since the epoch, as Bybit's klines are).
 *
 * Writes are atomic (temporary file, then rename), data before manifest, so a crash leaves either
 * the old manifest over a superset of its data, or the new one.
 *
 * Opening checks the file as it streams by, holding only the runs of grid times it has (a year of
 * 1m candles without a gap is one run): a backtest from the cache reads the file itself. A download
 * merges its pages, as they come, with the file read in batches into a new file (./cacheMerge.ts),
 * so neither the file nor the download is held whole (issue 21).
 *
 * A cache that cannot be read (manifest or file unreadable, or the manifest of another symbol or
 * interval) is reported in `problems` (the command prints each) and its file is replaced by what
 * the download brings, as it always was: nothing of it is trusted or kept.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readCandleBatchesSync } from '../domain/candleCsv.js';
import type { Candle } from '../domain/types.js';
import { CacheMerge } from './cacheMerge.js';

export type Range = readonly [fromMs: number, toMs: number];

interface Manifest {
  readonly version: 1;
  readonly symbol: string;
  readonly intervalMinutes: number;
  readonly covered: Range[];
  readonly gaps: Range[];
}

/** Sorted, merged copy of half-open ranges (touching ranges join). */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Parts of [from, to) not inside any of `ranges` (merged). */
export function subtractRanges(from: number, to: number, ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let cursor = from;
  for (const [a, b] of mergeRanges(ranges)) {
    if (b <= cursor) continue;
    if (a >= to) break;
    if (a > cursor) out.push([cursor, Math.min(a, to)]);
    cursor = Math.max(cursor, b);
    if (cursor >= to) break;
  }
  if (cursor < to) out.push([cursor, to]);
  return out;
}

export function cacheFileName(symbol: string, intervalMinutes: number): string {
  return `bybit-${symbol}-${intervalMinutes}m.csv.gz`;
}

export class CandleCache {
  readonly path: string;
  readonly manifestPath: string;
  readonly symbol: string;
  readonly intervalMinutes: number;
  /** What validation found wrong with the cache on opening (each problem made a range be downloaded again). */
  readonly problems: string[] = [];
  readonly #intervalMs: number;
  /** The new file being written while a download adds ranges (null before the first and after `save`). */
  #merge: CacheMerge | null = null;
  /** A merge failed (the old file stays): `save` writes nothing. */
  #failed = false;
  /** Runs of grid times the file has, [first, last + interval). */
  #present: Range[] = [];
  #covered: Range[] = [];
  #gaps: Range[] = [];

  private constructor(dir: string, symbol: string, intervalMinutes: number) {
    this.symbol = symbol;
    this.intervalMinutes = intervalMinutes;
    this.#intervalMs = intervalMinutes * 60_000;
    this.path = join(dir, cacheFileName(symbol, intervalMinutes));
    this.manifestPath = this.path.replace(/\.csv\.gz$/, '.json');
  }

  /** Opens (or starts) the cache of one symbol and interval in `dir`, validating what is there. */
  static open(dir: string, symbol: string, intervalMinutes: number): CandleCache {
    const cache = new CandleCache(dir, symbol, intervalMinutes);
    cache.#load();
    return cache;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Validated covered ranges. */
  get covered(): readonly Range[] {
    return this.#covered;
  }

  /** Snaps [fromMs, toMs) outwards to whole candles on the grid. */
  align(fromMs: number, toMs: number): Range {
    const iv = this.#intervalMs;
    return [Math.floor(fromMs / iv) * iv, Math.ceil(toMs / iv) * iv];
  }

  /** The parts of [fromMs, toMs) (aligned) that must still be downloaded. */
  missing(fromMs: number, toMs: number): Range[] {
    const [a, b] = this.align(fromMs, toMs);
    return subtractRanges(a, b, this.#covered);
  }

  /**
   * Records a completely downloaded range and its candles: grid times in it without a candle (in
   * them or in the file) become recorded gaps. Returns the gaps found in this range. Ranges must be
   * added in time order (each after the last): they are written to the new file at once.
   */
  add(range: Range, candles: readonly Candle[]): Range[] {
    if (this.#failed) throw new Error(`the merge into ${this.path} failed already`);
    const [a, b] = this.align(range[0], range[1]);
    const iv = this.#intervalMs;
    for (const c of candles) {
      if (c.ts >= a && c.ts < b && c.ts % iv !== 0) throw new RangeError(`candle at ${new Date(c.ts).toISOString()} is not on the ${this.intervalMinutes}-minute grid`);
    }
    let found: Range[];
    try {
      found = this.#startMerge().page([a, b], candles);
    } catch (e) {
      this.#abort();
      throw e;
    }
    this.#covered = mergeRanges([...this.#covered, [a, b]]);
    this.#gaps = mergeRanges([...this.#gaps, ...found]);
    return found;
  }

  /** Cached candles with open time in [fromMs, toMs), ascending (read from the file, as saved). */
  candles(fromMs: number, toMs: number): Candle[] {
    const out: Candle[] = [];
    if (this.#present.length === 0) return out;
    for (const batch of readCandleBatchesSync(this.path)) {
      for (const c of batch) if (c.ts >= fromMs && c.ts < toMs && c.ts % this.#intervalMs === 0) out.push(c);
      if (batch.length > 0 && batch.at(-1)!.ts >= toMs) break;
    }
    return out;
  }

  /** Recorded gaps overlapping [fromMs, toMs), clipped to it. */
  gaps(fromMs: number, toMs: number): Range[] {
    return this.#gaps.filter(([a, b]) => b > fromMs && a < toMs).map(([a, b]): Range => [Math.max(a, fromMs), Math.min(b, toMs)]);
  }

  /** Candles the file holds (or will, once saved) with open time in [fromMs, toMs), without loading them. */
  count(fromMs: number, toMs: number): number {
    const iv = this.#intervalMs;
    const from = Math.ceil(fromMs / iv) * iv;
    let n = 0;
    for (const [a, b] of this.#present) n += Math.max(0, Math.ceil((Math.min(b, toMs) - Math.max(a, from)) / iv));
    return n;
  }

  /**
   * Puts the new file (the old one's candles with the added ones) in place of the old, then writes
   * the manifest. After a failed merge nothing is written: the old file and manifest stay.
   */
  save(): void {
    if (this.#failed) return;
    const merge = this.#startMerge();
    this.#merge = null;
    try {
      this.#present = mergeRanges(merge.finish());
    } catch (e) {
      this.#failed = true;
      throw e;
    }
    const manifest: Manifest = { version: 1, symbol: this.symbol, intervalMinutes: this.intervalMinutes, covered: this.#covered, gaps: this.#gaps };
    atomicWrite(this.manifestPath, JSON.stringify(manifest) + '\n');
  }

  #load(): void {
    if (!existsSync(this.manifestPath)) return;
    let manifest: Manifest;
    try {
      manifest = parseManifest(readFileSync(this.manifestPath, 'utf8'));
    } catch (e) {
      this.problems.push(`${this.manifestPath}: unreadable (${e instanceof Error ? e.message : String(e)}); downloading again`);
      return;
    }
    if (manifest.symbol !== this.symbol || manifest.intervalMinutes !== this.intervalMinutes) {
      this.problems.push(`${this.manifestPath}: describes ${manifest.symbol} ${manifest.intervalMinutes}m, not ${this.symbol} ${this.intervalMinutes}m; downloading again`);
      return;
    }
    const iv = this.#intervalMs;
    const present: [number, number][] = [];
    try {
      if (existsSync(this.path)) {
        for (const batch of readCandleBatchesSync(this.path)) {
          for (const c of batch) {
            if (c.ts % iv !== 0) continue;
            const last = present.at(-1);
            if (last && last[1] === c.ts) last[1] = c.ts + iv;
            else present.push([c.ts, c.ts + iv]);
          }
        }
      }
    } catch (e) {
      this.problems.push(`${this.path}: unreadable (${e instanceof Error ? e.message : String(e)}); downloading again`);
      return;
    }
    this.#present = mergeRanges(present);
    this.#gaps = mergeRanges(manifest.gaps);
    // Trust a range only if every grid time in it is accounted for.
    const accounted = mergeRanges([...this.#present, ...this.#gaps]);
    const valid: Range[] = [];
    for (const [a, b] of mergeRanges(manifest.covered)) {
      let missing = 0;
      const holes = subtractRanges(a, b, accounted);
      for (const [x, y] of holes) missing += Math.ceil((y - x) / iv);
      const firstMissing = holes[0]?.[0] ?? 0;
      if (missing === 0) valid.push([a, b]);
      else {
        this.problems.push(
          `cache ${this.symbol} ${this.intervalMinutes}m: ${missing} candle(s) of ${iso(a)} – ${iso(b)} are missing from ${this.path} (first ${iso(firstMissing)}); downloading that range again`,
        );
      }
    }
    this.#covered = valid;
  }

  /** The merge into a new file, started on first need: the file's candles are kept if it was read. */
  #startMerge(): CacheMerge {
    if (this.#merge === null) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.#removeStrayFiles();
      this.#merge = new CacheMerge(this.path, this.#present.length > 0 ? this.path : null, this.#intervalMs);
    }
    return this.#merge;
  }

  /** New files a killed download left (`<file>.<pid>.tmp` of a process that is gone). */
  #removeStrayFiles(): void {
    const prefix = `${basename(this.path)}.`;
    for (const f of readdirSync(dirname(this.path))) {
      const pid = f.startsWith(prefix) && f.endsWith('.tmp') ? Number(f.slice(prefix.length, -'.tmp'.length)) : NaN;
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !isRunning(pid)) rmSync(join(dirname(this.path), f), { force: true });
    }
  }

  #abort(): void {
    this.#failed = true;
    this.#merge?.abort();
    this.#merge = null;
  }
}

function parseManifest(text: string): Manifest {
  const raw: unknown = JSON.parse(text);
  const isRanges = (x: unknown): x is Range[] =>
    Array.isArray(x) && x.every((r) => Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[1] > r[0]);
  if (typeof raw !== 'object' || raw === null) throw new Error('not a JSON object');
  const m = raw as Record<string, unknown>;
  if (m.version !== 1 || typeof m.symbol !== 'string' || typeof m.intervalMinutes !== 'number' || !isRanges(m.covered) || !isRanges(m.gaps)) {
    throw new Error('not a candle cache manifest (version 1)');
  }
  return { version: 1, symbol: m.symbol, intervalMinutes: m.intervalMinutes, covered: m.covered, gaps: m.gaps };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function atomicWrite(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
