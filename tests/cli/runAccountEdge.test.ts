/**
 * `node dist/bot.js run` against the sandbox set up as real Bybit accounts answer (issue 20 items 3, 4
 * and 11): hedge mode and a symbol not in Trading are refused before anything trades, each with what
 * to do; an isolated-margin account starts; a REST host whose stream host Bybit does not publish is a
 * configuration error naming the settings to add. Real bundle, real files, keys from the environment.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT, writeSandboxConfig } from '../helpers/cli.js';

let sandbox: Sandbox;
let bundle: string;
let dir: string;

beforeAll(async () => {
  bundle = builtBundle('bot');
  sandbox = await startSandbox({ data: [join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz')], ntpPort: 0 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-acct-'));
  writeSandboxConfig(dir, sandbox);
});
afterEach(() => {
  Object.assign(sandbox.account, { positionMode: 'oneWay', marginMode: 'REGULAR_MARGIN' });
  sandbox.account.instrumentStatus.clear();
  rmSync(dir, { recursive: true, force: true });
});

function startBot() {
  const child = spawn(process.execPath, [bundle, 'run'], { cwd: dir, env: cleanEnv({ BYBIT_API_KEY: DEFAULT_API_KEY, BYBIT_API_SECRET: DEFAULT_API_SECRET }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, output: () => output };
}

async function waitFor(bot: ReturnType<typeof startBot>, re: RegExp, ms = 25_000): Promise<void> {
  const end = Date.now() + ms;
  while (!re.test(bot.output())) {
    if (Date.now() > end || bot.child.exitCode !== null) throw new Error(`no ${String(re)} in:\n${bot.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('node dist/bot.js run: account modes and instrument status', () => {
  it('hedge mode: refused before trading, saying how to switch to one-way mode (exit 2: waiting cannot fix it; lock released)', async () => {
    sandbox.account.positionMode = 'hedge';
    const bot = startBot();
    expect(await bot.exited, 'exit 2: a setting to change, not a fault to wait out').toBe(2);
    expect(bot.output()).toMatch(/hedge mode \(BTCUSDT has a Buy and a Sell position row\); the bot trades in one-way mode only/);
    expect(bot.output()).toMatch(/Position mode → One-way mode/);
    expect(sandbox.sim.openOrders('BTCUSDT'), 'nothing was sent').toEqual([]);
    expect(existsSync(join(dir, 'state', 'bot.lock'))).toBe(false);
  }, 40_000);

  it('a symbol in PreLaunch: refused at start, naming symbols[0].symbol and the status', async () => {
    sandbox.account.instrumentStatus.set('BTCUSDT', 'PreLaunch');
    const bot = startBot();
    expect(await bot.exited, 'exit 2: a setting to change, not a fault to wait out').toBe(2);
    expect(bot.output()).toContain('symbols[0].symbol BTCUSDT is PreLaunch on Bybit, not Trading: remove it from config.json or set its "enabled" to false');
  }, 40_000);

  it('isolated margin: starts, reads the margin mode and trades on the USDT coin’s balance; SIGTERM exits 0', async () => {
    sandbox.account.marginMode = 'ISOLATED_MARGIN';
    const bot = startBot();
    await waitFor(bot, /account read marginMode=ISOLATED_MARGIN positionMode=one-way/);
    await waitFor(bot, /running mode=testnet/);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(bot.output(), 'an empty equity never reads as a 100 % drawdown').not.toMatch(/drawdown/i);
  }, 60_000);

  it('exchange.restUrl alone on a host Bybit publishes no stream host for: exit 2, naming the stream settings', async () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ mode: 'testnet', exchange: { restUrl: 'https://bybit-proxy.invalid' }, alerts: { termux: { enabled: false } }, battery: { enabled: false }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }));
    const bot = startBot();
    expect(await bot.exited).toBe(2);
    expect(bot.output()).toContain('exchange.restUrl "https://bybit-proxy.invalid" is not a host whose WebSocket address Bybit publishes');
    expect(bot.output()).toContain('set exchange.wsPublicUrl and exchange.wsPrivateUrl too');
  }, 40_000);
});
