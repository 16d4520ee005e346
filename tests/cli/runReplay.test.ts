/**
 * The whole bot as a user runs it: the real bundle, `run --replay` (the live stack: ccxt and ws
 * against the sandbox on loopback), a recording termux-notification first on PATH, the real
 * `pause` command, and SIGTERM.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExitRecord, FillRecord, OrderSentRecord } from '../../src/domain/journalRecord.js';
import { readJournal } from '../../src/state/journal.js';
import { StateStore } from '../../src/state/stateStore.js';
import { runBot } from '../helpers/cli.js';
import { replayBots } from '../helpers/replayBots.js';

const replayBot = replayBots();

describe('node dist/bot.js run --replay', () => {
  it('trades the replay through the live stack, obeys pause, notifies, and shuts down cleanly on SIGTERM', async () => {
    const bot = replayBot({ name: 'run', config: { mode: 'paper', symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] } });
    const { dir, env, termux } = bot;
    bot.start(900);
    const stateDir = join(dir, 'state');

    // The scalper enters, its position is protected and closed, all on the real wire.
    const exits = await bot.until('a closed trade in the journal', async () => {
      const { records } = await readJournal(stateDir);
      const e = records.filter((r): r is ExitRecord => r.type === 'exit');
      return e.length >= 2 ? e : null;
    });
    expect(exits.every((e) => ['stopLoss', 'takeProfit', 'trailingStop', 'timeExit'].includes(e.reason))).toBe(true);

    // The ongoing status notification was posted with its buttons.
    const status = termux.calls('termux-notification').find((a) => a.includes('--ongoing'));
    expect(status).toBeDefined();
    expect(status!.join(' ')).toMatch(/--button1 Pause/);

    // The owner pauses from the command line (what the notification button runs).
    const paused = await runBot(['pause', '--state-dir', stateDir, '--reason', 'test'], { cwd: dir, env: { PATH: env.PATH! } });
    expect(paused.code).toBe(0);
    expect(paused.stderr).toMatch(/done: paused/);
    await bot.until('the pause notification', () => (termux.calls('termux-notification').some((a) => a.join(' ').includes('Paused')) ? true : null), 5000);

    // SIGTERM: graceful shutdown, exit 0, lock released, state valid and marked paused.
    expect(await bot.stop('SIGTERM')).toBe(0);
    expect(existsSync(join(stateDir, 'bot.lock')), 'lock released').toBe(false);
    const store = await StateStore.open(stateDir);
    expect(store.state.protections.paused?.reason).toBe('test');
    await store.close();

    const { records, problems } = await readJournal(stateDir);
    expect(problems).toEqual([]);
    const orders = records.filter((r): r is OrderSentRecord => r.type === 'order');
    const fills = records.filter((r): r is FillRecord => r.type === 'fill');
    expect(new Set(orders.map((o) => o.orderLinkId)).size, 'no order sent twice').toBe(orders.length);
    expect(new Set(fills.map((f) => f.execId)).size, 'every fill recorded once').toBe(fills.length);
    expect(bot.output()).not.toMatch(/sandbox-secret/);
    // Issue 16 item 13: every record of the run is filed by the replay's market time (its candles are
    // of 2025-05 and 2025-06), not by today's date: no month file of the wall clock.
    const months = readdirSync(join(stateDir, 'journal')).filter((f) => f.endsWith('.jsonl'));
    expect(months.length).toBeGreaterThan(0);
    expect(months.every((f) => /^2025-0[56]\.jsonl$/.test(f)), `journal files by market month: ${months.join(', ')}`).toBe(true);
  }, 60_000);
});

describe('node dist/bot.js run --replay with a frozen Termux:API', () => {
  it('keeps trading when termux-notification never returns, and marks the channel unavailable within 10 s', async () => {
    const bot = replayBot({ name: 'run-hang', termux: 'hang', config: { mode: 'paper', alerts: { termux: { timeoutMs: 1000 } }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] } });
    const started = Date.now();
    bot.start(900);
    await bot.until('the termux channel marked unavailable', () => (/termux-notification.*unavailable|unavailable.*termux/i.test(bot.output()) ? true : null), 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    const exits = await bot.until('trades despite the frozen notifications', async () => {
      const { records } = await readJournal(join(bot.dir, 'state'));
      const e = records.filter((r) => r.type === 'exit');
      return e.length >= 2 ? e : null;
    });
    expect(exits.length).toBeGreaterThanOrEqual(2);
    expect(await bot.stop('SIGTERM')).toBe(0);
  }, 60_000);
});
