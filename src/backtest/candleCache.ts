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
 * 1m candles without a gap is one run): a backtest from the cache reads the file itself, so the
 * candles are loaded into memory only when a download adds some or `candles()` asks (issue 21).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { formatCandleCsv, readCandleBatchesSync, readCandleFile } from '../domain/candleCsv.js';
import type { Candle } from '../domain/types.js';

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
  readonly #candles = new Map<number, Candle>();
  /** #candles holds the file's candles (loaded on first need). */
  #loaded = false;
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
   * Records a completely downloaded range and its candles: grid times in it without a candle become
   * recorded gaps. Returns the gaps found in this range.
   */
  add(range: Range, candles: readonly Candle[]): Range[] {
    this.#loadCandles();
    const [a, b] = this.align(range[0], range[1]);
    const iv = this.#intervalMs;
    for (const c of candles) {
      if (c.ts < a || c.ts >= b) continue;
      if (c.ts % iv !== 0) throw new RangeError(`candle at ${new Date(c.ts).toISOString()} is not on the ${this.intervalMinutes}-minute grid`);
      this.#candles.set(c.ts, c);
    }
    const found: [number, number][] = [];
    for (let t = a; t < b; t += iv) {
      if (this.#candles.has(t)) continue;
      const last = found.at(-1);
      if (last && last[1] === t) last[1] = t + iv;
      else found.push([t, t + iv]);
    }
    this.#covered = mergeRanges([...this.#covered, [a, b]]);
    this.#gaps = mergeRanges([...this.#gaps, ...found]);
    return found;
  }

  /** Cached candles with open time in [fromMs, toMs), ascending. */
  candles(fromMs: number, toMs: number): Candle[] {
    this.#loadCandles();
    const out: Candle[] = [];
    for (const c of this.#candles.values()) if (c.ts >= fromMs && c.ts < toMs) out.push(c);
    return out.sort((x, y) => x.ts - y.ts);
  }

  /** Recorded gaps overlapping [fromMs, toMs), clipped to it. */
  gaps(fromMs: number, toMs: number): Range[] {
    return this.#gaps.filter(([a, b]) => b > fromMs && a < toMs).map(([a, b]): Range => [Math.max(a, fromMs), Math.min(b, toMs)]);
  }

  /** Candles the file holds (or will, once saved) with open time in [fromMs, toMs), without loading them. */
  count(fromMs: number, toMs: number): number {
    if (this.#loaded) {
      let n = 0;
      for (const t of this.#candles.keys()) if (t >= fromMs && t < toMs) n++;
      return n;
    }
    const iv = this.#intervalMs;
    const from = Math.ceil(fromMs / iv) * iv;
    let n = 0;
    for (const [a, b] of this.#present) n += Math.max(0, Math.ceil((Math.min(b, toMs) - Math.max(a, from)) / iv));
    return n;
  }

  save(): void {
    this.#loadCandles();
    mkdirSync(dirname(this.path), { recursive: true });
    const all = [...this.#candles.values()].sort((x, y) => x.ts - y.ts);
    atomicWrite(this.path, gzipSync(formatCandleCsv(all)));
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

  /** The file's candles into #candles, once (a download adds to them, `save` writes them all). */
  #loadCandles(): void {
    if (this.#loaded) return;
    this.#loaded = true;
    if (this.#present.length === 0) return;
    for (const c of readCandleFile(this.path)) if (c.ts % this.#intervalMs === 0) this.#candles.set(c.ts, c);
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

function atomicWrite(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
