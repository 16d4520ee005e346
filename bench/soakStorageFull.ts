/**
 * Soak scenario "storage full" (issue 22), run by `npm run soak -- storage-full [--full-seconds 60
 * --speed 300 --size-mb 8]`.
 *
 * The real bot (`node dist/bot.js run`, testnet mode, the scalper on BTCUSDT and the market maker
 * on ETHUSDT) trades against the sandbox with its state directory on a small filesystem of its own:
 * a tmpfs of `--size-mb` mounted for the run (needs root; elsewhere the file layer's test seam,
 * POCKET_TEST_WRITE_FAULT, stands in for it and the report says so). After a minute of trading a
 * filler file takes the last free byte (once a scalper position is open); `--full-seconds` later it
 * is deleted. Measured: how soon the bot notices, the warnings and errors it prints while full,
 * entries and opening quotes sent while full (must be 0), positions without an exchange stop (must be 0), how soon it resumes after the
 * space comes back (within the 30 s probe period) and how many records it wrote late; at the end,
 * the journal against the exchange, fill by fill (none missing, none twice).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FillRecord } from '../src/domain/journalRecord.js';
import { parseOrderLinkId } from '../src/engine/orderLinkId.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox } from '../src/sandbox/startSandbox.js';
import { readJournal } from '../src/state/journal.js';
import { sandboxConfig, startBot } from './botProcess.js';
import { projectRoot } from './harness.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== 'storage-full'),
  options: { 'full-seconds': { type: 'string', default: '60' }, speed: { type: 'string', default: '300' }, 'size-mb': { type: 'string', default: '8' }, keep: { type: 'boolean', default: false } },
  strict: true,
});
const FULL_MS = Number(values['full-seconds']) * 1000;
const SPEED = Number(values.speed);
const SIZE_MB = Number(values['size-mb']);
const root = projectRoot();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stdout.write(`[storage-full ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// ------------------------------------------------------------------ a small filesystem for the state
const stateDir = mkdtempSync(join(tmpdir(), 'pocket-smallfs-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MB}m,mode=0700`, 'tmpfs', stateDir], { stdio: 'ignore' });
  mounted = true;
} catch {
  log('cannot mount a tmpfs here (not root?): using the file layer test seam POCKET_TEST_WRITE_FAULT instead');
}
const faultSwitch = join(mkdtempSync(join(tmpdir(), 'pocket-smallfs-switch-')), 'switch');
const filler = join(stateDir, 'filler');

/** Takes every free byte of the state filesystem (or switches the seam on). Returns the bytes written. */
function fill(): number {
  if (!mounted) {
    writeFileSync(faultSwitch, 'ENOSPC');
    return 0;
  }
  const fd = openSync(filler, 'w');
  let written = 0;
  for (const size of [1 << 20, 64 << 10, 4 << 10, 512, 1]) {
    const chunk = Buffer.alloc(size, 0x78);
    try {
      for (;;) written += writeSync(fd, chunk);
    } catch {
      // ENOSPC at this chunk size: go on with smaller ones.
    }
  }
  closeSync(fd);
  return written;
}
const free = (): void => rmSync(mounted ? filler : faultSwitch, { force: true });

// ------------------------------------------------------------------ the exchange and the bot
const sandbox = await startSandbox({ data: [join(root, 'data', 'bybit-BTCUSDT-1m.csv.gz'), join(root, 'data', 'bybit-ETHUSDT-1m.csv.gz')], ntpPort: 0, speed: SPEED, initialBalance: '10000' });
const opening: { atMs: number; linkId: string }[] = [];
const fillTimes: number[] = [];
const known = new Set<string>();
sandbox.sim.onEvent((e) => {
  if (e.kind === 'execution') fillTimes.push(Date.now());
  if (e.kind !== 'order' || e.order.orderLinkId === '' || known.has(e.order.orderLinkId)) return;
  known.add(e.order.orderLinkId);
  const role = parseOrderLinkId('ps', e.order.orderLinkId)?.role;
  const p = sandbox.sim.position(e.order.symbol);
  if (role?.kind === 'entry' || (role?.kind === 'quote' && (p.side === null || p.side === e.order.side))) opening.push({ atMs: Date.now(), linkId: e.order.orderLinkId });
});
const lines: { atMs: number; line: string }[] = [];
const bot = startBot({
  config: sandboxConfig(sandbox, 'testnet', {
    risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 20, cooldownMinutes: 1 } },
    symbols: [
      { symbol: 'BTCUSDT', strategy: 'scalper', exits: { timeExitCandles: 10 } },
      { symbol: 'ETHUSDT', strategy: 'maker', params: { orderQty: 0.05 } },
    ],
  }),
  args: ['--state-dir', stateDir],
  env: { BYBIT_API_KEY: DEFAULT_API_KEY, BYBIT_API_SECRET: DEFAULT_API_SECRET, ...(mounted ? {} : { POCKET_TEST_WRITE_FAULT: faultSwitch }) },
  onLine: (line) => lines.push({ atMs: Date.now(), line }),
});

const failures: string[] = [];
const check = (ok: boolean, what: string): void => {
  if (!ok) failures.push(what);
};
const until = async (what: string, ok: () => boolean, timeoutMs: number): Promise<number | null> => {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) {
      failures.push(`timed out waiting for ${what}`);
      return null;
    }
    await sleep(50);
  }
  return Date.now();
};

