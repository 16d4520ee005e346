/**
 * `backtest --download` killed (SIGKILL) at any instant while it fetches new candles into a cache
 * that holds some already (issue 21): the cache is always either the old one or the new one, never
 * torn — the real `node dist/bot.js` against the sandbox on loopback, behind a proxy that slows each
 * kline page so that kills land while the new file is being written.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CandleCache } from '../../src/backtest/candleCache.js';
import { formatCandleCsv, readCandleFile } from '../../src/domain/candleCsv.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { runBot } from '../helpers/cli.js';

const ALL = readCandleFile(fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url))).slice(0, 12_001);
const iso = (ms: number) => new Date(ms).toISOString();

/** A loopback proxy to `target` that holds each kline answer back `delayMs`. */
async function slowProxy(target: string, delayMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  const t = new URL(target);
  const server: Server = createServer((req, res) => {
    const forward = () => {
      const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if ((req.url ?? '').startsWith('/v5/market/kline')) setTimeout(forward, delayMs);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let sb: Sandbox;
let proxy: { url: string; close: () => Promise<void> };
let dir: string;
beforeAll(async () => {
  sb = await startSandbox({ data: [{ symbol: 'BTCUSDT', candles: ALL }], historyCandles: ALL.length - 1, rateLimits: false });
  proxy = await slowProxy(sb.restUrl, 250);
  dir = mkdtempSync(join(tmpdir(), 'pocket-dlkill-'));
});
afterAll(async () => {
  await proxy.close();
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('backtest --download killed while it merges new candles into the cache', () => {
  it('leaves the old cache or the new one, never a torn one, and the next run completes it', async () => {
    // The cache holds the first half; the run asks for the whole (the warm-up before --from included).
    const cacheDir = join(dir, 'st', 'cache', 'candles');
    const args = ['backtest', '--download', '--symbol', 'BTCUSDT', '--interval', '1m', '--from', iso(ALL[200]!.ts), '--to', iso(ALL[12_000]!.ts), '--exchange-url', proxy.url, '--state-dir', 'st', '--json', 'out.json'];
    // The first run finds the cache folder's name (it depends on the exchange URL) and fills it; then it is cut back to half.
    const first = await runBot(args, { cwd: dir, timeoutMs: 120_000 });
    expect(first.code, first.stderr).toBe(0);
    const sub = readdirSync(cacheDir)[0]!;
    const cache = CandleCache.open(join(cacheDir, sub), 'BTCUSDT', 1);
    const full = readCandleFile(cache.path);
    const wholeRange = CandleCache.open(join(cacheDir, sub), 'BTCUSDT', 1).covered;
    const half = full.filter((c) => c.ts < ALL[6000]!.ts);
    const oldFile = gzipSync(formatCandleCsv(half));
    const oldManifest = JSON.stringify({ version: 1, symbol: 'BTCUSDT', intervalMinutes: 1, covered: [[wholeRange[0]![0], ALL[6000]!.ts]], gaps: [] });

    let midMerge = 0;
    let completed = false;
    for (let killAfterMs = 300; !completed && killAfterMs < 20_000; killAfterMs += 300) {
      writeFileSync(cache.path, oldFile);
      writeFileSync(cache.manifestPath, oldManifest);
      const r = await runBot(args, { cwd: dir, timeoutMs: killAfterMs });
      completed = r.code === 0;
      const left = readdirSync(join(cacheDir, sub));
      if (left.some((f) => f.endsWith('.tmp'))) midMerge++;
      for (const f of left) if (f.endsWith('.tmp')) rmSync(join(cacheDir, sub, f));
      // Old or new, whole: it reads through, its manifest is proven by it, nothing reported.
      const after = CandleCache.open(join(cacheDir, sub), 'BTCUSDT', 1);
      expect(after.problems, `killed after ${killAfterMs} ms`).toEqual([]);
      const candles = readCandleFile(cache.path);
      const isOld = readFileSync(cache.path).equals(oldFile);
      expect(isOld || candles.length === full.length, `killed after ${killAfterMs} ms: the old file or the new whole one`).toBe(true);
      if (!isOld) expect(candles).toEqual(full);
    }
    expect(completed, 'a run left alone long enough completes').toBe(true);
    expect(midMerge, 'some kills landed while the new file was being written').toBeGreaterThan(0);
    expect(readCandleFile(cache.path)).toEqual(full);
    expect(existsSync(join(dir, 'out.json'))).toBe(true);
  }, 300_000);
});
