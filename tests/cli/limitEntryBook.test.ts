/**
 * Limit entries at the close (offsetPct 0) in the running bot: the real bundle in testnet mode
 * against the sandbox on loopback, replaying the real BTCUSDT candles. The signal's close is the
 * last trade, which took one side of the book; the bot reads Bybit's best bid and ask (the REST
 * ticker) just before the order goes out and puts a long at most on the bid, a short at least on
 * the ask, so neither side is refused as crossing (EC_PostOnlyWillTakeLiquidity) as a matter of
 * course: longs and shorts are placed and filled alike. Then `entry` is changed in config.json
 * while the bot runs: the next signal enters at market, and after a second save with a limit
 * `offsetPct` better, the next one is that limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxConfig } from '../../bench/botProcess.js';
import { parseOrderLinkId } from '../../src/engine/orderLinkId.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import type { SimOrder } from '../../src/sim/simTypes.js';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT } from '../helpers/cli.js';

const KEY = { apiKey: 'limitBookKey123', apiSecret: 'limit-book-secret-for-tests-only', ips: ['127.0.0.1'] };
const SPEED = 300;
const PER_SIDE = 4;

let sandbox: Sandbox;
let dir: string;
let child: ChildProcess | null = null;
let out = '';

const config = (entry: Record<string, unknown>) =>
  sandboxConfig(sandbox, 'testnet', {
    risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 50 } },
    symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper', leverage: 5, entry }],
  });

beforeAll(async () => {
  const bundle = builtBundle('bot');
  sandbox = await startSandbox({ data: [join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz')], ntpPort: 0, apiKeys: [KEY], initialBalance: '1000' });
  dir = mkdtempSync(join(tmpdir(), 'pocket-limit-book-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config({ type: 'limit', offsetPct: 0, timeoutCandles: 3 }), null, 2));
  child = spawn(process.execPath, [bundle, 'run'], { cwd: dir, env: cleanEnv({ BYBIT_API_KEY: KEY.apiKey, BYBIT_API_SECRET: KEY.apiSecret, NO_COLOR: '1' }), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; bot output:\n${out.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const entryOrders = (): SimOrder[] => sandbox.sim.orders('BTCUSDT').filter((o) => parseOrderLinkId('ps', o.orderLinkId)?.role.kind === 'entry');
const lines = (re: RegExp) => out.split('\n').filter((l) => re.test(l));
/** The close of the candle the entry was decided on (its order id carries the decision time). */
const signalClose = (o: SimOrder): number => {
  const decided = parseOrderLinkId('ps', o.orderLinkId)!.stampMs;
  const c = sandbox.confirmedCandles('BTCUSDT').find((k) => k.ts === Math.floor(decided / 60_000) * 60_000 - 60_000);
  if (!c) throw new Error(`no candle before ${new Date(decided).toISOString()}`);
  return c.close;
};

/**
 * Pauses the replay flat, with no order open and none on its way (it waits out one the bot may be
 * sending), and returns the entries sent so far.
 */
async function pauseFlat(): Promise<Set<string>> {
  for (;;) {
    const flat = () => sandbox.sim.position('BTCUSDT').side === null && sandbox.sim.openOrders('BTCUSDT').length === 0;
    await until('flat', flat, 120_000);
    sandbox.pause();
    await new Promise((r) => setTimeout(r, 1500));
    if (flat()) return new Set(entryOrders().map((o) => o.orderLinkId));
    sandbox.play(SPEED);
  }
}

