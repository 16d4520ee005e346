/**
 * The risk controls as the owner meets them (issue 23): the real bundle trading a `run --replay`
 * with a config.json in a temp dir, a recording termux-notification first on PATH, and the real
 * `resume`, `resume --reset-peak`, `status` and `status --json` commands.
 * - a drawdown lock says how to lift it; `resume` keeps it while the equity is still below the
 *   limit; `resume --reset-peak` lifts it and the bot trades again;
 * - the kill switch: one error line, one critical notification, the position closed, nothing opened
 *   while it holds, shown by `status --json`, lifted by `resume --reset-peak`;
 * - `status` shows the bot's max drawdown, Sharpe, Sortino and PnL per exit reason from the equity
 *   records the running bot writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

async function until<T>(what: string, probe: () => Promise<T | null> | T | null, timeoutMs = 45_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; bot output:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A temp dir with config.json (paper, BTCUSDT scalper, `risk` as given) and a recording termux-notification. */
function setUp(prefix: string, risk: Record<string, unknown>): NodeJS.ProcessEnv {
  dir = mkdtempSync(join(tmpdir(), `pocket-${prefix}-`));
  termux = makeFakeTermux(`pocket-${prefix}-termux-`);
  termux.record('termux-notification');
  termux.record('termux-notification-remove');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ mode: 'paper', symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }], risk }, null, 2));
  return cleanEnv({ PATH: `${termux.binDir}:${process.env.PATH ?? ''}`, NO_COLOR: '1' });
}

