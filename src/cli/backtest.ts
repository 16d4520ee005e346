/**
 * `node dist/bot.js backtest` (DESIGN section 4, issue 9): replays candles through the same engine
 * and strategy code as live (src/backtest/runBacktest.ts) and reports the metrics of DESIGN
 * section 5: a phone-sized summary on stderr, `--json OUT` (DESIGN's shape; `-` = stdout),
 * `--html OUT` (one self-contained page), and for `--set key=v1,v2` sweeps a ranked table with every
 * result saved under `<stateDir>/results/`.
 *
 * Data: `--data FILE.csv[.gz]`, or `--download --symbol S --interval I --from ISO --to ISO` through
 * ccxt into the cache in the state directory (src/backtest/downloadCandles.ts); `--exchange-url`
 * (or config `exchange.restUrl`) points the download elsewhere (the sandbox).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileCandleSource, isCandleSource, playFileOnce, type CandleSource } from '../backtest/candleSource.js';
import { backtestConfig, selectEntry, strategyArg } from '../backtest/backtestConfig.js';
import { describeGaps, downloadCandles, type DownloadProgress } from '../backtest/downloadCandles.js';
import { writeReportFile } from '../backtest/reportJson.js';
import type { BacktestMetrics } from '../backtest/metrics.js';
import { expandGrid, type LockRefusals, rankMetricArg, rankResults, resultFileName, saveResult } from '../backtest/sweep.js';
import { paintFor, renderSummary, renderSweep } from '../backtest/terminalSummary.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { INTERVALS_MINUTES } from '../config/schema.js';
import { UsageError } from '../util/errors.js';
import { colourEnabled } from '../util/logger.js';
import type { Command, CommandIo } from './command.js';
import { defaultConfigPath, openDataArg } from './paths.js';
import { writeBacktestOutputs, type BacktestResult as Result } from './writeBacktestOutputs.js';
import { runJob, runJobs, workerPlan, workersAvailable, type BacktestJob, type JobData } from './backtestJobs.js';
import { dataFigures, readDataOnce, type DataSource } from './readDataOnce.js';
import { sweepProgress } from './sweepProgress.js';
import { strategyFor } from './wiring.js';

const USAGE = `Usage: node dist/bot.js backtest --data FILE.csv [options]
       node dist/bot.js backtest --download --symbol BTCUSDT --interval 1 --from ISO --to ISO [options]

Replays candles through the same engine and strategy as live trading, with
fees, slippage and fills per config (paper section), and reports the result.

Data:
  --data FILE          candle CSV (ts,open,high,low,close,volume), .csv or .csv.gz
  --download           fetch Bybit klines (cached in STATE/cache/candles; only
                       missing ranges are fetched); needs --symbol --interval
                       --from --to
  --interval N         minutes: 1 3 5 15 30 60 120 240 360 720 1440 (or 1m, 1h, 1d)
  --exchange-url URL   REST base URL for --download (default: config exchange.restUrl, else Bybit)
  --from ISO --to ISO  window, e.g. 2025-06-01 or 2025-06-01T12:00Z (to exclusive);
                       candles before --from warm the indicators up

Strategy:
  --config PATH        config file (default ./config.json if present, else defaults)
  --symbol S           symbol entry to test (default: the data's, else the first)
  --strategy NAME      scalper or maker (replaces the entry's strategy)
  --set key=value      override (repeatable): a bare key is a strategy parameter
                       (--set proximityPct=0.5), a path is inside the symbol entry
                       (--set exits.timeExitCandles=30); risk.* and paper.* reach
                       those sections (--set paper.slippagePct=0.05)
  --set key=v1,v2,v3   sweep: runs every combination, prints a ranked table,
                       saves each result in STATE/results/backtest-<time>.json
  --rank METRIC        sweep ranking: netPnl (default), sharpe, sortino, returnPct,
                       profitFactor, winRate, maxDrawdownPct (lowest first)
  --state-dir DIR      state directory (default: stateDir from the config, else ./state)

Output:
  --json OUT           the result as JSON (- for stdout)
  --html OUT           one self-contained HTML report; on the phone: termux-open OUT
  -h, --help           this text

Exit status: 0 done, 1 runtime failure (download), 2 usage or configuration error.`;

interface Values {
  config?: string;
  'state-dir'?: string;
  data?: string;
  download?: boolean;
  symbol?: string;
  interval?: string;
  strategy?: string;
  set?: string[];
  json?: string;
  html?: string;
  from?: string;
  to?: string;
  'exchange-url'?: string;
  rank?: string;
  help?: boolean;
}

export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'replay candles through the strategies and engine; metrics, JSON and HTML reports',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        'state-dir': { type: 'string' },
        data: { type: 'string' },
        download: { type: 'boolean' },
        symbol: { type: 'string' },
        interval: { type: 'string' },
        strategy: { type: 'string' },
        set: { type: 'string', multiple: true },
        json: { type: 'string' },
        html: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'exchange-url': { type: 'string' },
        rank: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.stderr.write(USAGE + '\n');
      return 0;
    }
    try {
      return await backtest(values, io);
    } catch (e) {
      if (e instanceof ConfigError) {
        io.stderr.write(`backtest: ${e.message}\n`);
        return 2;
      }
      if (e instanceof UsageError) throw e;
      io.stderr.write(`backtest: ${e instanceof Error ? `${e.message}` : String(e)}\n`);
      return 1;
    }
  },
};

/** ISO 8601 date or date-time (UTC unless it says otherwise), or Unix ms. */
export function parseTimeArg(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const ms = /^\d{10,}$/.test(s) ? Number(s) : Date.parse(/^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?)?$/.test(s) ? `${s}${s.length > 10 ? 'Z' : ''}` : s);
  if (!Number.isFinite(ms)) throw new UsageError(`--${name} expects an ISO date such as 2025-06-01 or 2025-06-01T12:00Z, got "${s}"`);
  return ms;
}

