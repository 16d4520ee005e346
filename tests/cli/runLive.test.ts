/**
 * `run` in a live mode (testnet) against the sandbox on loopback, as a user runs it: the real
 * bundle, keys from the environment, the clock measured against the sandbox's NTP responder.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT, writeSandboxConfig } from '../helpers/cli.js';

let sandbox: Sandbox;
let bundle: string;
let dir: string;
const GOOD = { apiKey: 'goodKey12345', apiSecret: 'good-secret-for-tests-only', ips: ['127.0.0.1'] };
const WITHDRAW = { apiKey: 'withdrawKey1', apiSecret: 'withdraw-secret-for-tests-only', withdraw: true, ips: ['127.0.0.1'] };

beforeAll(async () => {
  bundle = builtBundle('bot');
  sandbox = await startSandbox({ data: [join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz')], ntpPort: 0, apiKeys: [GOOD, WITHDRAW] });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-live-'));
  writeSandboxConfig(dir, sandbox);

});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function startBot(key: { apiKey: string; apiSecret: string }) {
  const child = spawn(process.execPath, [bundle, 'run'], { cwd: dir, env: cleanEnv({ BYBIT_API_KEY: key.apiKey, BYBIT_API_SECRET: key.apiSecret }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, output: () => output };
}

describe('node dist/bot.js run (testnet mode, sandbox on loopback)', () => {
  it('refuses an API key that can withdraw, before trading, and never prints the secret', async () => {
    const bot = startBot(WITHDRAW);
    // Waiting cannot fix this key: a configuration error, exit 2 (issue 15).
    expect(await bot.exited).toBe(2);
    expect(bot.output()).toMatch(/not trading with this API key/);
    expect(bot.output()).toMatch(/[Ww]ithdraw/);
    expect(bot.output()).not.toContain(WITHDRAW.apiSecret);
    expect(existsSync(join(dir, 'state', 'bot.lock')), 'the lock is released').toBe(false);
  }, 30_000);

  it('starts with a trading key (clock measured, markets, reconcile, streams) and stops cleanly on SIGTERM', async () => {
    const bot = startBot(GOOD);
    const end = Date.now() + 20_000;
    // Both lines, in whichever order the streams and the start-up log them.
    while (!/running mode=testnet/.test(bot.output()) || !/private stream open detail=authenticated/.test(bot.output())) {
      if (Date.now() > end || bot.child.exitCode !== null) throw new Error(`bot did not start:\n${bot.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(bot.output()).not.toContain(GOOD.apiSecret);
  }, 30_000);
});
