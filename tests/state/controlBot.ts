/**
 * A stand-in for the running bot: holds the state lock and answers control requests like the real
 * one does, recording each command in `handled.log`. argv: stateDir [failOn].
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlInbox } from '../../src/state/control.js';
import { StateLock } from '../../src/state/stateLock.js';

const [stateDir, failOn] = process.argv.slice(2) as [string, string | undefined];
const lock = StateLock.acquire(stateDir);
const inbox = new ControlInbox(stateDir, async (req) => {
  appendFileSync(join(stateDir, 'handled.log'), `${req.command} ${req.reason}\n`);
  if (req.command === failOn) throw new Error(`cannot ${req.command} right now`);
  return `${req.command} applied`;
}).start(60_000); // a long poll interval: the test proves the signal path
// The inbox's own timer does not hold the process open (the real bot's streams do); this stand-in needs one.
const keepAlive = setInterval(() => {}, 1 << 30);
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  clearInterval(keepAlive);
  void inbox.stop().then(() => {
    lock.release();
    process.exit(0);
  });
});
