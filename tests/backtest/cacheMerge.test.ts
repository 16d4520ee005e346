/**
 * The download cache merges downloaded pages into its file without holding either whole (issue 21):
 * the result is the file the in-memory merge wrote before, byte for byte (the old file's candles on
 * the grid, a downloaded candle replacing an old one, ascending, gzipped as `gzipSync` does), with
 * real candles from data/, overlaps and gaps. While pages come in, the old file is untouched and
 * the new one grows beside it; a merge that fails leaves the old file and manifest as they were.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CandleCache, type Range } from '../../src/backtest/candleCache.js';
import { formatCandleCsv, readCandleFile } from '../../src/domain/candleCsv.js';
import type { Candle } from '../../src/domain/types.js';

const REAL = readCandleFile(fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url))).slice(0, 8000);
const IV = 60_000;
const ts = (i: number) => REAL[i]!.ts;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-merge-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** What the cache wrote before issue 21's streamed merge: the whole file in a map, the pages set into it, sorted. */
function oldMerge(oldFile: readonly Candle[], pages: readonly (readonly [Range, readonly Candle[]])[]): Buffer {
  const all = new Map<number, Candle>();
  for (const c of oldFile) if (c.ts % IV === 0) all.set(c.ts, c);
  for (const [[a, b], cs] of pages) for (const c of cs) if (c.ts >= a && c.ts < b) all.set(c.ts, c);
  return gzipSync(formatCandleCsv([...all.values()].sort((x, y) => x.ts - y.ts)));
}

/** A cache file with `candles` and a manifest covering `covered`. */
function seed(candles: readonly Candle[], covered: Range[], gaps: Range[] = []): CandleCache {
  const cache = CandleCache.open(dir, 'BTCUSDT', 1);
  writeFileSync(cache.path, gzipSync(formatCandleCsv(candles)));
  writeFileSync(cache.manifestPath, JSON.stringify({ version: 1, symbol: 'BTCUSDT', intervalMinutes: 1, covered, gaps }));
  return CandleCache.open(dir, 'BTCUSDT', 1);
}

/** Pages of at most 1000 candles over [a, b), as the download asks for them. */
function pagesOf(a: number, b: number, source: readonly Candle[]): [Range, Candle[]][] {
  const out: [Range, Candle[]][] = [];
  for (let s = a; s < b; s += 1000 * IV) {
    const e = Math.min(b, s + 1000 * IV);
    out.push([[s, e], source.filter((c) => c.ts >= s && c.ts < e)]);
  }
  return out;
}

const tweak = (c: Candle): Candle => ({ ...c, volume: c.volume + 1.5, close: Math.min(c.high, c.close + 0.1) });

describe('the streamed merge writes the file the in-memory merge wrote', () => {
  it('into an empty cache: pages with gaps, byte for byte', () => {
    const source = REAL.filter((_, i) => !(i >= 1200 && i < 1210) && i !== 2999 && i !== 3000);
    const pages = pagesOf(ts(1000), ts(4500), source);
    const cache = CandleCache.open(dir, 'BTCUSDT', 1);
    for (const [r, cs] of pages) cache.add(r, cs);
    cache.save();
    expect(cache.gaps(ts(0), ts(7999)), 'gaps found, one across two pages').toEqual([
      [ts(1200), ts(1210)],
      [ts(2999), ts(3001)],
    ]);
    expect(readFileSync(cache.path).equals(oldMerge([], pages)), 'the same .csv.gz bytes').toBe(true);
    expect(cache.count(ts(0), ts(7999))).toBe(3500 - 12);
  });

  it('into a cache that holds candles before, between, after and inside the downloaded ranges', () => {
    // The file: 500–1500 covered; 3000–3500 in the file but not proven (a damaged range fetched again,
    // its values differ); 6000–6500 covered; one candle off the grid; a candle in 2000–2500 the
    // exchange no longer has (kept, not a gap).
    const offGrid: Candle = { ...REAL[1600]!, ts: ts(1600) + 30_000 };
    const old = [...REAL.slice(500, 1500), offGrid, REAL[2100]!, ...REAL.slice(3000, 3500).map(tweak), ...REAL.slice(6000, 6500)];
    const cache = seed(old, [
      [ts(500), ts(1500)],
      [ts(6000), ts(6500)],
    ]);
    expect(cache.missing(ts(0), ts(7000))).toEqual([
      [ts(0), ts(500)],
      [ts(1500), ts(6000)],
      [ts(6500), ts(7000)],
    ]);
    const exchange = REAL.filter((_, i) => i !== 2100 && !(i >= 4000 && i < 4003));
    const pages = cache.missing(ts(0), ts(7000)).flatMap(([a, b]) => pagesOf(a, b, exchange));
    const gaps = pages.flatMap(([r, cs]) => cache.add(r, cs));
    cache.save();
    expect(gaps, 'a candle the file has is no gap').toEqual([[ts(4000), ts(4003)]]);
    expect(gunzipSync(readFileSync(cache.path)).toString(), 'the same CSV').toBe(gunzipSync(oldMerge(old, pages)).toString());
    expect(readFileSync(cache.path).equals(oldMerge(old, pages)), 'the same .csv.gz bytes').toBe(true);
    const again = CandleCache.open(dir, 'BTCUSDT', 1);
    expect(again.problems).toEqual([]);
    expect(again.missing(ts(0), ts(7000))).toEqual([]);
    expect(again.candles(ts(3000), ts(3500)), 'the refetched range holds the exchange candles').toEqual(REAL.slice(3000, 3500));
    expect(cache.count(ts(0), ts(7000))).toBe(7000 - 3);
  });

  it('pages with candles outside their range or out of order keep only their range, sorted', () => {
    const cache = seed(REAL.slice(0, 100), [[ts(0), ts(100)]]);
    const page: Candle[] = [...REAL.slice(100, 300)].reverse().concat(REAL.slice(50, 60), REAL.slice(300, 320));
    const pages: [Range, Candle[]][] = [[[ts(100), ts(300)], page]];
    cache.add(pages[0]![0], page);
    cache.save();
    expect(readFileSync(cache.path).equals(oldMerge(REAL.slice(0, 100), pages))).toBe(true);
  });
});

