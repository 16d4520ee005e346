/**
 * The mirror account's tests (issue 24, tests/cli/mirrorAccount*.test.ts): the real bot (the
 * bundle, testnet mode) against a sandbox serving two accounts (two keys), stepped by the test,
 * with a fake termux-notification first on PATH. `useMirrorHarness()` registers the hooks of one
 * test file and returns its tools.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { parseOrderLinkId } from '../../src/engine/orderLinkId.js';
import type { Simulator } from '../../src/sim/simulator.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { makeFakeTermux, type FakeTermux } from '../alerts/fakeTermux.js';
import { builtBundle } from './build.js';
import { cleanEnv, ROOT, writeSandboxConfig } from './cli.js';

export const MAIN = { apiKey: 'mainKey123456', apiSecret: 'main-secret-for-tests-only', ips: ['127.0.0.1'] };
export const MIRROR = { apiKey: 'mirrorKey1234', apiSecret: 'mirror-secret-for-tests-only', ips: ['127.0.0.1'] };
export const SYMBOL = 'BTCUSDT';

export interface Bot {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const open = (sim: Simulator) => sim.position(SYMBOL);
export const ours = (sim: Simulator, kind: 'entry' | 'target') => sim.orders(SYMBOL).filter((o) => parseOrderLinkId('ps', o.orderLinkId)?.role.kind === kind);
export const openTargets = (sim: Simulator) => ours(sim, 'target').filter((o) => o.status === 'New' || o.status === 'PartiallyFilled');
/**
 * The mirror holds a copy of the main position: same side, its own stop, the ladder placed (at
 * least what is left of the main one: a copy made a candle later may find a main target filled).
 */
export const mirrored = (main: Simulator, mirror: Simulator): boolean =>
  open(main).side !== null && open(mirror).side === open(main).side && open(mirror).stopLoss !== null && openTargets(mirror).length > 0 && openTargets(mirror).length >= openTargets(main).length;

/**
 * True when the candle the sandbox plays next leaves main's position as it is (neither its stop nor
 * a target reached): a test that steps exactly that candle compares the mirror with main as it found it.
 */
export const nextCandleQuiet = (sandbox: Sandbox, main: Simulator): boolean => {
  const next = sandbox.replay.candleAt(SYMBOL, sandbox.replay.confirmedCount(SYMBOL));
  const p = open(main);
  const targets = openTargets(main).map((o) => o.price!.toNumber());
  if (!next || p.stopLoss === null || targets.length === 0) return false;
  const stop = p.stopLoss.toNumber();
  return p.side === 'buy' ? next.low > stop && next.high < Math.min(...targets) : next.high < stop && next.low > Math.max(...targets);
};

/**
 * `risk` for twoAccounts: no locks. How far the stepped market runs before the bot acts depends on
 * the machine's load; a lock from losses on the way would keep main from the entry a test waits for.
 */
export const NO_LOCKS = { risk: { maxDailyLossPct: 100, maxDrawdownPct: 100, lossStreak: { losses: 100 } } };

/** The targets of the sim's newest entry (earlier trades' targets left aside). */
export const entryTargets = (sim: Simulator) => {
  const stamp = (id: string) => parseOrderLinkId('ps', id)?.stampMs;
  const entry = ours(sim, 'entry').at(0);
  return entry ? ours(sim, 'target').filter((o) => stamp(o.orderLinkId) === stamp(entry.orderLinkId)) : [];
};

/**
 * Main holds its newest entry with its stop and its ladder, every target open and still ahead of the
 * price. An entry the bot made after the stepped market had already run through its first target
 * has that target behind the price, and the mirror does not copy such a ladder ("entry skipped:
 * target ... is not above the entry"); how far the market runs before the bot acts depends on the
 * machine's load.
 */
export const freshEntry = (main: Simulator): boolean => {
  const p = open(main);
  const targets = entryTargets(main);
  const last = main.lastPrice(SYMBOL);
  const ahead = (price: number): boolean => (p.side === 'buy' ? price > last : price < last);
  return p.side !== null && p.stopLoss !== null && targets.length > 0 && targets.every((o) => o.status === 'New' && ahead(o.price!.toNumber()));
};

/** True when the candle the sandbox plays next leaves main's position open: its stop not reached. */
export const nextCandleKeeps = (sandbox: Sandbox, main: Simulator): boolean => {
  const next = sandbox.replay.candleAt(SYMBOL, sandbox.replay.confirmedCount(SYMBOL));
  const p = open(main);
  if (!next || p.side === null || p.stopLoss === null) return false;
  return p.side === 'buy' ? next.low > p.stopLoss.toNumber() : next.high < p.stopLoss.toNumber();
};

