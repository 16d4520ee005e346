/**
 * Peak RSS of `backtest --download` fetching a year of 1m candles (issue 21): the sandbox on
 * loopback serves the year built from the real month in data/ (repeated, each copy shifted to
 * follow the previous one), into an empty cache and into a cache that holds its first half.
 * Used by backtestMemory.bench.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readCandleFile } from '../src/domain/candleCsv.js';
import { startSandbox, type Sandbox } from '../src/sandbox/startSandbox.js';

export interface DownloadYear {
  /** Peak RSS in MB of a year downloaded into an empty cache, and into one holding its first half. */
  measure(bot: string, halfCached: boolean): Promise<number>;
  close(): Promise<void>;
}

/** Starts the sandbox serving `yearCsv` (a canonical candle file); runs go to directories under `dir`. */
export async function downloadYear(yearCsv: string, dir: string, hook: string): Promise<DownloadYear> {
  const candles = readCandleFile(yearCsv);
  const text = readFileSync(yearCsv, 'utf8');
  const sb: Sandbox = await startSandbox({ data: [{ symbol: 'BTCUSDT', candles }], historyCandles: candles.length - 1, rateLimits: false });
  const iso = (ms: number): string => new Date(ms).toISOString();
  const first = candles[0]!.ts;
  const last = candles.at(-1)!.ts;
  const mid = candles[Math.floor(candles.length / 2)]!.ts;
  let n = 0;
  return {
    async measure(bot, halfCached) {
      const state = join(dir, `dl-state-${n++}`);
      if (halfCached) {
        // The cache folder's name comes from the exchange URL: a tiny download finds it.
        await run(bot, state, first, first + 60 * 60_000);
        const sub = join(state, 'cache', 'candles', readdirSync(join(state, 'cache', 'candles'))[0]!);
        const cut = text.indexOf(`\n${mid},`) + 1;
        writeFileSync(join(sub, 'bybit-BTCUSDT-1m.csv.gz'), gzipSync(text.slice(0, cut)));
        writeFileSync(join(sub, 'bybit-BTCUSDT-1m.json'), JSON.stringify({ version: 1, symbol: 'BTCUSDT', intervalMinutes: 1, covered: [[first, mid]], gaps: [] }));
      } else mkdirSync(state, { recursive: true });
      return run(bot, state, first + 200 * 60_000, last);
    },
    close: () => sb.close(),
  };

  /** `backtest --download` from..to; its peak RSS in MB. */
  async function run(bot: string, state: string, fromMs: number, toMs: number): Promise<number> {
    const out = join(dir, 'dl-maxrss.txt');
    const args = ['--require', hook, bot, 'backtest', '--download', '--symbol', 'BTCUSDT', '--interval', '1', '--from', iso(fromMs), '--to', iso(toMs), '--exchange-url', sb.restUrl, '--state-dir', state, '--json', join(dir, 'dl-out.json')];
    const child = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, MAXRSS_OUT: out }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`backtest --download exited ${code}: ${err.slice(-500)}`);
    return Number(readFileSync(out, 'utf8')) / 1024;
  }
}
