import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/state/stateStore.js';
import { bundleScript } from '../helpers/build.js';
import { runBot } from '../helpers/cli.js';

let botScript: string;
let dir: string;
let bot: ChildProcess | null = null;

beforeAll(async () => {
  botScript = await bundleScript(new URL('./controlBot.ts', import.meta.url));
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-control-'));
});
afterEach(async () => {
  if (bot && bot.exitCode === null) {
    const exited = new Promise((r) => bot!.once('exit', r));
    bot.kill('SIGTERM');
    await exited;
  }
  bot = null;
  rmSync(dir, { recursive: true, force: true });
});

async function startBot(failOn?: string): Promise<void> {
  bot = spawn(process.execPath, [botScript, dir, ...(failOn ? [failOn] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    bot!.stdout!.once('data', () => resolve());
    bot!.once('exit', (code) => reject(new Error(`stand-in bot exited ${code}`)));
  });
}

describe('pause / resume / close-all reach the running bot', () => {
  it('delivers each command by signal, not by the slow poll, and prints the acknowledgement', async () => {
    await startBot();
    // The stand-in polls its inbox only every 60 s and `pause` waits 5 s for the acknowledgement,
    // so "done" proves the signal woke it. (How fast, start-up included, is a benchmark's question:
    // with ten test files on two cores the whole command took 6.7 s.)
    const r = await runBot(['pause', '--state-dir', dir, '--reason', 'from a widget'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/done: pause applied/);
    expect(await runBot(['resume', '--state-dir', dir], { cwd: dir })).toMatchObject({ code: 0 });
    expect(await runBot(['close-all', '--yes', '--state-dir', dir], { cwd: dir })).toMatchObject({ code: 0 });
    expect(readFileSync(join(dir, 'handled.log'), 'utf8')).toBe('pause from a widget\nresume from the command line\nclose-all from the command line\n');
    expect(readdirSync(join(dir, 'control')), 'requests and acks are cleaned up').toEqual([]);
  });

  it('reports a failure the bot acknowledges, with exit 1', async () => {
    await startBot('close-all');
    const r = await runBot(['close-all', '--yes', '--state-dir', dir], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed: cannot close-all right now/);
  });

  it('close-all without --yes and without a terminal refuses (exit 2) and sends nothing', async () => {
    await startBot();
    const r = await runBot(['close-all', '--state-dir', dir], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/add --yes/);
    expect(existsSync(join(dir, 'handled.log'))).toBe(false);
  });

  it('with no bot running, pause and resume are written to the state for the next start', async () => {
    const r = await runBot(['pause', '--state-dir', dir, '--reason', 'holiday'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/WARNING: no bot is running, so nothing was paused now; the pause is stored and it will start paused/);
    const store = await StateStore.open(dir);
    expect(store.state.protections.paused?.reason).toBe('holiday');
    await store.close();
    // On a terminal (or FORCE_COLOR) the warning is bold yellow, so it is not read past.
    const coloured = await runBot(['pause', '--state-dir', dir, '--reason', 'holiday'], { cwd: dir, env: { FORCE_COLOR: '1' } });
    expect(coloured.stderr).toContain('\x1b[33m');
    expect((await runBot(['resume', '--state-dir', dir], { cwd: dir })).code).toBe(0);
    const again = await StateStore.open(dir);
    expect(again.state.protections.paused).toBeNull();
    await again.close();
    const closeAll = await runBot(['close-all', '--yes', '--state-dir', dir], { cwd: dir });
    expect([closeAll.code, /no bot is running/.test(closeAll.stderr)]).toEqual([1, true]);
  });
});
