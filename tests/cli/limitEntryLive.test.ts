/**
 * Limit entries in the running bot (issue 24 item 5): the real bundle in testnet mode against the
 * sandbox on loopback, replaying the real BTCUSDT candles. A signal is entered with a post-only
 * limit carrying its stop; once it fills, the position has its stop and its take-profit ladder on
 * the exchange; one not filled in time is cancelled on the exchange after timeoutCandles candles. A
 * SIGKILL while a limit waits: found still open on the exchange at the restart, it is tracked and
 * its deadline kept; filled while the bot was down, the position gets its ladder; gone (cancelled
 * in the Bybit app), it is forgotten and trading goes on. close-all cancels a waiting limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxConfig } from '../../bench/botProcess.js';
import { parseOrderLinkId } from '../../src/engine/orderLinkId.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import type { SimOrder } from '../../src/sim/simTypes.js';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT, runBot } from '../helpers/cli.js';

const KEY = { apiKey: 'limitKey12345', apiSecret: 'limit-secret-for-tests-only', ips: ['127.0.0.1'] };
const SPEED = 600;
const TIMEOUT_CANDLES = 3;

let sandbox: Sandbox;
let bundle: string;
let dir: string;
let bot: Bot | null = null;

beforeAll(async () => {
  bundle = builtBundle('bot');
  sandbox = await startSandbox({ data: [join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz')], ntpPort: 0, apiKeys: [KEY], initialBalance: '1000' });
  dir = mkdtempSync(join(tmpdir(), 'pocket-limit-live-'));
  const config = sandboxConfig(sandbox, 'testnet', {
    risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 50 } },
    symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper', leverage: 5, entry: { type: 'limit', offsetPct: 0.02, timeoutCandles: TIMEOUT_CANDLES } }],
  });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
});
afterAll(async () => {
  if (bot && bot.child.exitCode === null) bot.child.kill('SIGKILL');
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Bot {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

function startBot(): Bot {
  const child = spawn(process.execPath, [bundle, 'run'], { cwd: dir, env: cleanEnv({ BYBIT_API_KEY: KEY.apiKey, BYBIT_API_SECRET: KEY.apiSecret, NO_COLOR: '1' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; bot output:\n${bot?.output().slice(-4000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const entryOrders = (): SimOrder[] => sandbox.sim.orders('BTCUSDT').filter((o) => parseOrderLinkId('ps', o.orderLinkId)?.role.kind === 'entry');
const ladder = (stamp: string): SimOrder[] => sandbox.sim.openOrders('BTCUSDT').filter((o) => o.orderLinkId.startsWith('ps-BTCUSDT-T') && o.orderLinkId.endsWith(`-${stamp}`));
const stampOf = (o: SimOrder) => o.orderLinkId.split('-')[3]!;
const lines = (re: RegExp) => (bot?.output() ?? '').split('\n').filter((l) => re.test(l));
const state = () => JSON.parse(readFileSync(join(dir, 'state', 'state.json'), 'utf8')) as { symbols: Record<string, { position: { size: string; entryOrderLinkId: string | null } | null }> };

/** The next limit entry the bot sends (one not among `seen`), once the exchange has it. */
async function nextLimit(seen: Set<string>): Promise<SimOrder> {
  const o = await until('a limit entry on the exchange', () => entryOrders().find((x) => !seen.has(x.orderLinkId) && x.orderType === 'limit'), 120_000);
  seen.add(o.orderLinkId);
  return o;
}

/** The next limit entry that is still waiting on the book once the replay is paused (the replay stays paused). */
async function nextWaitingLimit(seen: Set<string>): Promise<SimOrder> {
  for (;;) {
    const o = await nextLimit(seen);
    sandbox.pause();
    if (sandbox.sim.order({ symbol: 'BTCUSDT', orderLinkId: o.orderLinkId })!.status === 'New') return o;
    sandbox.play(SPEED);
    await until('flat', () => sandbox.sim.position('BTCUSDT').side === null, 120_000);
  }
}

