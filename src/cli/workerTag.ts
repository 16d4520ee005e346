/**
 * How dist/bot.js knows it was started as a backtest worker thread (src/cli/backtestJobs.ts): its
 * workerData carries this tag. Apart and tiny, so the entry can check it without loading the backtester.
 */
export const WORKER_TAG = 'pocket-scalper backtest worker';

export function isBacktestWorker(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { tag?: unknown }).tag === WORKER_TAG;
}