describe('limit entries at the close, live against the sandbox', () => {
  it('longs and shorts both rest on their own side of the book and fill; a reload of entry applies from the next signal', async () => {
    await until('the bot to start', () => /engine started/.test(out), 30_000);
    sandbox.play(SPEED);

    // 1. offsetPct 0: both sides placed at or behind the close, on their own side of the book.
    const ended = (o: SimOrder) => ['Filled', 'Cancelled', 'PartiallyFilledCanceled'].includes(sandbox.sim.order({ symbol: 'BTCUSDT', orderLinkId: o.orderLinkId })!.status);
    await until(
      `${PER_SIDE} limit entries each side`,
      () => {
        const done = entryOrders().filter((o) => o.orderType === 'limit' && ended(o));
        return done.filter((o) => o.side === 'buy').length >= PER_SIDE && done.filter((o) => o.side === 'sell').length >= PER_SIDE;
      },
      300_000,
    );
    let seen = await pauseFlat();
    const limits = entryOrders().filter((o) => o.orderType === 'limit' && ended(o));
    const now = (o: SimOrder) => sandbox.sim.order({ symbol: 'BTCUSDT', orderLinkId: o.orderLinkId })!;
    for (const side of ['buy', 'sell'] as const) {
      const mine = limits.filter((o) => o.side === side);
      for (const o of mine) {
        expect(o.timeInForce).toBe('PostOnly');
        const close = signalClose(o);
        if (side === 'buy') expect(o.price!.toNumber(), `long ${o.orderLinkId} at most the close ${close}`).toBeLessThanOrEqual(close);
        else expect(o.price!.toNumber(), `short ${o.orderLinkId} at least the close ${close}`).toBeGreaterThanOrEqual(close);
      }
      // A refusal needs the price to move between the bot's read of the book and its order's arrival.
      const refused = mine.filter((o) => now(o).rejectReason === 'EC_PostOnlyWillTakeLiquidity');
      expect(refused.length, `${side} limits refused as crossing, of ${mine.length}`).toBeLessThanOrEqual(Math.floor(mine.length / 3));
      expect(mine.filter((o) => now(o).status === 'Filled').length, `${side} limits filled`).toBeGreaterThan(0);
    }
    expect(lines(/ (long|short) limit entry placed: .* post-only, at the (signal candle's close|best (bid|ask))/).length).toBeGreaterThanOrEqual(2 * PER_SIDE);
    expect(lines(/ short limit entry placed: /).length).toBeGreaterThanOrEqual(PER_SIDE);

    // 2. Saved as a market entry while the bot runs: the next signal enters at market.
    sandbox.play(SPEED);
    seen = await pauseFlat();
    const reloads = lines(/config\.json reloaded and applied/).length;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config({ type: 'market' }), null, 2));
    await until('the reload', () => lines(/config\.json reloaded and applied/).length > reloads, 15_000);
    sandbox.play(SPEED);
    const market = await until('the next entry', () => entryOrders().find((o) => !seen.has(o.orderLinkId)), 120_000);
    expect([market.orderType, market.timeInForce]).toEqual(['market', 'IOC']);

    // 3. Back to a limit, 0.05 % better than the close: the next signal is that limit.
    seen = await pauseFlat();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config({ type: 'limit', offsetPct: 0.05, timeoutCandles: 2 }), null, 2));
    await until('the second reload', () => lines(/config\.json reloaded and applied/).length > reloads + 1, 15_000);
    sandbox.play(SPEED);
    const limit = await until('the next entry', () => entryOrders().find((o) => !seen.has(o.orderLinkId)), 120_000);
    expect([limit.orderType, limit.timeInForce]).toEqual(['limit', 'PostOnly']);
    const close = signalClose(limit);
    const want = limit.side === 'buy' ? Math.floor(close * 0.9995 * 10 + 1e-6) / 10 : Math.ceil(close * 1.0005 * 10 - 1e-6) / 10;
    // 0.05 % of ~100 000 is ~50 dollars: the book (one 0.1 tick around the price) is far away unless the market ran.
    expect(limit.price!.toNumber()).toBeCloseTo(want, 6);
    await until('its placed line', () => lines(/ limit entry placed: .* post-only, 0\.05 % better than the signal candle's close .*cancelled if not filled within 2 candle\(s\)/).length > 0, 10_000);

    child!.kill('SIGTERM');
    await until('the bot to stop', () => child!.exitCode !== null, 30_000);
    expect(child!.exitCode).toBe(0);
  }, 600_000);
});