export function useMirrorHarness() {
  let bundle = '';
  let termux: FakeTermux | null = null;
  const cleanups: (() => Promise<void> | void)[] = [];
  /** Both accounts as the exchange sees them, for a failure message. */
  let accounts = (): string => '';

  beforeAll(() => {
    bundle = builtBundle('bot');
    termux = makeFakeTermux('pocket-mirror-termux-');
    termux.record('termux-notification');
    termux.record('termux-notification-remove');
  });
  afterAll(() => termux?.cleanup());
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** `extra`: more top-level config.json sections (e.g. `risk`). */
  async function twoAccounts(mirrorEnabled = true, extra: Record<string, unknown> = {}): Promise<{ sandbox: Sandbox; dir: string }> {
    // Stepped by the test (speed 0): a position stays open while the test looks at it.
    const sandbox = await startSandbox({ data: [join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz')], ntpPort: 0, apiKeys: [MAIN], extraAccounts: [{ ...MIRROR, initialBalance: '3000' }], initialBalance: '1000' });
    const dir = mkdtempSync(join(tmpdir(), 'pocket-mirror-'));
    writeSandboxConfig(dir, sandbox, { leverage: 5 });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, mirror: { enabled: mirrorEnabled }, log: { level: 'debug' }, alerts: { termux: { enabled: true, timeoutMs: 3000 } }, ...extra }));
    accounts = () =>
      [sandbox.sim, sandbox.accountSim(MIRROR.apiKey)]
        .map((sim, i) => {
          const p = sim.position(SYMBOL);
          const orders = sim.openOrders(SYMBOL).map((o) => `${o.orderLinkId} ${o.side} ${o.qty.toFixed()}@${o.price?.toFixed() ?? 'mkt'}`);
          return `${i === 0 ? 'MAIN' : 'MIRROR'}: ${p.side ?? 'flat'} ${p.size.toFixed()} stop ${p.stopLoss?.toFixed() ?? 'none'}; open orders: ${orders.join(', ') || 'none'}`;
        })
        .join('\n') + `\nMIRROR log:\n${readFileSync(join(dir, 'state', 'bot.log'), 'utf8').split('\n').filter((l) => / MIRROR /.test(l)).slice(-25).join('\n')}`;
    cleanups.push(async () => {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { sandbox, dir };
  }

  function startBot(dir: string, mirrorKey: { apiKey: string; apiSecret: string } = MIRROR): Bot {
    const env = cleanEnv({
      BYBIT_API_KEY: MAIN.apiKey,
      BYBIT_API_SECRET: MAIN.apiSecret,
      BYBIT_MIRROR_API_KEY: mirrorKey.apiKey,
      BYBIT_MIRROR_API_SECRET: mirrorKey.apiSecret,
      PATH: `${termux!.binDir}:${process.env.PATH ?? ''}`,
    });
    const child = spawn(process.execPath, [bundle, 'run'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-400_000)));
    child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-400_000)));
    const bot = { child, output: () => out, exited: new Promise<number | null>((r) => child.once('exit', (code) => r(code))) };
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await bot.exited;
      }
    });
    return bot;
  }

  /** Waits for `cond`; with `sandbox`, steps the market one candle at a time meanwhile. */
  async function until(what: string, cond: () => boolean, timeoutMs: number, bot: Bot, sandbox?: Sandbox): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; ${accounts()}\nbot output:\n${bot.output().slice(-4000)}`);
      if (sandbox) sandbox.advanceCandles(1);
      await sleep(sandbox ? 60 : 20);
    }
  }

  /**
   * Steps the market until main holds a fresh entry (see freshEntry) and the mirror has taken it on:
   * `taken` (by default: it holds a copy). While the mirror works, the market stands still; an entry
   * it skips (one whose first target the price had passed when it looked) lets the market step on to
   * the next.
   */
  async function untilCopiedEntry(bot: Bot, sandbox: Sandbox, taken?: () => boolean, what = 'the mirror to copy it', timeoutMs = 20_000): Promise<void> {
    const main = sandbox.sim;
    const mirror = sandbox.accountSim(MIRROR.apiKey);
    const done = taken ?? (() => mirrored(main, mirror));
    const skips = (): number => (bot.output().match(/MIRROR \[engine\] BTCUSDT (long|short) entry skipped/g) ?? []).length;
    const newest = (): string | undefined => ours(main, 'entry').at(0)?.orderLinkId;
    const end = Date.now() + 180_000;
    let skipped: string | undefined;
    for (;;) {
      const before = skips();
      await until('a fresh main entry', () => freshEntry(main) && newest() !== skipped, Math.max(1, end - Date.now()), bot, sandbox);
      await until(`${what} (or skip it)`, () => done() || skips() > before, timeoutMs, bot);
      if (done()) return;
      skipped = newest();
    }
  }

  /**
   * After the mirror's (re)start its copy of main's open position waits for its first candle. Steps
   * that candle once the mirror says it waits (in the output from `from` on), only a candle for which
   * `quiet` holds (by default: it leaves main's position as it is), and another one if the mirror has
   * not begun its copy 3 s after the last (a candle streamed before its subscription took hold is not
   * seen by it), until `cond`. A copy made before the start (nothing to wait for) needs no candle.
   */
  async function copyAtNextCandle(what: string, cond: () => boolean, bot: Bot, sandbox: Sandbox, opts: { from?: number; quiet?: () => boolean } = {}): Promise<void> {
    const main = sandbox.sim;
    const quiet = opts.quiet ?? (() => nextCandleQuiet(sandbox, main));
    const since = (): string => bot.output().slice(opts.from ?? 0);
    let stepped = 0;
    const copied = (): boolean => {
      if (cond()) return true;
      const waits = /MIRROR BTCUSDT: the main account's (long|short) position is copied at the next candle/.test(since());
      const copying = /MIRROR BTCUSDT: copying the main account's (long|short) entry/.test(since());
      if (waits && !copying && Date.now() - stepped > 3000 && quiet()) {
        sandbox.advanceCandles(1);
        stepped = Date.now();
      }
      return false;
    };
    await until(what, copied, 45_000, bot);
  }

  return {
    bundle: () => bundle,
    copyAtNextCandle,
    untilCopiedEntry,
    termux: () => termux!,
    cleanups,
    twoAccounts,
    startBot,
    until,
    /** The ongoing status notification's text, as last posted. */
    ongoing: (): string => {
      const calls = termux!.calls('termux-notification').filter((a) => a.includes('--ongoing'));
      const last = calls.at(-1) ?? [];
      return last[last.indexOf('-c') + 1] ?? '';
    },
  };
}
