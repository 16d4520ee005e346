/**
 * Issue 18: the bundle compiles ccxt's Bybit class (half of dist/bot.js) on its first `new` only
 * (scripts/esbuildPlugins.mjs), so a command that never talks to Bybit does not pay for it at start-up.
 * The real bundle runs with a preload that listens on the channel the lazy loader publishes on when it
 * compiles the class: a backtest from a file never compiles it, a download does, and the errors the
 * compiled class throws are still ccxt's exported classes, so a 503 from Bybit is mapped as before
 * (retryable: the read is tried again and the bot starts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxConfig } from '../../bench/botProcess.js';
import { NO_FAULTS, parseFaultSpec } from '../../src/sandbox/faults.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT } from '../helpers/cli.js';

const BTC_1M = join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz');
const KEY = { apiKey: 'lazyCcxtKey123', apiSecret: 'lazy-ccxt-secret-for-tests', ips: ['127.0.0.1'] };
const CHANNEL = 'pocket-scalper:ccxt-compiled';

let sandbox: Sandbox;
let dir: string;
let preload: string;

beforeAll(async () => {
  builtBundle('bot');
  sandbox = await startSandbox({ data: [BTC_1M], ntpPort: 0, apiKeys: [KEY] });
  dir = mkdtempSync(join(tmpdir(), 'pocket-ccxt-lazy-'));
  preload = join(dir, 'listen.mjs');
  // Counts the compilations and, once, looks at what the compiled class is made of.
  writeFileSync(
    preload,
    `import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
const seen = { compiled: 0 };
subscribe(${JSON.stringify(CHANNEL)}, ({ bybit, errors }) => {
  seen.compiled++;
  const ex = new bybit({});
  seen.id = ex.id;
  seen.fetchOHLCV = typeof ex.fetchOHLCV;
  try { ex.checkRequiredCredentials(); } catch (e) { seen.thrown = e.name; seen.isExported = e instanceof errors.AuthenticationError && e instanceof errors.BaseError; }
});
process.on('exit', () => writeFileSync(process.env.CCXT_SEEN, JSON.stringify(seen)));
`,
  );
}, 120_000);
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Seen {
  compiled: number;
  id?: string;
  fetchOHLCV?: string;
  thrown?: string;
  isExported?: boolean;
}

interface Bot {
  output(): string;
  stop(): void;
  readonly exited: Promise<{ code: number | null; seen: Seen }>;
}

/** The real bundle with the preload, in its own directory; `seen` is what the preload counted. */
function startBot(args: readonly string[], cwd: string, env: Record<string, string> = {}): Bot {
  const seenFile = join(cwd, `seen-${Math.random().toString(36).slice(2)}.json`);
  const child = spawn(process.execPath, ['--import', preload, builtBundle('bot'), ...args], { cwd, env: cleanEnv({ ...env, CCXT_SEEN: seenFile }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; seen: Seen }>((resolve) =>
    child.once('close', (code) => resolve({ code, seen: existsSync(seenFile) ? (JSON.parse(readFileSync(seenFile, 'utf8')) as Seen) : { compiled: -1 } })),
  );
  return { output: () => out, stop: () => child.kill('SIGTERM'), exited };
}

function workDir(name: string): string {
  return mkdtempSync(join(dir, `${name}-`));
}

describe('ccxt is compiled on first use only', () => {
  it('a backtest from a file, --help and --version never compile it', async () => {
    const cwd = workDir('file');
    const bot = startBot(['backtest', '--data', BTC_1M, '--symbol', 'BTCUSDT', '--state-dir', 'st', '--json', 'out.json'], cwd);
    const { code, seen } = await bot.exited;
    expect(code, bot.output()).toBe(0);
    expect((JSON.parse(readFileSync(join(cwd, 'out.json'), 'utf8')) as { trades: unknown[] }).trades.length).toBeGreaterThan(0);
    expect(seen.compiled).toBe(0);
    for (const flag of ['--help', '--version']) {
      const other = startBot([flag], cwd);
      const r = await other.exited;
      expect(r.code, other.output()).toBe(0);
      expect(r.seen.compiled).toBe(0);
    }
  }, 120_000);

  it('a download compiles it once, into the real ccxt Bybit class whose errors are the exported classes', async () => {
    const cwd = workDir('download');
    const args = ['backtest', '--download', '--symbol', 'BTCUSDT', '--interval', '1m', '--from', '2025-05-29T20:00', '--to', '2025-05-29T22:00', '--exchange-url', sandbox.restUrl, '--state-dir', 'st', '--json', 'out.json'];
    const bot = startBot(args, cwd);
    const { code, seen } = await bot.exited;
    expect(code, bot.output()).toBe(0);
    expect(bot.output()).toMatch(/downloaded \d+ candles in \d+ request\(s\)/);
    expect(seen).toEqual({ compiled: 1, id: 'bybit', fetchOHLCV: 'function', thrown: 'AuthenticationError', isExported: true });
  }, 120_000);

  it('run: a 503 from Bybit is still ccxt\'s ExchangeNotAvailable, so the bot retries the read, then starts', async () => {
    const cwd = workDir('run');
    writeFileSync(join(cwd, 'config.json'), JSON.stringify(sandboxConfig(sandbox, 'testnet', { exchange: { restUrl: sandbox.restUrl, requestTimeoutMs: 2000 }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }], log: { level: 'debug' } })));
    // From the first position or order read on (the key check before it is not ccxt's), for 4 s;
    // the retries of a read are logged at debug level.
    sandbox.setFaults({ ...NO_FAULTS, ...parseFaultSpec('http5xx=100%,during=reconciliation,for=4s') });
    const bot = startBot(['run'], cwd, { BYBIT_API_KEY: KEY.apiKey, BYBIT_API_SECRET: KEY.apiSecret });
    try {
      await until(() => / running mode=testnet/.test(bot.output()), bot, 60_000);
      // Mapped as retryable (ccxt's ExchangeNotAvailable, HTTP 503), so it was retried: not refused, not fatal.
      expect(bot.output()).toMatch(/retrying .*ExchangeNotAvailable \(HTTP 503\)/);
    } finally {
      sandbox.setFaults({ ...NO_FAULTS });
      bot.stop();
      await bot.exited;
    }
    const { seen } = await bot.exited;
    expect(seen.compiled).toBe(1);
  }, 150_000);
});

async function until(ok: () => boolean, bot: Bot, deadlineMs: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > deadlineMs) throw new Error(`gave up waiting after ${deadlineMs} ms:\n${bot.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