/** `1`, `5`, `60`, `1m`, `1h`, `1d`, `D` → minutes, one of Bybit's kline intervals. */
export function parseIntervalArg(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d+)([mhd]?)$/i.exec(s.trim());
  const minutes = s.trim().toUpperCase() === 'D' ? 1440 : m ? Number(m[1]) * ({ '': 1, m: 1, h: 60, d: 1440 } as Record<string, number>)[m[2]!.toLowerCase()]! : NaN;
  if (!(INTERVALS_MINUTES as readonly number[]).includes(minutes)) throw new UsageError(`--interval must be one of ${INTERVALS_MINUTES.join(', ')} minutes (or 1m, 1h, 1d), got "${s}"`);
  return minutes;
}

/** The `--data` file, checked whole and counted; each run reads it again in batches (issue 21). */
async function readDataFile(arg: string, io: CommandIo, intervalArg: number | undefined): Promise<DataSource> {
  const { path, source: candles } = await openDataArg(arg, io);
  return { candles, file: arg, ...dataFigures(arg, path, candles, intervalArg) };
}

/** The config the command line asks for: config.json when present, else defaults. */
function baseConfig(values: Values, io: CommandIo): { raw: Record<string, unknown>; path: string; stateDir: string; restUrl: string | null } {
  const path = defaultConfigPath(io, values.config);
  const present = existsSync(path);
  if (!present && values.config !== undefined) throw new UsageError(`--config ${values.config}: no such file`);
  let raw: Record<string, unknown> = {};
  let stateDir = resolve(io.cwd, 'state');
  let restUrl: string | null = null;
  if (present) {
    const loaded = loadConfig({ path, env: {} });
    raw = loaded.raw;
    stateDir = loaded.stateDir;
    restUrl = loaded.config.exchange.restUrl;
  }
  if (values['state-dir'] !== undefined) stateDir = resolve(io.cwd, values['state-dir']);
  return { raw, path, stateDir, restUrl };
}

