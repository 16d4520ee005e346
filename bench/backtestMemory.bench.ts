/**
 * Backtest memory (issue 21): peak RSS of `node dist/bot.js backtest --data FILE --json OUT` as a
 * user runs it, for one month and one year of 1m candles, from `.csv`, from `.csv.gz` and from the
 * `--download` cache. Goal: at most 100 MB for the year, and at most 10 MB more than the month.
 * The year is the real BTCUSDT month in data/ repeated (./candleFiles.ts). Each process reports
 * its own peak (`process.resourceUsage().maxRSS`, the kernel's high-water mark) from a preloaded
 * exit hook. A two-run sweep shows that a sweep's peak with its runs on worker threads;
 * `--max-semi-space-size=1` shows the share of V8's young generation. A sweep of 8 runs is timed
 * against the same 8 runs as 8 commands (issue 18). `--download` fetching the year from the
 * sandbox on loopback (./downloadYear.ts), into an empty cache and into one holding its first
 * half, shows the merge into the cache file.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MONTH, writeRepeatedMonth } from './candleFiles.js';
import { downloadYear } from './downloadYear.js';
import { projectRoot, report, type Figure } from './harness.js';

const root = projectRoot();
const bot = join(root, 'dist', 'bot.js');
const dir = mkdtempSync(join(tmpdir(), 'backtest-memory-'));
const YEAR = 525_600;

/** A `--download` cache in `stateDir` that covers the file's candles, and the arguments that run from it. */
function cachedDownload(file: string, stateDir: string): string[] {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const first = Number(lines[1]!.split(',')[0]);
  const last = Number(lines.at(-1)!.split(',')[0]);
  const cache = join(stateDir, 'cache', 'candles', 'api.bybit.com');
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, 'bybit-BTCUSDT-1m.csv.gz'), readFileSync(`${file}.gz`));
  writeFileSync(join(cache, 'bybit-BTCUSDT-1m.json'), JSON.stringify({ version: 1, symbol: 'BTCUSDT', intervalMinutes: 1, covered: [[first, last + 60_000]], gaps: [] }));
  const iso = (ms: number): string => new Date(ms).toISOString();
  return [bot, 'backtest', '--download', '--symbol', 'BTCUSDT', '--interval', '1', '--from', iso(first + 200 * 60_000), '--to', iso(last), '--state-dir', stateDir, '--json', join(dir, 'out.json')];
}

const hook = join(dir, 'maxrss.cjs');
writeFileSync(hook, "process.on('exit', () => require('node:fs').writeFileSync(process.env.MAXRSS_OUT, String(process.resourceUsage().maxRSS)));\n");

