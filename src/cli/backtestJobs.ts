/**
 * Backtest runs as jobs (issue 18 item 4, issue 21): each run of `backtest` (one, or each member of
 * a `--set` sweep) is a job that can run on a worker thread. A sweep uses one worker per core as
 * far as the free memory allows, each worker bounded in its young generation so that its peak stays
 * what one run needs; results come back as they end, with the curves' memory handed over, not copied.
 * A worker takes the next job when it has finished one, so only its first run pays for compiling
 * the bundle and running cold code (a new worker per run made a sweep cost as much CPU as the same
 * runs as separate commands). What a run leaves behind is garbage V8 collects late in a long-lived
 * heap, so a worker whose heap has grown by {@link WORKER_HEAP_GROWTH_MB} since its first run is
 * replaced by a fresh one: a sweep's memory stays bounded however many runs it has.
 *
 * Workers run the bundle (dist/bot.js) again, in worker mode (src/cli/backtestWorker.ts); run from
 * the TypeScript sources (tests in-process) there is no bundle, and the jobs run one after another
 * in the calling thread, through the same `runJob`.
 */
import { availableParallelism, freemem } from 'node:os';
import { Worker } from 'node:worker_threads';
import { metricsOf, reportHead, type ReportHead } from '../backtest/backtestReport.js';
import { scannedFileSource, type CandleSource } from '../backtest/candleSource.js';
import { CandleTimes, type CandleTimesData } from '../backtest/candleTimes.js';
import { CurveValues, type CurveData } from '../backtest/curveValues.js';
import { BacktestError, runBacktest, type BacktestRun } from '../backtest/runBacktest.js';
import { LockRefusals } from '../backtest/sweep.js';
import type { Config } from '../config/schema.js';
import type { Candle } from '../domain/types.js';
import { UsageError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { engineSettingsFrom, strategyFor } from './wiring.js';
import { WORKER_TAG } from './workerTag.js';

/**
 * The data of a job: a checked file (read again by the job), candles in memory (a download), or a
 * source in this thread (a single run's file read once; never handed to a worker).
 */
export type JobData =
  | { readonly kind: 'file'; readonly path: string; readonly count: number; readonly firstTs: number; readonly lastTs: number; readonly minStepMs: number; readonly intervalMinutes: number }
  | { readonly kind: 'candles'; readonly candles: readonly Candle[]; readonly intervalMinutes: number }
  | { readonly kind: 'source'; readonly source: CandleSource; readonly intervalMinutes: number };

export interface BacktestJob {
  readonly index: number;
  /** Holds exactly one symbol entry. */
  readonly config: Config;
  readonly data: JobData;
  readonly window: { readonly fromMs?: number; readonly toMs?: number };
  /** The name the report gives the data (the `--data` argument or the cache file). */
  readonly file: string;
  /** Count the signals each entry lock refused (a sweep's table shows them). */
  readonly countLocks: boolean;
}

/** A finished job: the report without its curves, the curves, the run's notes and the lock counts. */
export interface JobResult {
  readonly head: ReportHead;
  readonly curves: { readonly times: CandleTimes; readonly equity: CurveValues; readonly inventory: CurveValues };
  readonly notes: readonly string[];
  readonly locks: LockRefusals;
}

/** What the command posts to a worker: a job to run (one at a time: the next once it has answered). */
export interface WorkerJobMessage {
  readonly kind: 'job';
  readonly job: BacktestJob;
}

/** What a worker posts back. */
export type WorkerMessage =
  | { readonly kind: 'progress'; readonly index: number; readonly candles: number }
  | { readonly kind: 'done'; readonly index: number; readonly head: ReportHead; readonly times: CandleTimesData; readonly equity: CurveData; readonly inventory: CurveData; readonly notes: readonly string[]; readonly locks: readonly (readonly [string, number])[]; readonly heapUsedMb: number }
  | { readonly kind: 'failed'; readonly index: number; readonly usage: boolean; readonly message: string };


/**
 * Young generation of a worker, MB (V8 makes semi-spaces of a third of it). Left alone, V8 grows
 * them to 16 MB over a long run; at 2 MB too much was promoted early and the old generation grew
 * with the run instead (a year's worker 53 MB, a month's 32 MB). At 16 MB a worker adds 40-42 MB
 * for a month and for a year alike (BENCHMARKS.md, "Backtest memory"; issue 21).
 */
export const WORKER_YOUNG_MB = 16;
/** Peak RSS one worker adds, month or year of 1m candles: 42 MB measured (BENCHMARKS.md), with a margin. */
export const WORKER_PEAK_MB = 45;
/**
 * A worker's V8 heap in use after a run may exceed what it was after its first run by this much
 * before the worker is replaced. Each month of 1m candles left about 1 MB that V8 had not
 * collected, none of it live (after a forced full collection 9 MB in use, run after run), and no
 * full collection came in 16 runs per worker; at 4 MB a sweep of 32 month runs peaks 12 MB above
 * the one-worker-per-run design, at 8 MB about 25 MB above (BENCHMARKS.md, "Sweeps").
 */
export const WORKER_HEAP_GROWTH_MB = 4;
/**
 * TEST SEAM: a number N in this environment variable replaces every worker after N runs as well, so
 * a test exercises the replacement without a sweep long enough for the heap rule. Unset (every real
 * run), only the heap rule applies.
 */
export const WORKER_RUNS_ENV = 'POCKET_TEST_WORKER_RUNS';

/** Runs one configured backtest (the config holds exactly one symbol entry): what a parity test calls. */
export function runConfiguredBacktest(
  config: Config,
  data: { readonly candles: readonly Candle[] | CandleSource; readonly intervalMinutes: number },
  window: { readonly fromMs?: number; readonly toMs?: number } = {},
  logger?: Logger,
  onProgress?: (candlesRead: number) => void,
): Promise<BacktestRun> {
  const entry = config.symbols[0]!;
  return runBacktest({
    candles: data.candles,
    intervalMinutes: data.intervalMinutes,
    settings: engineSettingsFrom(config),
    strategy: strategyFor(entry),
    costs: config.paper,
    ...(window.fromMs !== undefined ? { fromMs: window.fromMs } : {}),
    ...(window.toMs !== undefined ? { toMs: window.toMs } : {}),
    ...(logger ? { logger } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
}

/** Runs a job where it is called (a worker, or the command's thread). */
export async function runJob(job: BacktestJob, onProgress?: (candlesRead: number) => void): Promise<JobResult> {
  const d = job.data;
  const candles = d.kind === 'file' ? scannedFileSource(d.path, d) : d.kind === 'source' ? d.source : d.candles;
  const locks = new LockRefusals();
  const run = await runConfiguredBacktest(job.config, { candles, intervalMinutes: d.intervalMinutes }, job.window, job.countLocks ? locks : undefined, onProgress).catch((e: unknown) => {
    // A window outside the data, an interval the symbol is not set up for: the command line is wrong.
    throw e instanceof BacktestError ? new UsageError(e.message) : e;
  });
  const head = reportHead(run, { file: job.file, params: job.config.symbols[0]!.params as Record<string, unknown> }, metricsOf(run));
  return { head, curves: { times: run.times, equity: run.equity, inventory: run.inventory }, notes: run.notes, locks };
}

/** How many workers a sweep of `runs` gets, and why: one per core, as far as the free memory allows. */
export function workerPlan(runs: number, cores = availableParallelism(), freeBytes = freemem()): { readonly workers: number; readonly why: string } {
  const freeMb = Math.floor(freeBytes / 2 ** 20);
  const fit = Math.max(1, Math.floor(freeMb / WORKER_PEAK_MB));
  const workers = Math.max(1, Math.min(cores, runs, fit));
  return { workers, why: `${cores} core(s), ${freeMb.toLocaleString('en-US')} MB free memory: room for ${fit.toLocaleString('en-US')} worker(s) of about ${WORKER_PEAK_MB} MB` };
}

/** Whether jobs can run on workers: only from the bundle, which a worker runs again. */
export function workersAvailable(): boolean {
  return import.meta.url.endsWith('.js');
}

export interface JobEvents {
  /** Candles read so far by the job `index`. */
  progress(index: number, candles: number): void;
  /** A job finished (called in the order the jobs end). */
  done(index: number, result: JobResult): void;
}

/**
 * Runs the jobs, at most `workers` at a time on worker threads (0: one after another in this
 * thread); each worker takes job after job from the queue. The first failure stops the rest
 * (running workers are terminated) and rejects with it: a UsageError for a command-line problem,
 * else an Error naming the run.
 */
export async function runJobs(jobs: readonly BacktestJob[], workers: number, events: JobEvents): Promise<void> {
  if (workers <= 0) {
    for (const job of jobs) events.done(job.index, await runJob(job, (n) => events.progress(job.index, n)));
    return;
  }
  const queue = [...jobs];
  const maxRuns = Number(process.env[WORKER_RUNS_ENV] ?? Infinity);
  const started: JobWorker[] = [];
  let failure: unknown = null;
  const lane = async (): Promise<void> => {
    let worker = new JobWorker();
    started.push(worker);
    for (let job = queue.shift(); job !== undefined && failure === null; job = queue.shift()) {
      try {
        if (worker.worn(maxRuns)) {
          await worker.stop();
          worker = new JobWorker();
          started.push(worker);
        }
        events.done(job.index, await worker.run(job, events));
      } catch (e) {
        failure ??= e;
        for (const w of started) void w.stop();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, lane));
  } finally {
    await Promise.all(started.map((w) => w.stop()));
  }
  if (failure !== null) throw failure;
}

/** One worker thread running the bundle in worker mode, given one job at a time. */
class JobWorker {
  readonly #worker: Worker;
  #pending: { readonly events: JobEvents; readonly resolve: (r: JobResult) => void; readonly reject: (e: Error) => void } | null = null;
  /** Why it cannot take a job any more (it failed or stopped); null while it can. */
  #gone: Error | null = null;
  /** Its V8 heap in use after its first run and after its latest, MB, and its runs so far. */
  #heapAfterFirst: number | null = null;
  #heapNow = 0;
  #runs = 0;

  constructor() {
    this.#worker = new Worker(new URL(import.meta.url), {
      workerData: { tag: WORKER_TAG },
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB },
      stdout: false,
      stderr: false,
    });
    this.#worker.on('message', (m: WorkerMessage) => this.#answer(m));
    this.#worker.on('error', (e) => this.#fail(new Error(`a backtest worker failed: ${e.message}`)));
    this.#worker.on('exit', (code) => this.#fail(new Error(`a backtest worker stopped (exit code ${code}) before its run ended`)));
  }

  run(job: BacktestJob, events: JobEvents): Promise<JobResult> {
    if (this.#gone !== null) return Promise.reject(this.#gone);
    return new Promise<JobResult>((resolve, reject) => {
      this.#pending = { events, resolve, reject };
      const message: WorkerJobMessage = { kind: 'job', job };
      this.#worker.postMessage(message);
    });
  }

  /** Whether to replace it before its next run: its heap in use has grown too much since its first run, or it has made `maxRuns`. */
  worn(maxRuns: number): boolean {
    return (this.#heapAfterFirst !== null && this.#heapNow - this.#heapAfterFirst > WORKER_HEAP_GROWTH_MB) || this.#runs >= maxRuns;
  }

  /** Ends the thread (idle, or running a job a failure elsewhere made pointless). */
  async stop(): Promise<void> {
    this.#gone ??= new Error('a backtest worker was stopped');
    await this.#worker.terminate();
  }

  #answer(m: WorkerMessage): void {
    const p = this.#pending;
    if (p === null) return;
    if (m.kind === 'progress') {
      p.events.progress(m.index, m.candles);
      return;
    }
    this.#pending = null;
    if (m.kind === 'failed') {
      p.reject(m.usage ? new UsageError(m.message) : new Error(m.message));
      return;
    }
    this.#runs++;
    this.#heapNow = m.heapUsedMb;
    this.#heapAfterFirst ??= m.heapUsedMb;
    p.resolve({ head: m.head, curves: { times: CandleTimes.fromData(m.times), equity: CurveValues.fromData(m.equity), inventory: CurveValues.fromData(m.inventory) }, notes: m.notes, locks: lockRefusals(m.locks) });
  }

  #fail(e: Error): void {
    this.#gone ??= e;
    const p = this.#pending;
    this.#pending = null;
    p?.reject(e);
  }
}

function lockRefusals(counts: readonly (readonly [string, number])[]): LockRefusals {
  const locks = new LockRefusals();
  for (const [name, n] of counts) locks.counts.set(name, n);
  return locks;
}