export interface PreparedRun {
  readonly config: Config;
  readonly label: string;
}

export { runConfiguredBacktest } from './backtestJobs.js';

async function backtest(values: Values, io: CommandIo): Promise<number> {
  const download = values.download === true;
  if (download === (values.data !== undefined)) throw new UsageError('backtest needs either --data FILE.csv or --download (see backtest --help)');
  const intervalArg = parseIntervalArg(values.interval);
  const fromMs = parseTimeArg('from', values.from);
  const toMs = parseTimeArg('to', values.to);
  if (fromMs !== undefined && toMs !== undefined && !(toMs > fromMs)) throw new UsageError('--to must be after --from');
  if (download) {
    const missing = (['symbol', 'interval', 'from', 'to'] as const).filter((k) => values[k] === undefined);
    if (missing.length > 0) throw new UsageError(`--download also needs ${missing.map((k) => `--${k}`).join(' ')}`);
  }
  const strategy = strategyArg(values.strategy);
  const rankBy = rankMetricArg(values.rank);
  const paint = paintFor(colourEnabled(io.env, io.stderr as { isTTY?: boolean }));

  const base = baseConfig(values, io);
  const window = { ...(fromMs !== undefined ? { fromMs } : {}), ...(toMs !== undefined ? { toMs } : {}) };
  const plan = (intervalMinutes: number, dataSymbol: string | null): { selected: ReturnType<typeof selectEntry>; runs: PreparedRun[]; notes: string[] } => {
    const selected = selectEntry(base.raw, { ...(values.symbol !== undefined ? { symbol: values.symbol } : {}), ...(strategy !== undefined ? { strategy } : {}), intervalMinutes, dataSymbol });
    // Every run of the grid is validated before the first one starts.
    const runs = expandGrid(values.set ?? []).map((p) => ({ config: backtestConfig(selected, p.overrides, base.path).config, label: p.label }));
    return { selected, runs, notes: [...selected.notes] };
  };
  // A single run that reads its file once (issue 18), and its report: the notes are printed once the file is checked.
  const runOnce = (runs: PreparedRun[], source: CandleSource, intervalMinutes: number, file: string): ReturnType<typeof runJob> =>
    runJob({ index: 0, config: runs[0]!.config, data: { kind: 'source', source, intervalMinutes }, window, file, countLocks: false });
  const reportOnce = (runs: PreparedRun[], notes: readonly string[], r: Awaited<ReturnType<typeof runJob>>): number => {
    for (const n of notes) io.stderr.write(`backtest: ${n}\n`);
    return reportSingle(values, io, runs, { head: r.head, curves: r.curves, notes: [...notes, ...r.notes] }, paint);
  };
  if (!download && isSingleGrid(values.set)) {
    const once = await readDataOnce(values.data!, io, intervalArg, async (file) => {
      const { runs, notes } = plan(file.intervalMinutes, file.symbol);
      return { runs, notes, r: await runOnce(runs, file.candles, file.intervalMinutes, file.file) };
    });
    if (once !== null) return reportOnce(once.runs, once.notes, once.r);
  }
  const file = download ? null : await readDataFile(values.data!, io, intervalArg);
  const intervalMinutes = file?.intervalMinutes ?? intervalArg!;
  const { selected, runs, notes } = plan(intervalMinutes, file?.symbol ?? null);

  let data: DataSource;
  if (file) data = file;
  else {
    const warm = Math.max(...runs.map((r) => strategyFor(r.config.symbols[0]!).warmupCandles)) + 7;
    const iv = intervalMinutes * 60_000;
    const restUrl = values['exchange-url'] ?? base.restUrl;
    const result = await downloadCandles({
      symbol: selected.symbol,
      intervalMinutes,
      fromMs: fromMs! - warm * iv,
      toMs: toMs!,
      cacheDir: join(base.stateDir, 'cache', 'candles', cacheSource(restUrl)),
      restUrl,
      onProgress: progressBar(io, `${selected.symbol} ${intervalMinutes}m`),
    });
    for (const p of result.cacheProblems) io.stderr.write(`backtest: ${p}\n`);
    io.stderr.write(
      result.requests === 0
        ? `backtest: ${result.count.toLocaleString('en-US')} candles from the cache ${result.file}\n`
        : `backtest: downloaded ${result.fetchedCandles.toLocaleString('en-US')} candles in ${result.requests} request(s) into ${result.file}\n`,
    );
    if (result.gaps.length > 0) {
      const g = `the exchange has no candles for ${describeGaps(result.gaps, intervalMinutes)}`;
      io.stderr.write(`backtest: ${g}\n`);
      notes.push(g);
    }
    if (result.count < 2) throw new UsageError(`no candles for ${selected.symbol} between ${values.from} and ${values.to}`);
    // A single run reads the cache file once, as a --data file (issue 18).
    const once = runs.length !== 1 ? null : await playFileOnce(result.file, (source) => runOnce(runs, source, intervalMinutes, result.file));
    if (once !== null) return reportOnce(runs, notes, once);
    // The runs read the cache file in batches, as a --data file (issue 21), the window cut from it.
    data = { candles: await fileCandleSource(result.file), intervalMinutes, file: result.file, symbol: selected.symbol };
  }
  for (const n of notes) io.stderr.write(`backtest: ${n}\n`);

  // Each sweep member's result is saved as soon as it is known, and only the best run so far keeps
  // its curves (for --html), so the command holds at most the runs in progress and the best (issue 21).
  const single = runs.length === 1;
  const jobs: BacktestJob[] = runs.map((r, index) => ({ index, config: r.config, data: jobData(data), window, file: data.file, countLocks: !single }));
  let workers = 0;
  if (!single && workersAvailable()) {
    const plan = workerPlan(runs.length);
    workers = plan.workers;
    io.stderr.write(`backtest: sweep of ${runs.length} runs on ${workers} worker thread(s) (${plan.why})\n`);
  }
  const progress = single ? null : sweepProgress(io, jobs.length, candlesRead(data, window.toMs));
  const saved: { index: number; label: string; file: string; metrics: BacktestMetrics; locks: LockRefusals }[] = [];
  let best: (Result & { index: number }) | null = null;
  let at = 0;
  await runJobs(jobs, workers, {
    progress: (i, n) => progress?.candles(i, n),
    done(i, r) {
      const result = { index: i, head: r.head, curves: r.curves, notes: [...notes, ...r.notes] };
      if (single) {
        best = result;
        return;
      }
      progress!.runDone(i);
      if (saved.length === 0) at = Date.now();
      saved.push({ index: i, label: runs[i]!.label, metrics: r.head.metrics, locks: r.locks, file: saveResult(base.stateDir, resultFileName(at, i), (path: string) => writeReportFile(path, r.head, r.curves)) });
      // Runs end in any order on workers: ties go to the earlier run, as when they ran one by one.
      const pair = best === null ? [result] : [best, result].sort((a, b) => a.index - b.index);
      best = rankResults(pair.map((x) => ({ x, metrics: x.head.metrics })), rankBy)[0]!.x;
    },
  }).catch((e: unknown) => {
    progress?.stop();
    throw e;
  });

  if (single) return reportSingle(values, io, runs, best! as Result, paint);

  const ranked = rankResults(saved.sort((a, b) => a.index - b.index), rankBy);
  io.stderr.write(renderSweep(ranked.map((r) => ({ label: r.label, metrics: r.metrics, locks: { column: r.locks.column(), summary: r.locks.summary() } })), rankBy, paint));
  io.stderr.write(`backtest: ${saved.length} results saved in ${dirname(saved[0]!.file)}\n`);
  const summary = { rankedBy: rankBy, runs: ranked.map((r) => ({ set: r.label, file: r.file, metrics: r.metrics, lockRefusals: Object.fromEntries(r.locks.counts) })) };
  writeBacktestOutputs(values, io, { summary }, best!);
  return 0;
}