function start(env: NodeJS.ProcessEnv, speed = 900): ChildProcess {
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

const OPENED = /BTCUSDT (long|short) opened: /g;
const opensAfter = (index: number): number => output.slice(index).match(OPENED)?.length ?? 0;
const notes = (): string[][] => termux.calls('termux-notification');
const titleOf = (args: readonly string[]): string => args[args.indexOf('-t') + 1] ?? '';

interface StatusJson {
  protections: { name: string; reason: string }[];
  statistics: { trades: number; sortino: number | null; sharpe: number | null; maxDrawdownPct: number | null; byReason: { reason: string; trades: number }[] } | null;
}

async function statusJson(env: NodeJS.ProcessEnv): Promise<StatusJson> {
  const r = await runBot(['status', '--json'], { cwd: dir, env: { PATH: env.PATH!, NO_COLOR: '1' } });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
}

describe('risk controls from the command line', () => {
  it('a drawdown lock names `resume --reset-peak`; `resume` keeps it while the equity is still below; `resume --reset-peak` lifts it and the bot trades again', async () => {
    // The smallest limit config.json takes: the first dip below the peak locks entries.
    const env = setUp('drawdown', { maxDrawdownPct: 0.1 });
    bot = start(env);
    const warn = await until('the drawdown lock', () => output.match(/WARN {2}entries stopped \(drawdown\): equity [\d.]+ USDT is [\d.]+ % below its peak [\d.]+ USDT \(limit 0\.1 %\); to accept the loss and trade on, run `resume --reset-peak`/)?.[0] ?? null);
    const note = await until('the drawdown notification', () => notes().find((a) => titleOf(a).includes('Entries stopped: drawdown')) ?? null, 10_000);
    expect(note.join(' ')).toMatch(/resume --reset-peak/);
    expect(note.slice(note.indexOf('--priority'), note.indexOf('--priority') + 2)).toEqual(['--priority', 'max']);

    // Flat and locked, the equity does not move: a plain resume keeps the lock and says how to lift it.
    const held = await runBot(['resume'], { cwd: dir, env: { PATH: env.PATH! } });
    expect(held.code).toBe(0);
    expect(held.stderr).toMatch(/still locked: drawdown lock: equity .* below its peak .*run `resume --reset-peak`/);
    expect((await statusJson(env)).protections.map((p) => p.name)).toContain('drawdown');
    const heldAt = output.length;
    await sleep(5000); // 75 minutes of market time
    expect(opensAfter(output.indexOf(warn)), `no entry while locked:\n${output.slice(output.indexOf(warn))}`).toBe(0);
    expect(output.slice(heldAt)).not.toMatch(/entries allowed again/);

    const lifted = await runBot(['resume', '--reset-peak'], { cwd: dir, env: { PATH: env.PATH! } });
    expect(lifted.code).toBe(0);
    expect(lifted.stderr).toMatch(/done: resumed: peak reset to the equity now \([\d.]+ USDT\); new entries allowed again/);
    const liftedAt = output.length;
    await until('a new entry after the reset', () => (opensAfter(liftedAt) > 0 ? true : null));
    expect(await stop(bot)).toBe(0);
  }, 150_000);

  it('the kill switch: one error line and one critical notification, the position closed, no entry while it holds, in `status --json`, lifted by `resume --reset-peak`', async () => {
    // The kill switch must sit above the drawdown lock (config validation); it is measured at every
    // candle close on the bot's own equity, open trades included, so it fires first here.
    const env = setUp('kill', { maxDrawdownPct: 0.3, killSwitchDrawdownPct: 0.4 });
    bot = start(env);
    const error = await until('the kill switch', () => output.match(/ERROR .*kill switch: the bot's equity [\d.]+ USDT is [\d.]+ % below its peak [\d.]+ USDT \(kill switch at 0\.4 %\)\. Cancelling the bot's orders and closing its positions at market; no new entries until you run `resume --reset-peak`/)?.[0] ?? null);
    const firedAt = output.indexOf(error);
    expect(output.slice(0, firedAt), 'the drawdown lock did not fire first').not.toMatch(/entries stopped \(drawdown\)/);
    await until('the position closed by the kill switch', () => (/BTCUSDT (long|short) closed by kill switch: PnL [+-][\d.]+ USDT/.test(output.slice(firedAt)) ? true : null), 20_000);

    // Watch the market go on for a while: nothing opens, the error and the notification stay single.
    await sleep(8000); // 2 hours of market time
    expect(opensAfter(firedAt), `no entry after the kill switch:\n${output.slice(firedAt)}`).toBe(0);
    expect(output.match(/ERROR /g) ?? []).toHaveLength(1);
    const kills = notes().filter((a) => titleOf(a).includes('Kill switch'));
    expect(kills).toHaveLength(1);
    expect(kills[0]!.slice(kills[0]!.indexOf('--priority'), kills[0]!.indexOf('--priority') + 2)).toEqual(['--priority', 'max']);
    expect(kills[0]!.join(' ')).toMatch(/resume --reset-peak/);

    const locked = await statusJson(env);
    const kill = locked.protections.find((p) => p.name === 'killSwitch');
    expect(kill?.reason).toMatch(/the bot's equity [\d.]+ USDT is [\d.]+ % below its peak/);
    expect(locked.statistics?.byReason.map((r) => r.reason)).toContain('kill switch');
    const text = await runBot(['status'], { cwd: dir, env: { PATH: env.PATH!, NO_COLOR: '1' } });
    expect(text.stderr).toMatch(/KILL SWITCH: the bot's equity/);

    const lifted = await runBot(['resume', '--reset-peak'], { cwd: dir, env: { PATH: env.PATH! } });
    expect(lifted.code).toBe(0);
    expect(lifted.stderr).toMatch(/done: resumed: peak reset to the equity now/);
    const liftedAt = output.length;
    expect((await statusJson(env)).protections.map((p) => p.name)).not.toContain('killSwitch');
    await until('a new entry after the reset', () => (opensAfter(liftedAt) > 0 ? true : null));
    expect(await stop(bot)).toBe(0);
  }, 150_000);

  it('`status` on a bot that has traded shows its max drawdown, Sharpe, Sortino and PnL by exit reason', async () => {
    const env = setUp('perf', {});
    bot = start(env);
    // Hourly equity records of market time and one at each close: wait for a losing hour (Sortino).
    const st = await until(
      'statistics with a Sortino ratio',
      async () => {
        await sleep(2000);
        const s = (await statusJson(env)).statistics;
        return s && s.trades >= 2 && s.sortino !== null ? s : null;
      },
      90_000,
    );
    expect(st.maxDrawdownPct).not.toBeNull();
    expect(st.sharpe).not.toBeNull();
    const r = await runBot(['status'], { cwd: dir, env: { PATH: env.PATH!, NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    // Human text goes to stderr (DESIGN section 3); `--json` is the stdout document.
    expect(r.stderr).toMatch(/max DD +\d+\.\d\d %/);
    expect(r.stderr).toMatch(/Sharpe +-?\d+\.\d\d, Sortino -?\d+\.\d\d \(hourly, \d+ h\)/);
    expect(r.stderr).toMatch(/by exit +[a-z0-9 -]+: \d+, [+-]\d+\.\d\d/);
    expect(r.stderr).not.toMatch(/n\/a|no start equity/);
    expect(await stop(bot)).toBe(0);
  }, 150_000);
});