await bot.waitFor(/ running mode=testnet/, 120_000);
log(`bot running, state directory ${stateDir} (${mounted ? `tmpfs of ${SIZE_MB} MB` : 'seam'}); one minute of trading`);
await sleep(60_000);
// Full while a scalper position is open, so its exit fills while nothing can be written.
await until('an open BTCUSDT position', () => sandbox.sim.position('BTCUSDT').side !== null, 120_000);

const filledAt = Date.now();
const fillerBytes = fill();
log(`state filesystem full (filler ${(fillerBytes / 1e6).toFixed(2)} MB); full for ${FULL_MS / 1000} s`);
const noticedAt = await until('the storage error to be said', () => lines.some((l) => l.atMs >= filledAt && /ERROR +state directory not writable/.test(l.line)), 30_000);
const unprotected = new Set<string>();
while (Date.now() - filledAt < FULL_MS) {
  for (const p of sandbox.sim.positions()) if (p.side !== null && p.size.gt(0) && p.stopLoss === null && p.trailingStop === null) unprotected.add(`${p.symbol} ${p.side}`);
  await sleep(200);
}
const freedAt = Date.now();
free();
log('space freed');
const resumedAt = await until('the bot to resume', () => lines.some((l) => l.atMs >= freedAt && /state directory writable again/.test(l.line)), 60_000);
await sleep(30_000);
const tradedAfter = opening.filter((o) => resumedAt !== null && o.atMs > resumedAt).length;
const exitCode = await bot.stop(30_000);

// ------------------------------------------------------------------ checks and the report
const first40s = lines.filter((l) => l.atMs >= filledAt && l.atMs < filledAt + 40_000);
const loud = first40s.filter((l) => /^\S+ (WARN|ERROR) /.test(l.line));
const failedWrites = lines.filter((l) => l.atMs >= filledAt && l.atMs < freedAt && /journal write failed|alert not recorded|event handling failed|state write failed/.test(l.line));
const openedWhileFull = noticedAt === null ? [] : opening.filter((o) => o.atMs > noticedAt + 500 && o.atMs < freedAt);
const fillsWhileFull = fillTimes.filter((t) => t >= filledAt && t < freedAt).length;
const late = Number(/(\d+) journal record\(s\) written late/.exec(lines.map((l) => l.line).join('\n'))?.[1] ?? NaN);
const { records, problems } = await readJournal(stateDir);
const fills = records.filter((r): r is FillRecord => r.type === 'fill');
const ids = new Set(fills.map((f) => f.execId));
const made = [...sandbox.sim.executions('BTCUSDT'), ...sandbox.sim.executions('ETHUSDT')];
const missing = made.filter((x) => !ids.has(x.execId));

check(exitCode === 0, `SIGTERM: exit code ${exitCode}`);
check(openedWhileFull.length === 0, `${openedWhileFull.length} entries or opening quotes sent while full`);
check(unprotected.size === 0, `positions without an exchange stop while full: ${[...unprotected].join(', ')}`);
check(resumedAt !== null && resumedAt - freedAt <= 31_000, 'resumed within 30 s of the space coming back');
check(problems.length === 0, `journal problems: ${problems.map((p) => `${p.kind} at ${p.file}:${p.line}`).join('; ')}`);
check(missing.length === 0, `${missing.length} exchange fills missing from the journal`);
check(ids.size === fills.length, `${fills.length - ids.size} fills journaled twice`);
check(tradedAfter > 0, 'trading went on after the resume');

const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
const out: string[] = ['', `storage full: ${mounted ? `tmpfs of ${SIZE_MB} MB` : 'file layer seam (no tmpfs)'}, ${SPEED}x, full for ${FULL_MS / 1000} s`];
out.push(`noticed ${noticedAt === null ? 'never' : `${noticedAt - filledAt} ms`} after the filesystem filled`);
out.push(`lines in the 40 s after: ${first40s.length} in all, ${loud.length} warnings and errors; ${failedWrites.length} about failed writes while full`);
for (const l of loud) out.push(`  ${l.line.slice(0, 160)}`);
out.push(`${mark(openedWhileFull.length === 0)} entries and opening quotes sent while full: ${openedWhileFull.length}`);
out.push(`${mark(unprotected.size === 0)} positions without an exchange stop while full: ${unprotected.size}`);
out.push(`${mark(resumedAt !== null && resumedAt - freedAt <= 31_000)} resumed ${resumedAt === null ? 'never' : `${((resumedAt - freedAt) / 1000).toFixed(1)} s`} after the space came back; ${late} records written late; ${fillsWhileFull} fills while full`);
out.push(`${mark(missing.length === 0 && ids.size === fills.length && problems.length === 0)} journal = exchange: ${made.length} fills, ${missing.length} missing, ${fills.length - ids.size} twice`);
out.push(`${mark(exitCode === 0)} SIGTERM exit ${exitCode}; ${tradedAfter} entries/opening quotes in the 30 s after the resume`);
for (const f of failures) out.push(`FAIL: ${f}`);
process.stdout.write(out.join('\n') + '\n');
if (failures.length) process.stdout.write(`\nbot output ends:\n${bot.output().slice(-4000)}\n`);
await sandbox.close();
if (mounted && !values.keep) execFileSync('umount', [stateDir]);
if (!values.keep) {
  rmSync(stateDir, { recursive: true, force: true });
  bot.cleanup();
}
process.exit(failures.length ? 1 : 0);