/** Whether `--set` asks for one run (a sweep's values, or a bad --set, answer false). */
function isSingleGrid(set: readonly string[] | undefined): boolean {
  try {
    return expandGrid(set ?? []).length === 1;
  } catch {
    return false;
  }
}

/** A single run's summary on stderr, and its `--json` and `--html`. */
function reportSingle(values: Values, io: CommandIo, runs: readonly PreparedRun[], best: Result, paint: ReturnType<typeof paintFor>): number {
  const { head: report, curves, notes: runNotes } = best;
  io.stderr.write(
    renderSummary(
      {
        title: `${report.data.symbol} ${report.strategy} ${report.data.interval}m, ${report.data.candles.toLocaleString('en-US')} candles`,
        subtitle: `${report.data.from.slice(0, 16).replace('T', ' ')} → ${report.data.to.slice(5, 16).replace('T', ' ')}`,
        metrics: report.metrics,
        equity: curves.equity,
        startEquity: runs[0]!.config.paper.startBalanceUsdt,
        notes: runNotes,
      },
      paint,
    ),
  );
  writeBacktestOutputs(values, io, { report: best }, best);
  return 0;
}

/** A job's data: the checked file again (each run reads it), or the downloaded candles. */
function jobData(data: DataSource): JobData {
  const c = data.candles;
  if (!isCandleSource(c)) return { kind: 'candles', candles: c, intervalMinutes: data.intervalMinutes };
  if (c.path === undefined) throw new Error('a candle source without a file cannot be handed to a backtest run');
  return { kind: 'file', path: c.path, count: c.count, firstTs: c.firstTs, lastTs: c.lastTs, minStepMs: c.minStepMs, intervalMinutes: data.intervalMinutes };
}

