import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StateLockedError } from '../../src/state/stateErrors.js';
import { StateLock } from '../../src/state/stateLock.js';
import { StateStore } from '../../src/state/stateStore.js';

let dir: string;
let work: string;
let holder: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pocket-lockbin-'));
  holder = join(work, 'lockHolder.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./lockHolder.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: holder,
    banner: { js: "import{createRequire}from'module';const require=createRequire(import.meta.url);" },
    logLevel: 'silent',
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lockFile = (): string => join(dir, 'bot.lock');

/** A PID that certainly belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('StateLock: one instance per state directory', () => {
  it('writes our PID and start time, refuses a second holder naming the PID, and releases', () => {
    const lock = StateLock.acquire(dir, () => 1_793_000_000_000);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, startedMs: 1_793_000_000_000 });
    const err = (() => {
      try {
        StateLock.acquire(dir);
      } catch (e) {
        return e;
      }
      return null;
    })() as StateLockedError;
    expect(err).toBeInstanceOf(StateLockedError);
    expect(err.name).toBe('StateLockedError');
    expect(err.pid).toBe(process.pid);
    expect(err.exitCode, 'the CLI exits 2').toBe(2);
    expect(err.message).toContain(`PID ${process.pid}`);
    lock.release();
    expect(existsSync(lockFile())).toBe(false);
    StateLock.acquire(dir).release();
  });

  it('a second bot process is refused with the holder PID and exit code 2', async () => {
    const store = await StateStore.open(dir);
    const r = spawnSync(process.execPath, [holder, dir], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('StateLockedError');
    expect(r.stderr).toContain(`PID ${process.pid}`);
    await store.close();
    expect(existsSync(lockFile()), 'close() releases the lock').toBe(false);
  });

  it('a process that ends with process.exit() releases its lock', () => {
    const r = spawnSync(process.execPath, [holder, dir], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('open\n');
    expect(existsSync(lockFile())).toBe(false);
  });

  it('a lock held by a live process (another PID) is respected', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(lockFile(), JSON.stringify({ pid: sleeper.pid, startedMs: 1, bootId: null, procStartTicks: null }));
      expect(() => StateLock.acquire(dir)).toThrow(`PID ${sleeper.pid}`);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('takes over a stale lock: dead PID, earlier boot, reused PID, or a torn lock older than 5 s', () => {
    const stale = [
      { pid: deadPid(), startedMs: 1, bootId: null, procStartTicks: null },
      { pid: process.pid, startedMs: 1, bootId: 'an-earlier-boot', procStartTicks: null },
      { pid: process.pid, startedMs: 1, bootId: null, procStartTicks: '1' },
    ];
    for (const owner of stale) {
      writeFileSync(lockFile(), JSON.stringify(owner));
      const lock = StateLock.acquire(dir);
      expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid, `stale: ${JSON.stringify(owner)}`).toBe(process.pid);
      lock.release();
    }
    writeFileSync(lockFile(), '');
    expect(() => StateLock.acquire(dir), 'an empty lock may be one being written right now').toThrow(StateLockedError);
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(lockFile(), old, old);
    StateLock.acquire(dir).release();
    expect(readdirSync(dir), 'no leftovers').toEqual([]);
  });
});
