/**
 * Issue 22: the state directory's storage fills up while the real bot (the bundle, testnet mode,
 * BTCUSDT scalper + ETHUSDT maker) trades against the sandbox on loopback. A full filesystem cannot
 * be made in CI, so the file layer's test seam (POCKET_TEST_WRITE_FAULT, src/util/writeFault.ts)
 * makes every write of the state file, the journal, the backups and the log fail with ENOSPC while
 * a switch file exists. A recording termux-notification first on PATH counts the notifications.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FillRecord } from '../../src/domain/journalRecord.js';
import { parseOrderLinkId } from '../../src/engine/orderLinkId.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { readJournal } from '../../src/state/journal.js';
import { sandboxConfig } from '../../bench/botProcess.js';
import { makeFakeTermux, type FakeTermux } from '../alerts/fakeTermux.js';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT, runBot } from '../helpers/cli.js';

const KEY = { apiKey: 'storageKey123', apiSecret: 'storage-secret-for-tests-only', ips: ['127.0.0.1'] };

let sandbox: Sandbox;
let bundle: string;
let dir: string;
let termux: FakeTermux;

/** Orders as the exchange accepted them, with the wall time the test saw each one first. */
interface Seen {
  readonly atMs: number;
  readonly symbol: string;
  readonly linkId: string;
  /** An entry, or a quote that would grow (not reduce) the maker's position. */
  readonly opening: boolean;
}
const seen: Seen[] = [];