/** Cache folder per exchange, so sandbox and Bybit candles never mix. */
/**
 * About how many candles a run reads: a file is read from its start until `--to` (the candles
 * before the window are its warm-up), which for the `--download` cache may be far less than the file.
 */
function candlesRead(data: DataSource, toMs: number | undefined): number {
  const c = data.candles;
  if (!isCandleSource(c)) return c.length;
  if (toMs === undefined || toMs > c.lastTs) return c.count;
  const stepMs = data.intervalMinutes * 60_000;
  return Math.max(1, Math.min(c.count, Math.ceil((toMs - c.firstTs) / stepMs)));
}

function cacheSource(restUrl: string | null): string {
  if (restUrl === null) return 'api.bybit.com';
  try {
    return new URL(restUrl).host.replace(/[^A-Za-z0-9.-]/g, '_');
  } catch {
    throw new UsageError(`--exchange-url ${restUrl} is not a URL`);
  }
}

/** A progress bar on stderr: redrawn in place on a terminal, a few lines otherwise. */
function progressBar(io: CommandIo, what: string): (p: DownloadProgress) => void {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let lastQuarter = -1;
  return ({ doneCandles, totalCandles }) => {
    const share = totalCandles > 0 ? doneCandles / totalCandles : 1;
    const width = 20;
    const filled = Math.round(share * width);
    const line = `download ${what} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${Math.floor(share * 100)}% ${doneCandles.toLocaleString('en-US')}/${totalCandles.toLocaleString('en-US')}`;
    if (tty) io.stderr.write(`\r${line}${share >= 1 ? '\n' : ''}`);
    else {
      const quarter = Math.floor(share * 4);
      if (quarter !== lastQuarter) {
        lastQuarter = quarter;
        io.stderr.write(line + '\n');
      }
    }
  };
}
