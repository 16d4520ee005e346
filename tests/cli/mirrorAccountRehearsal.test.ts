/**
 * Issue 24, the mirror account rehearsed as README shows: `dist/sandbox.js` serves a second account
 * (`--account KEY:SECRET:BALANCE`), and the bot in testnet mode, pointed at it, runs both accounts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT, runBot } from '../helpers/cli.js';

const BTC = join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz');
let sandboxJs: string;
let botJs: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  sandboxJs = builtBundle('sandbox');
  botJs = builtBundle('bot');
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function started(child: ChildProcess, done: RegExp, timeoutMs: number): { text: () => string; ready: Promise<string> } {
  let text = '';
  const ready = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out; output:\n${text.slice(-4000)}`)), timeoutMs);
    const on = (d: Buffer): void => {
      text += d.toString();
      if (done.test(text)) {
        clearTimeout(t);
        resolve(text);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  return { text: () => text, ready };
}

describe('dist/sandbox.js --account: a mirror account to rehearse with', () => {
  it('serves a second account with its own key and balance; the bot runs MAIN and MIRROR against it', async () => {
    const sandbox = spawn(process.execPath, [sandboxJs, '--port', '0', '--data', BTC, '--ntp-port', '0', '--speed', '0', '--api-key', 'rehearseMain', '--api-secret', 'main-secret', '--balance', '1000', '--account', 'rehearseMirror:mirror-secret:3000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = await started(sandbox, /account rehearseMirror/, 20_000).ready;
    expect(out).toMatch(/^api-key rehearseMain$/m);
    expect(out).toMatch(/^account rehearseMirror balance 3000$/m);
    expect(out, 'secrets are never printed').not.toMatch(/secret/);
    const restUrl = /^rest (http:\/\/\S+)$/m.exec(out)![1]!;
    const ntpPort = /^ntp udp:\/\/127\.0\.0\.1:(\d+)$/m.exec(out)![1]!;

    const dir = mkdtempSync(join(tmpdir(), 'pocket-mirror-rehearsal-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ mode: 'testnet', exchange: { restUrl }, clock: { ntpServers: [`127.0.0.1:${ntpPort}`], samplesPerServer: 2 }, alerts: { termux: { enabled: false } }, battery: { enabled: false }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }], mirror: { enabled: true } }),
    );
    const env = cleanEnv({ BYBIT_API_KEY: 'rehearseMain', BYBIT_API_SECRET: 'main-secret', BYBIT_MIRROR_API_KEY: 'rehearseMirror', BYBIT_MIRROR_API_SECRET: 'mirror-secret' });
    const bot = spawn(process.execPath, [botJs, 'run'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = started(bot, /MIRROR running/, 60_000);
    await log.ready;
    expect(log.text()).toMatch(/MAIN running mode=testnet/);
    expect(log.text()).not.toMatch(/MIRROR not trading/);
    bot.kill('SIGTERM');
    await new Promise((r) => bot.once('exit', r));
    // `status` reads both accounts' state.
    const status = await runBot(['status', '--json'], { cwd: dir, bundle: botJs });
    const doc = JSON.parse(status.stdout) as { account: string; mirror?: { account: string } };
    expect(doc.account).toBe('MAIN');
    expect(doc.mirror?.account).toBe('MIRROR');
  }, 120_000);

  it('refuses a malformed --account with exit 2', () => {
    const bad = spawnSync(process.execPath, [sandboxJs, '--port', '0', '--data', BTC, '--account', 'onlyakey'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--account must be KEY:SECRET or KEY:SECRET:BALANCE/);
    const twice = spawnSync(process.execPath, [sandboxJs, '--port', '0', '--data', BTC, '--account', 'sandbox-key:x'], { encoding: 'utf8' });
    expect(twice.status).toBe(2);
    expect(twice.stderr).toMatch(/the key sandbox-key is used twice/);
  });
});
