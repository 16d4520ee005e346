/**
 * Entry of dist/bot.js: argv → command. The only place that wires concrete parts together.
 */
import { main } from './cli/main.js';
import { processIo } from './cli/command.js';
import { redact } from './util/redact.js';

main(process.argv.slice(2), processIo()).then(
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
