/**
 * What the owner sees of their own actions on a running bot: `pause` / `resume` leave a trace in
 * the bot's terminal and bot.log; a pause made while no bot runs is announced at the next start;
 * saving config.json with `mode: mainnet` is a warning and a critical notification, and saving
 * the original back clears the "restart needed" list. The real bundle, `run --replay`, a recording
 * termux-notification first on PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeFakeTermux, type FakeTermux } from '../alerts/fakeTermux.js';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT, runBot } from '../helpers/cli.js';

let bundle: string;
let dir: string;
let termux: FakeTermux;
let bot: ChildProcess | null = null;
let output = '';

beforeAll(() => {
  bundle = builtBundle('bot');
});
afterEach(() => {
  if (bot && bot.exitCode === null) bot.kill('SIGKILL');
  bot = null;
  termux?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; bot output:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function start(env: NodeJS.ProcessEnv, speed = 300): ChildProcess {
  output = '';
  const child = spawn(process.execPath, [bundle, 'run', '--replay', join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz'), '--speed', String(speed)], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return child;
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  return exited;
}

const CONFIG = JSON.stringify({ mode: 'paper', symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }, null, 2);

describe('control commands and config edits on a running bot', () => {
  it('logs each control command and what it did; a pause made with no bot running is announced at the next start', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pocket-control-'));
    termux = makeFakeTermux('pocket-control-termux-');
    termux.record('termux-notification');
    termux.record('termux-notification-remove');
    writeFileSync(join(dir, 'config.json'), CONFIG);
    const env = cleanEnv({ PATH: `${termux.binDir}:${process.env.PATH ?? ''}`, NO_COLOR: '1' });
    bot = start(env);
    await until('the bot running', () => /running mode=replay/.test(output));

    const paused = await runBot(['pause'], { cwd: dir, env: { PATH: env.PATH! } });
    expect(paused.code).toBe(0);
    expect(paused.stderr).toMatch(/done: paused/);
    await until('the pause in the log', () => /control: paused: no new entries/.test(output), 10_000);
    expect(output).toMatch(/control: "pause" received reason=/);
    const resumed = await runBot(['resume'], { cwd: dir, env: { PATH: env.PATH! } });
    expect(resumed.code).toBe(0);
    await until('the resume in the log', () => /control: resumed: new entries allowed again/.test(output), 10_000);
    expect(await stop(bot)).toBe(0);
    const log = readFileSync(join(dir, 'state', 'bot.log'), 'utf8');
    expect(log).toMatch(/control: "pause" received/);
    expect(log).toMatch(/control: resumed: new entries allowed again/);

    // No bot running: the pause goes into the state, and the next start says so.
    const offline = await runBot(['pause'], { cwd: dir, env: { PATH: env.PATH! } });
    expect(offline.code).toBe(0);
    expect(offline.stderr).toMatch(/^WARNING: no bot is running, so nothing was paused now; the pause is stored and it will start paused/m);
    bot = start(env);
    await until('the bot running', () => /running mode=replay/.test(output));
    expect(output).toMatch(/WARN {2}paused since 20\d\d-\d\d-\d\dT[\d:.]+Z, by the pause command \(.+\): no new entries until "node dist\/bot\.js resume"/);
    expect(await stop(bot)).toBe(0);
  }, 120_000);

  it('a save that moves to mainnet at the next restart is a warning and a critical notification; saving the original back clears the restart list', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pocket-reload-'));
    termux = makeFakeTermux('pocket-reload-termux-');
    termux.record('termux-notification');
    termux.record('termux-notification-remove');
    writeFileSync(join(dir, 'config.json'), CONFIG);
    const env = cleanEnv({ PATH: `${termux.binDir}:${process.env.PATH ?? ''}`, NO_COLOR: '1' });
    bot = start(env);
    await until('the bot running', () => /running mode=replay/.test(output));

    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(CONFIG), mode: 'mainnet', confirmMainnet: true }, null, 2));
    await until('the mainnet warning', () => /WARN {2}config\.json now says mode "mainnet": the next restart trades REAL MONEY/.test(output), 15_000);
    expect(output).toMatch(/WARN {2}config\.json reloaded; applied except what needs a restart: mode, confirmMainnet/);
    await until('the notification', () => termux.calls('termux-notification').some((a) => a.includes('Next restart trades real money')), 10_000);
    const note = termux.calls('termux-notification').find((a) => a.includes('Next restart trades real money'))!;
    expect(note.slice(note.indexOf('--priority'), note.indexOf('--priority') + 2)).toEqual(['--priority', 'max']);

    writeFileSync(join(dir, 'config.json'), CONFIG);
    await until('the original applied', () => /INFO {2}config\.json reloaded and applied/.test(output), 15_000);
    expect(output).not.toMatch(/restartRequired/);
    expect(await stop(bot)).toBe(0);
  }, 120_000);

  it('an entry lock is reported once when it starts and once when it ends; the signals it refuses stay off the terminal', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pocket-lock-'));
    termux = makeFakeTermux('pocket-lock-termux-');
    termux.record('termux-notification');
    termux.record('termux-notification-remove');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(CONFIG), risk: { lossStreak: { losses: 1, cooldownMinutes: 30 } } }));
    const env = cleanEnv({ PATH: `${termux.binDir}:${process.env.PATH ?? ''}`, NO_COLOR: '1' });
    bot = start(env, 900);
    await until('a lock that started and ended', () => /entries allowed again: the loss streak lock has ended/.test(output), 90_000);
    const started = output.match(/WARN {2}entries stopped \(loss streak\): 1 losing trades in a row; pausing entries for 30 minutes/g) ?? [];
    const ended = output.match(/entries allowed again: the loss streak lock has ended/g) ?? [];
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(ended.length, 'each start has its end, and no more').toBeLessThanOrEqual(started.length);
    expect(output.indexOf(started[0]!)).toBeLessThan(output.indexOf(ended[0]!));
    expect(output).not.toMatch(/signal not traded/);
    expect(await stop(bot)).toBe(0);
  }, 120_000);
});
