/**
 * The worker side of src/cli/backtestJobs.ts: dist/bot.js started as a worker thread runs each job
 * the command posts to it, one at a time, and posts its progress and its result (the curves' memory
 * is handed over, not copied), or why it failed.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { CurveValues } from '../backtest/curveValues.js';
import { UsageError } from '../util/errors.js';
import { runJob, type BacktestJob, type WorkerJobMessage, type WorkerMessage } from './backtestJobs.js';

/** Progress is posted about this often, in candles read. */
const PROGRESS_EVERY = 32_768;

/** Runs each job the command posts, one at a time, until the command ends the thread. */
export function serveBacktestWorker(): void {
  const port = parentPort!;
  port.on('message', (m: WorkerJobMessage) => void runPosted(port, m.job));
}

async function runPosted(port: MessagePort, job: BacktestJob): Promise<void> {
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
      { kind: 'done', index: job.index, head: r.head, times: r.curves.times.toData(), equity, inventory, notes: r.notes, locks: [...r.locks.counts], heapUsedMb: getHeapStatistics().used_heap_size / 2 ** 20 },
      [...CurveValues.buffers(equity), ...CurveValues.buffers(inventory)],
    );
  } catch (e) {
    post({ kind: 'failed', index: job.index, usage: e instanceof UsageError, message: e instanceof Error ? e.message : String(e) });
  }
}