/** Runs node with the exit hook; peak RSS in MB and the whole process's wall time in seconds. */
function measure(nodeArgs: readonly string[], args: readonly string[]): { rssMb: number; wallS: number } {
  const out = join(dir, 'maxrss.txt');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...nodeArgs, '--require', hook, ...args], { cwd: dir, env: { ...process.env, MAXRSS_OUT: out }, stdio: ['ignore', 'ignore', 'pipe'] });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-500)}`);
  return { rssMb: Number(readFileSync(out, 'utf8')) / 1024, wallS };
}

const backtest = (file: string, ...more: string[]): string[] => [bot, 'backtest', '--data', file, '--symbol', 'BTCUSDT', '--state-dir', join(dir, 'state'), '--json', join(dir, 'out.json'), ...more];

try {
  const month = writeRepeatedMonth(dir, 'bybit-BTCUSDT-1m-month.csv', MONTH, true);
  const year = writeRepeatedMonth(dir, 'bybit-BTCUSDT-1m-year.csv', YEAR, true);
  const bare = measure([], ['-e', '0']);
  const m = measure([], backtest(month));
  const y = measure([], backtest(year));
  const mGz = measure([], backtest(`${month}.gz`));
  const yGz = measure([], backtest(`${year}.gz`));
  const mCache = measure([], cachedDownload(month, join(dir, 'cache-month')));
  const yCache = measure([], cachedDownload(year, join(dir, 'cache-year')));
  const sweepMonth = measure([], backtest(month, '--set', 'proximityPct=0.3,0.5'));
  const sweep = measure([], backtest(year, '--set', 'proximityPct=0.3,0.5'));
  const small = measure(['--max-semi-space-size=1'], backtest(year));
  // `signals` reads its file in batches too (checked through once first), its CSV to stdout.
  const signalsMonth = measure([], [bot, 'signals', '--data', month]);
  const signalsYear = measure([], [bot, 'signals', '--data', year]);
  const served = await downloadYear(year, dir, hook);
  let fetchEmpty: number;
  let fetchHalf: number;
  try {
    fetchEmpty = await served.measure(bot, false);
    fetchHalf = await served.measure(bot, true);
  } finally {
    await served.close();
  }
  // Issue 18 item 4: a sweep of 8 runs on worker threads against the same 8 runs one command each.
  const values = ['0.2', '0.25', '0.3', '0.35', '0.4', '0.45', '0.5', '0.55'];
  const sweep8 = measure([], backtest(month, '--set', `proximityPct=${values.join(',')}`));
  let sequentialS = 0;
  for (const v of values) sequentialS += measure([], backtest(month, '--set', `proximityPct=${v}`)).wallS;
  // A long sweep: each worker takes run after run, and is replaced when its heap has grown (backtestJobs.ts).
  const sweep32 = measure([], backtest(month, '--set', `proximityPct=${Array.from({ length: 32 }, (_, i) => (0.2 + i * 0.0125).toFixed(4)).join(',')}`));
  const growth = y.rssMb - m.rssMb;
  const figures: Figure[] = [
    { name: 'bare node -e 0', value: bare.rssMb, unit: 'MB' },
    { name: `month (${MONTH.toLocaleString('en-US')} 1m candles), peak RSS`, value: m.rssMb, unit: 'MB' },
    { name: `year (${YEAR.toLocaleString('en-US')} 1m candles), peak RSS`, value: y.rssMb, unit: 'MB', goal: '<= 100 MB', ok: y.rssMb <= 100 },
    { name: 'year minus month, peak RSS', value: growth, unit: 'MB', goal: '<= 10 MB', ok: growth <= 10 },
    { name: 'month, .csv.gz, peak RSS', value: mGz.rssMb, unit: 'MB' },
    { name: 'year, .csv.gz, peak RSS', value: yGz.rssMb, unit: 'MB', goal: '<= 100 MB', ok: yGz.rssMb <= 100 },
    { name: 'year minus month, .csv.gz, peak RSS', value: yGz.rssMb - mGz.rssMb, unit: 'MB', goal: '<= 10 MB', ok: yGz.rssMb - mGz.rssMb <= 10 },
    { name: 'month, --download from the cache, peak RSS', value: mCache.rssMb, unit: 'MB' },
    { name: 'year, --download from the cache, peak RSS', value: yCache.rssMb, unit: 'MB', goal: '<= 100 MB', ok: yCache.rssMb <= 100 },
    { name: 'year, --download fetching it into an empty cache, peak RSS', value: fetchEmpty, unit: 'MB', goal: '<= 100 MB', ok: fetchEmpty <= 100 },
    { name: 'year, --download fetching its second half into the cache, peak RSS', value: fetchHalf, unit: 'MB', goal: '<= 100 MB', ok: fetchHalf <= 100 },
    { name: 'month, sweep of 2 runs (2 workers where 2 cores), peak RSS', value: sweepMonth.rssMb, unit: 'MB' },
    { name: 'year, sweep of 2 runs, peak RSS', value: sweep.rssMb, unit: 'MB' },
    { name: 'year, node --max-semi-space-size=1, peak RSS', value: small.rssMb, unit: 'MB' },
    { name: 'signals, month, peak RSS', value: signalsMonth.rssMb, unit: 'MB' },
    { name: 'signals, year, peak RSS', value: signalsYear.rssMb, unit: 'MB' },
    { name: 'signals, year, whole process', value: signalsYear.wallS, unit: 's' },
    { name: 'month, whole process', value: m.wallS, unit: 's' },
    { name: 'year, whole process', value: y.wallS, unit: 's' },
    { name: 'month, sweep of 8 runs on worker threads, whole process', value: sweep8.wallS, unit: 's' },
    { name: 'month, the same 8 runs one command after another', value: sequentialS, unit: 's' },
    { name: 'sweep speed-up (8 sequential ÷ sweep)', value: sequentialS / sweep8.wallS, unit: '×' },
    { name: 'month, sweep of 8 runs, peak RSS (all threads)', value: sweep8.rssMb, unit: 'MB' },
    { name: 'month, sweep of 32 runs, whole process', value: sweep32.wallS, unit: 's' },
    { name: 'month, sweep of 32 runs, peak RSS (all threads)', value: sweep32.rssMb, unit: 'MB' },
  ];
  report('backtestMemory', figures);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
