/**
 * Entry of dist/bot.js: argv → command. The only place that wires concrete parts together. Started
 * as a backtest worker thread (src/cli/backtestJobs.ts), it runs that worker's job instead.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { main, v8FlagsFor } from './cli/main.js';
import { processIo } from './cli/command.js';
import { isBacktestWorker } from './cli/workerTag.js';
import { redact } from './util/redact.js';

if (!isMainThread && isBacktestWorker(workerData)) void import('./cli/backtestWorker.js').then((w) => w.serveBacktestWorker());
else {
  const argv = process.argv.slice(2);
  for (const flag of v8FlagsFor(argv, process.execArgv, process.env.NODE_OPTIONS)) setFlagsFromString(flag);
  main(argv, processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // A runtime failure: one clear line (redacted), exit 1; the stack only with POCKET_DEBUG=1.
      const e = error instanceof Error ? error : new Error(String(error));
      process.stderr.write(redact(`error: ${e.message}`) + '\n');
      if (process.env.POCKET_DEBUG === '1' && e.stack) process.stderr.write(redact(e.stack) + '\n');
      process.exitCode = 1;
    },
  );
}