async function restart(): Promise<void> {
  bot = startBot();
  await until('the bot to start', () => /running/.test(bot!.output()) && /engine started/.test(bot!.output()), 30_000);
}

describe('limit entries, live against the sandbox', () => {
  it('place → fill → stop and ladder; timeout cancel; SIGKILL with a limit waiting; close-all', async () => {
    const seen = new Set<string>();
    await restart();
    sandbox.play(SPEED);

    // 1. Placed post-only at the signal's close (0.02 % better) with the stop attached; filled → stop and ladder.
    const outcomes = { filled: null as SimOrder | null, timedOut: null as SimOrder | null };
    let ended = 0;
    while (outcomes.filled === null || outcomes.timedOut === null) {
      const o = await nextLimit(seen);
      expect(o.timeInForce).toBe('PostOnly');
      expect(o.stopLoss, 'the stop travels with the entry').not.toBeNull();
      let closedMs = 0;
      const done = await until(`${o.orderLinkId} to end`, () => {
        const now = sandbox.sim.order({ symbol: 'BTCUSDT', orderLinkId: o.orderLinkId })!;
        // The market time when the end is seen: the close of the replay's newest closed candle.
        closedMs = sandbox.confirmedCandles('BTCUSDT').at(-1)!.ts + 60_000;
        return now.status === 'Filled' || now.status === 'Cancelled' ? now : null;
      });
      if (done.status === 'Filled' && outcomes.filled === null) {
        outcomes.filled = done;
        // Protected and laddered within seconds: the position's stop and its reduce-only targets.
        await until('the ladder on the exchange', () => ladder(stampOf(done)).length > 0 || sandbox.sim.position('BTCUSDT').side === null, 15_000);
        const p = sandbox.sim.position('BTCUSDT');
        if (p.side !== null) {
          expect(p.stopLoss?.toFixed()).toBe(done.stopLoss!.toFixed());
          expect(ladder(stampOf(done)).every((t) => t.reduceOnly && t.orderType === 'limit')).toBe(true);
        }
        await until('the filled line', () => lines(/long limit entry filled: |short limit entry filled: /).length > 0, 10_000);
      }
      if (done.status === 'Cancelled') {
        const said = await until('the line saying why it ended', () => lines(/ limit entry (cancelled: |refused |at \S+ ended unfilled: )/)[ended], 10_000);
        ended++;
        if (outcomes.timedOut === null && /cancelled: not filled within 3 candle\(s\)$/.test(said)) {
          outcomes.timedOut = done;
          // Cancelled by the bot at the close of the third candle after the signal, in market time (the
          // order id carries the decision time).
          expect(done.cancelType).toBe('CancelByUser');
          const decidedMs = parseOrderLinkId('ps', done.orderLinkId)!.stampMs;
          expect(closedMs - decidedMs, 'not before the third candle after the signal closed').toBeGreaterThanOrEqual(3 * 60_000);
          expect(closedMs - decidedMs, 'soon after it (the bot and this poll may lag a candle or two on loaded cores)').toBeLessThanOrEqual(6 * 60_000);
        }
      }
      // The position of this entry (if any) ends before the next signal; wait for it so the next limit is a new story.
      await until('flat', () => sandbox.sim.position('BTCUSDT').side === null, 120_000);
    }
    expect(lines(/ limit entry placed: .* post-only, 0\.02 % better than the signal candle's close/).length).toBeGreaterThanOrEqual(2);

    // 2. SIGKILL while a limit waits; still on the exchange at the restart: tracked, deadline kept.
    let waiting = await nextWaitingLimit(seen);
    bot!.child.kill('SIGKILL');
    await bot!.exited;
    await restart();
    await until('the restart line', () => lines(/limit entry .* still waiting on Bybit after the restart: cancelled if not filled by \d\d:\d\d UTC/).length > 0, 15_000);
    sandbox.play(SPEED);
    await until(`${waiting.orderLinkId} to end after the restart`, () => ['Filled', 'Cancelled'].includes(sandbox.sim.order({ symbol: 'BTCUSDT', orderLinkId: waiting.orderLinkId })!.status));
    const after = sandbox.sim.order({ symbol: 'BTCUSDT', orderLinkId: waiting.orderLinkId })!;
    // Paused while the bot was down: the sandbox's clock ran on, the market did not; the restart kept the deadline.
    if (after.status === 'Cancelled') await until('the cancel line after the restart', () => lines(/cancelled: (not filled within 3 candle|the price reached the first target)/).length > 0, 10_000);
    await until('flat', () => sandbox.sim.position('BTCUSDT').side === null, 120_000);

    // 3. Filled while the bot was down: the restart gives the position its ladder.
    for (;;) {
      waiting = await nextWaitingLimit(seen);
      bot!.child.kill('SIGKILL');
      await bot!.exited;
      // Play on without the bot until the limit fills (or, rarely, the replay moves away: try the next one).
      sandbox.play(SPEED);
      const giveUpMs = Date.now() + 15_000;
      const filled = await until('the limit to fill or the market to move away', () => {
        const o = sandbox.sim.order({ symbol: 'BTCUSDT', orderLinkId: waiting.orderLinkId })!;
        if (o.status === 'Filled') return 'filled';
        return Date.now() > giveUpMs ? 'away' : null;
      });
      sandbox.pause();
      if (filled === 'filled' && sandbox.sim.position('BTCUSDT').side !== null) break;
      if (filled === 'away') sandbox.sim.cancelOrder({ symbol: 'BTCUSDT', orderLinkId: waiting.orderLinkId });
      await restart();
      sandbox.play(SPEED);
      await until('flat', () => sandbox.sim.position('BTCUSDT').side === null, 120_000);
    }
    expect(ladder(stampOf(waiting)), 'no ladder while the bot was down').toEqual([]);
    await restart();
    await until('the ladder after the restart', () => ladder(stampOf(waiting)).length > 0 || sandbox.sim.position('BTCUSDT').side === null, 20_000);
    if (sandbox.sim.position('BTCUSDT').side !== null) expect(sandbox.sim.position('BTCUSDT').stopLoss).not.toBeNull();
    expect(lines(/limit entry filled: /).length, 'the fill found at the restart is said').toBeGreaterThan(0);
    sandbox.play(SPEED);
    await until('flat', () => sandbox.sim.position('BTCUSDT').side === null, 120_000);

    // 4. Gone while the bot was down (cancelled in the Bybit app): forgotten, and trading goes on.
    waiting = await nextWaitingLimit(seen);
    bot!.child.kill('SIGKILL');
    await bot!.exited;
    expect(sandbox.sim.cancelOrder({ symbol: 'BTCUSDT', orderLinkId: waiting.orderLinkId }).ok).toBe(true);
    await restart();
    await until('the pending entry forgotten', () => state().symbols.BTCUSDT?.position === null, 20_000);
    expect(lines(/limit entry at \S+ ended unfilled: it was cancelled on the exchange \(Bybit: \w+\); nothing left pending$/).length).toBeGreaterThan(0);
    sandbox.play(SPEED);

    // 5. close-all while a limit waits: cancelled on the exchange, nothing left pending.
    waiting = await nextWaitingLimit(seen);
    const r = await runBot(['close-all', '--yes'], { cwd: dir, env: { NO_COLOR: '1' }, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    await until('the limit cancelled by close-all', () => sandbox.sim.order({ symbol: 'BTCUSDT', orderLinkId: waiting.orderLinkId })!.status === 'Cancelled', 20_000);
    await until('nothing pending', () => state().symbols.BTCUSDT?.position === null, 20_000);
    await until('the line for it', () => lines(/limit entry at \S+ ended unfilled: it was cancelled on the exchange \(Bybit: EC_PerCancelRequest\)/).length >= 2, 10_000);

    bot!.child.kill('SIGTERM');
    expect(await bot!.exited).toBe(0);
  }, 600_000);
});
