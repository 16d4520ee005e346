/**
 * Subprocess for tests/state/stateLock.test.ts: opens the store of STATE_DIR as a second bot would.
 * `node lockHolder.mjs STATE_DIR exit` opens, prints "open", and ends with process.exit(0) (the lock
 * must be released on that clean exit); on StateLockedError it prints the message and exits with
 * the error's code (2), as the CLI will.
 */
import { StateLockedError } from '../../src/state/stateErrors.js';
import { StateStore } from '../../src/state/stateStore.js';

const [dir] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: lockHolder STATE_DIR');
try {
  await StateStore.open(dir);
  process.stdout.write('open\n');
  process.exit(0);
} catch (err) {
  if (!(err instanceof StateLockedError)) throw err;
  process.stderr.write(`${err.name}: ${err.message}\n`);
  process.exit(err.exitCode);
}