describe('the old cache stays whole until the new one replaces it', () => {
  it('while pages come in, the old file is untouched and the new one is written beside it', () => {
    const old = REAL.slice(0, 2000);
    const cache = seed(old, [[ts(0), ts(2000)]]);
    const before = readFileSync(cache.path);
    for (const [r, cs] of pagesOf(ts(2000), ts(5000), REAL)) cache.add(r, cs);
    expect(readFileSync(cache.path).equals(before), 'the old file as it was').toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([`bybit-BTCUSDT-1m.csv.gz.${process.pid}.tmp`]);
    cache.save();
    expect(readdirSync(dir).sort()).toEqual(['bybit-BTCUSDT-1m.csv.gz', 'bybit-BTCUSDT-1m.json']);
    expect(readCandleFile(cache.path)).toEqual(REAL.slice(0, 5000));
  });

  it('the next download removes the new file a killed one left, not one of a process still running', () => {
    const cache = seed(REAL.slice(0, 100), [[ts(0), ts(100)]]);
    const stray = `${cache.path}.999999999.tmp`;
    const running = `${cache.path}.${process.ppid}.tmp`;
    writeFileSync(stray, 'half a file');
    writeFileSync(running, 'being written');
    cache.add([ts(100), ts(200)], REAL.slice(100, 200));
    cache.save();
    expect(existsSync(stray)).toBe(false);
    expect(existsSync(running)).toBe(true);
  });

  it('a cache file that turns unreadable during the merge is left as it is, with its manifest, and no temporary file', () => {
    const cache = seed(REAL.slice(0, 3000), [[ts(0), ts(3000)]]);
    const manifest = readFileSync(cache.manifestPath);
    // Truncated after it was checked (another program, a full disk): the merge reads it again.
    const damaged = readFileSync(cache.path).subarray(0, 4000);
    writeFileSync(cache.path, damaged);
    expect(() => cache.add([ts(3000), ts(4000)], REAL.slice(3000, 4000))).toThrow(/unexpected end of file/);
    cache.save();
    expect(readFileSync(cache.path).equals(damaged)).toBe(true);
    expect(readFileSync(cache.manifestPath).equals(manifest)).toBe(true);
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('an unreadable cache is reported and replaced by the download, as before', () => {
    const cache0 = CandleCache.open(dir, 'BTCUSDT', 1);
    writeFileSync(cache0.path, 'not gzip');
    writeFileSync(cache0.manifestPath, JSON.stringify({ version: 1, symbol: 'BTCUSDT', intervalMinutes: 1, covered: [[ts(0), ts(10)]], gaps: [] }));
    const cache = CandleCache.open(dir, 'BTCUSDT', 1);
    expect(cache.problems.join('\n')).toMatch(/unreadable \(incorrect header check\); downloading again/);
    cache.add([ts(0), ts(100)], REAL.slice(0, 100));
    cache.save();
    expect(readCandleFile(cache.path)).toEqual(REAL.slice(0, 100));
    expect(existsSync(cache.manifestPath)).toBe(true);
  });
});
