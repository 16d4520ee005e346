/**
 * The worker side of src/cli/backtestJobs.ts: dist/bot.js started as a worker thread with a job in
 * its workerData runs that one job and posts its progress and its result (the curves' memory is
 * handed over, not copied), or why it failed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CurveValues } from '../backtest/curveValues.js';
import { UsageError } from '../util/errors.js';
import { runJob, type BacktestJob, type WorkerMessage } from './backtestJobs.js';

/** Progress is posted about this often, in candles read. */
const PROGRESS_EVERY = 32_768;

export async function serveBacktestWorker(): Promise<void> {
  const port = parentPort!;
  const job = (workerData as { job: BacktestJob }).job;
  const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  let told = 0;
  try {
    const r = await runJob(job, (n) => {
      if (n - told < PROGRESS_EVERY) return;
      told = n;
      post({ kind: 'progress', index: job.index, candles: n });
    });
    const equity = r.curves.equity.toData();
    const inventory = r.curves.inventory.toData();
    post(
      { kind: 'done', index: job.index, head: r.head, times: r.curves.times.toData(), equity, inventory, notes: r.notes, locks: [...r.locks.counts] },
      [...CurveValues.buffers(equity), ...CurveValues.buffers(inventory)],
    );
  } catch (e) {
    post({ kind: 'failed', index: job.index, usage: e instanceof UsageError, message: e instanceof Error ? e.message : String(e) });
  }
}
