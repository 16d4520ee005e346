/**
 * Issue 15: the plain `run --replay` rehearsal (no faults) sent entries with a stop already past the
 * price, breakeven moves the market had passed, and take-profits for positions already closed, and
 * logged each refusal. The real bundle, the committed scalper settings for BTCUSDT, speed 600, for
 * about 40 s of wall time: no order, stop or take-profit is refused, and the trading still happens.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExitRecord, OrderSentRecord } from '../../src/domain/journalRecord.js';
import { readJournal } from '../../src/state/journal.js';
import { replayBots } from '../helpers/replayBots.js';

const replayBot = replayBots();

const BTC_SCALPER = {
  symbol: 'BTCUSDT',
  strategy: 'scalper',
  intervalMinutes: 1,
  leverage: 3,
  sizing: { mode: 'risk', riskPerTradePct: 1 },
  params: { proximityPct: 0.3, cooldownCandles: 3, stopMode: 'pivot' },
  exits: { ladderFractions: [0.6, 0.15, 0.15, 0.1], trailing: { enabled: false } },
};

describe('node dist/bot.js run --replay (BTCUSDT scalper, speed 600)', () => {
  it('sends no protective order Bybit refuses: no "refused" line for entries, stops or take-profits', async () => {
    const bot = replayBot({ name: 'rehearsal', config: { mode: 'paper', risk: { maxDailyLossPct: 3, maxDrawdownPct: 15, dayTimeZone: 'UTC' }, symbols: [BTC_SCALPER] } });
    bot.start(600);
    await new Promise((r) => setTimeout(r, 40_000));
    expect(await bot.stop('SIGTERM')).toBe(0);
    const output = bot.output();

    const { records } = await readJournal(join(bot.dir, 'state'));
    const orders = records.filter((r): r is OrderSentRecord => r.type === 'order');
    expect(orders.filter((o) => o.purpose === 'entry').length, `entries were made; output:\n${output.slice(-2000)}`).toBeGreaterThan(2);
    expect(records.filter((r): r is ExitRecord => r.type === 'exit').length).toBeGreaterThan(0);
    const refusals = output.split('\n').filter((l) => /refused|stop not set|trading-stop failed/i.test(l));
    expect(refusals, 'lines that report a refusal').toEqual([]);
    const notes = bot.termux.calls('termux-notification').map((a) => a.join(' '));
    expect(notes.filter((n) => /refused|stop not set/i.test(n))).toEqual([]);
  }, 90_000);
});
