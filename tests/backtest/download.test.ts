/**
 * `backtest --download` and its cache (issue 9 item 2, "Done when"): real ccxt against the sandbox
 * on loopback, through a counting proxy that records every request. A covered range makes no request;
 * a partly covered one fetches only the missing part; gaps are found, reported and remembered; a
 * cache is trusted by the date ranges it can prove, never by its length.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CandleCache } from '../../src/backtest/candleCache.js';
import { downloadCandles, type DownloadOptions } from '../../src/backtest/downloadCandles.js';
import { formatCandleCsv, readCandleFile } from '../../src/domain/candleCsv.js';
import type { Candle } from '../../src/domain/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { countingProxy, type CountingProxy } from './countingProxy.js';

const ALL = readCandleFile(fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url))).slice(0, 5001);
/** The sandbox serves every candle but the last as closed (historyCandles = n − 1). */
const SERVED = ALL.slice(0, 5000);
const ts = (i: number) => SERVED[i]!.ts;

const klines = (log: readonly string[]) => log.filter((l) => l.startsWith('/v5/market/kline'));
const param = (l: string, k: string) => Number(new URL(l, 'http://x').searchParams.get(k));

let sb: Sandbox;
let proxy: CountingProxy;
let dir: string;
beforeAll(async () => {
  sb = await startSandbox({ data: [{ symbol: 'BTCUSDT', candles: ALL }], historyCandles: ALL.length - 1, rateLimits: false });
  proxy = await countingProxy(sb.restUrl);
});
afterAll(async () => {
  await proxy.close();
  await sb.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-dl-'));
  proxy.log.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const opts = (fromMs: number, toMs: number, extra: Partial<DownloadOptions> = {}): DownloadOptions => ({ symbol: 'BTCUSDT', intervalMinutes: 1, fromMs, toMs, cacheDir: dir, restUrl: proxy.url, ...extra });

describe('download through ccxt fetchOHLCV, paginated', () => {
  it('fetches a 2,500-candle range in pages of at most 1000, equal to the source candles, with progress', async () => {
    const progress: number[] = [];
    const r = await downloadCandles(opts(ts(1000), ts(3500), { onProgress: (p) => progress.push(p.doneCandles) }));
    expect(r.candles).toEqual(SERVED.slice(1000, 3500));
    const pages = klines(proxy.log);
    expect(pages, 'Bybit pages hold at most 1000 klines').toHaveLength(3);
    for (const p of pages) expect(param(p, 'limit')).toBe(1000);
    expect(progress).toEqual([0, 1000, 2000, 2500]);
    expect(r.gaps).toEqual([]);
    expect(readCandleFile(r.file), 'the cache file is a canonical candle CSV').toEqual(SERVED.slice(1000, 3500));
  });

  it('a range the cache covers makes no request at all', async () => {
    await downloadCandles(opts(ts(1000), ts(3500)));
    proxy.log.length = 0;
    const again = await downloadCandles(opts(ts(1000), ts(3500)));
    const inside = await downloadCandles(opts(ts(1200), ts(3000)));
    expect(proxy.log, 'no request reached the exchange').toEqual([]);
    expect(again.requests + inside.requests).toBe(0);
    expect(inside.count, 'counted from the cache file without loading it').toBe(1800);
    expect(inside.candles).toEqual(SERVED.slice(1200, 3000));
  });

  it('a partly covered range fetches only the missing parts', async () => {
    await downloadCandles(opts(ts(1000), ts(3500)));
    proxy.log.length = 0;
    const r = await downloadCandles(opts(ts(500), ts(4000)));
    expect(r.candles).toEqual(SERVED.slice(500, 4000));
    expect(r.fetchedCandles).toBe(1000);
    const pages = klines(proxy.log);
    expect(pages).toHaveLength(2);
    const missing = [
      [ts(500), ts(1000)],
      [ts(3500), ts(4000)],
    ];
    for (const p of pages) {
      const [start, end] = [param(p, 'start'), param(p, 'end')];
      expect(
        missing.some(([a, b]) => start >= a! && end < b!),
        `request ${start}-${end} stays inside a missing part`,
      ).toBe(true);
    }
  });

  it('never caches the candle that is still forming', async () => {
    const r = await downloadCandles(opts(ts(100), ts(400), { nowMs: () => ts(300) + 30_000 }));
    expect(r.candles.at(-1)).toEqual(SERVED[299]);
    const cache = CandleCache.open(dir, 'BTCUSDT', 1);
    expect(cache.covered).toEqual([[ts(100), ts(300)]]);
  });
});

describe('gaps and cache validation', () => {
  it('detects a gap in the exchange data, reports it, remembers it, and does not fetch it again', async () => {
    // A second sandbox whose data lacks 10 candles (as after an exchange outage).
    const holey = [...ALL.slice(0, 2000), ...ALL.slice(2010)];
    const sb2 = await startSandbox({ data: [{ symbol: 'BTCUSDT', candles: holey, intervalMs: 60_000 }], historyCandles: holey.length - 1, rateLimits: false });
    const p2 = await countingProxy(sb2.restUrl);
    try {
      const r = await downloadCandles(opts(ts(1500), ts(2500), { restUrl: p2.url }));
      expect(r.gaps).toEqual([[ts(2000), ts(2010)]]);
      expect(r.candles).toHaveLength(990);
      p2.log.length = 0;
      const again = await downloadCandles(opts(ts(1500), ts(2500), { restUrl: p2.url }));
      expect(p2.log, 'the known gap is not asked for again').toEqual([]);
      expect(again.gaps).toEqual([[ts(2000), ts(2010)]]);
      expect(again.count, 'the gap counts no candle').toBe(990);
    } finally {
      await p2.close();
      await sb2.close();
    }
  });

  it('trusts the date ranges it can prove, not the length: a same-length but damaged file is fetched again', async () => {
    const first = await downloadCandles(opts(ts(1000), ts(2000)));
    // Same number of rows: 50 candles inside the range replaced by 50 from outside it.
    const damaged: Candle[] = [...SERVED.slice(1000, 1400), ...SERVED.slice(1450, 2000), ...SERVED.slice(2500, 2550)];
    expect(damaged).toHaveLength(1000);
    writeFileSync(first.file, gzipSync(formatCandleCsv(damaged)));
    proxy.log.length = 0;
    const r = await downloadCandles(opts(ts(1000), ts(2000)));
    expect(r.cacheProblems.join('\n')).toMatch(/50 candle\(s\) of .* are missing/);
    expect(klines(proxy.log).length, 'the unproven range was downloaded again').toBeGreaterThan(0);
    expect(r.candles).toEqual(SERVED.slice(1000, 2000));
  });
});
