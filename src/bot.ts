/**
 * Entry of dist/bot.js: argv → command. The only place that wires concrete parts together. Started
 * as a backtest worker thread (src/cli/backtestJobs.ts), it runs that worker's job instead.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { main, v8FlagRuleOf } from './cli/main.js';
import { processIo } from './cli/command.js';
import { isBacktestWorker } from './cli/workerTag.js';
import { redact } from './util/redact.js';
import { applyV8FlagRule } from './util/commandV8Flags.js';

if (!isMainThread && isBacktestWorker(workerData)) void import('./cli/backtestWorker.js').then((w) => w.serveBacktestWorker());
else {
  const argv = process.argv.slice(2);
  const rule = v8FlagRuleOf(argv);
  if (rule) applyV8FlagRule(rule);
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