beforeAll(async () => {
  bundle = builtBundle('bot');
  sandbox = await startSandbox({ data: [join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz'), join(ROOT, 'data/bybit-ETHUSDT-1m.csv.gz')], ntpPort: 0, speed: 300, apiKeys: [KEY], initialBalance: '10000' });
  const known = new Set<string>();
  sandbox.sim.onEvent((e) => {
    if (e.kind !== 'order' || e.order.orderLinkId === '' || known.has(e.order.orderLinkId)) return;
    known.add(e.order.orderLinkId);
    const role = parseOrderLinkId('ps', e.order.orderLinkId)?.role;
    let opening = role?.kind === 'entry';
    if (role?.kind === 'quote') {
      const p = sandbox.sim.position(e.order.symbol);
      opening = p.side === null || p.side === e.order.side;
    }
    seen.push({ atMs: Date.now(), symbol: e.order.symbol, linkId: e.order.orderLinkId, opening });
  });
});
afterAll(async () => {
  await sandbox.close();
});
afterEach(() => {
  termux?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, ok: () => boolean, output: () => string, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; bot output ends:\n${output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now();
}

const count = (text: string, pattern: RegExp): number => text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;

describe('node dist/bot.js run with its state directory filling up (testnet, sandbox)', () => {
  it('stops opening at once, keeps stops, says it once, journals every fill after recovery, resumes within 30 s', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pocket-storage-'));
    termux = makeFakeTermux('pocket-storage-termux-');
    termux.record('termux-notification');
    termux.record('termux-notification-remove');
    const faultSwitch = join(dir, 'storage-fault');
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify(
        sandboxConfig(sandbox, 'testnet', {
          alerts: { termux: { enabled: true } },
          risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 20, cooldownMinutes: 1 } },
          symbols: [
            { symbol: 'BTCUSDT', strategy: 'scalper', exits: { timeExitCandles: 10 } },
            { symbol: 'ETHUSDT', strategy: 'maker', params: { orderQty: 0.05 } },
          ],
        }),
      ),
    );
    const env = cleanEnv({ BYBIT_API_KEY: KEY.apiKey, BYBIT_API_SECRET: KEY.apiSecret, PATH: `${termux.binDir}:${process.env.PATH ?? ''}`, POCKET_TEST_WRITE_FAULT: faultSwitch });
    const child = spawn(process.execPath, [bundle, 'run'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const out = (): string => output;
    const notifications = (title: RegExp): number => termux.calls('termux-notification').filter((a) => title.test(a.join(' '))).length;
    try {
      await until('the bot to run', () => / running mode=testnet/.test(output), out, 30_000);
      // Trading: an entry and maker quotes, and a scalper position open when the storage fills.
      await until('an open BTCUSDT position and ETHUSDT quotes', () => sandbox.sim.position('BTCUSDT').side !== null && seen.some((s) => s.symbol === 'ETHUSDT'), out, 90_000);

      // The storage is full from now on.
      writeFileSync(faultSwitch, 'ENOSPC');
      const fullAt = Date.now();
      const outputBefore = output.length;
      const blockedAt = await until('the storage error to be said', () => /state directory not writable/.test(output), out, 15_000);
      const fillsBefore = sandbox.sim.executions('BTCUSDT').length + sandbox.sim.executions('ETHUSDT').length;
      // 25 s full (about two hours of market at 300x): every open position keeps its exchange stop.
      const unprotected: string[] = [];
      while (Date.now() - blockedAt < 25_000) {
        for (const p of sandbox.sim.positions()) if (p.side !== null && p.size.gt(0) && p.stopLoss === null && p.trailingStop === null) unprotected.push(`${p.symbol} ${p.side} ${p.size.toFixed()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const status = await runBot(['status'], { cwd: dir, env: { POCKET_TEST_WRITE_FAULT: faultSwitch } });
      const duringOutage = output.slice(outputBefore);
      const fillsDuring = sandbox.sim.executions('BTCUSDT').length + sandbox.sim.executions('ETHUSDT').length - fillsBefore;

      // Writable again.
      rmSync(faultSwitch);
      const freedAt = Date.now();
      const resumedAt = await until('the bot to resume by itself', () => /state directory writable again/.test(output), out, 45_000);
      const opened = seen.filter((s) => s.opening && s.atMs > blockedAt + 500 && s.atMs < freedAt);
      await until('trading to go on after the resume', () => seen.some((s) => s.opening && s.atMs > resumedAt), out, 30_000);
      child.kill('SIGTERM');
      expect(await exited, `SIGTERM exits 0:\n${output.slice(-3000)}`).toBe(0);

      expect(opened, 'no entry and no opening quote while the storage was full').toEqual([]);
      expect(unprotected, 'positions without an exchange stop while the storage was full').toEqual([]);
      // Said once: one ERROR line naming the directory, the error and what to do; one notification.
      expect(count(duringOutage, /ERROR +state directory not writable/), duringOutage.slice(0, 3000)).toBe(1);
      expect(duringOutage).toMatch(new RegExp(`ERROR +state directory not writable.*dir=${join(dir, 'state').replace(/[/.]/g, '\\$&')}.*ENOSPC.*fix=.*free space.*journal [\\d.]+ [kMG]B, backups`));
      expect(notifications(/Not trading: storage full/), 'one notification for the outage').toBe(1);
      // No line per event: the issue measured 142 lines about failed writes in 40 s.
      expect(count(duringOutage, /journal write failed|alert not recorded|state write failed/)).toBe(0);
      // Warnings and errors while full: the ERROR line, the log file's fallback, at most an event that raced the block.
      const loud = duringOutage.split('\n').filter((l) => /^\S+ (WARN|ERROR) /.test(l));
      expect(loud.length, `warnings and errors while full:\n${loud.join('\n')}`).toBeLessThanOrEqual(4);
      expect(status.code).toBe(0);
      expect(status.stderr + status.stdout).toMatch(/storage +not writable since \d{4}-\d\d-\d\d \d\d:\d\dZ:\s+ENOSPC/);

      // Resumed within 30 s of the space coming back (the probe's period), said once, with the count.
      expect(resumedAt - freedAt, 'resumed within 30 s (plus slack for a loaded machine)').toBeLessThan(40_000);
      const late = /(\d+) journal record\(s\) written late/.exec(output);
      expect(late, 'the resume names how many records were written late').not.toBeNull();
      expect(Number(late![1])).toBeGreaterThan(0);
      expect(notifications(/Storage writable again/)).toBe(1);

      // Every fill the exchange made is in the journal once, those of the outage included.
      const { records, problems } = await readJournal(join(dir, 'state'));
      expect(problems).toEqual([]);
      const fills = records.filter((r): r is FillRecord => r.type === 'fill');
      const ids = new Set(fills.map((f) => f.execId));
      expect(ids.size, 'no fill journaled twice').toBe(fills.length);
      const made = [...sandbox.sim.executions('BTCUSDT'), ...sandbox.sim.executions('ETHUSDT')];
      expect(made.filter((x) => !ids.has(x.execId)).map((x) => `${x.symbol} ${x.orderLinkId} ${x.execQty.toFixed()}`), 'exchange fills missing from the journal').toEqual([]);
      expect(fillsDuring, 'fills happened while the storage was full (they were kept in memory)').toBeGreaterThan(0);
      expect(fullAt).toBeLessThanOrEqual(blockedAt);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 240_000);
});

describe('node dist/bot.js run with a state directory that cannot be written at start-up', () => {
  function start(faultSwitch: string) {
    dir = mkdtempSync(join(tmpdir(), 'pocket-storage-start-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(sandboxConfig(sandbox, 'testnet', { symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] })));
    const env = cleanEnv({ BYBIT_API_KEY: KEY.apiKey, BYBIT_API_SECRET: KEY.apiSecret, POCKET_TEST_WRITE_FAULT: faultSwitch });
    const child = spawn(process.execPath, [bundle, 'run'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    return { child, output: () => output, exited: new Promise<number | null>((r) => child.once('exit', (code) => r(code))) };
  }

  it('read-only: a clear error and exit code 2 before any order is sent', async () => {
    const faultSwitch = join(mkdtempSync(join(tmpdir(), 'pocket-ro-')), 'switch');
    writeFileSync(faultSwitch, 'EROFS');
    const ordersBefore = seen.length;
    const bot = start(faultSwitch);
    expect(await bot.exited, bot.output()).toBe(2);
    expect(bot.output()).toMatch(/the state directory \S+state cannot be written \(EROFS: read-only file system.*\); nothing was sent\. Fix: /);
    expect(seen.length, 'no order').toBe(ordersBefore);
    rmSync(faultSwitch, { force: true });
  }, 60_000);

  it('full: says so once, waits and retries without exiting, and starts by itself once there is space', async () => {
    const faultSwitch = join(mkdtempSync(join(tmpdir(), 'pocket-full-')), 'switch');
    writeFileSync(faultSwitch, 'ENOSPC');
    const bot = start(faultSwitch);
    try {
      await until('the wait to be said', () => /state directory full: waiting for free space before trading; nothing was sent/.test(bot.output()), bot.output, 20_000);
      await new Promise((r) => setTimeout(r, 5000));
      expect(bot.child.exitCode, `waits, does not exit:\n${bot.output()}`).toBeNull();
      expect(count(bot.output(), /state directory full/), 'said once').toBe(1);
      expect(bot.output()).not.toMatch(/ running mode=/);
      rmSync(faultSwitch);
      await until('the bot to start by itself', () => / running mode=testnet/.test(bot.output()), bot.output, 40_000);
      bot.child.kill('SIGTERM');
      expect(await bot.exited).toBe(0);
    } finally {
      if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
    }
  }, 90_000);
});
