/**
 * Issue 24, the mirror's catch-up: main closed entry A and opened entry B while the mirror was down
 * (its key refused for a run). At the next start the mirror closes its copy of A first, then copies B.
 */
import { describe, expect, it } from 'vitest';
import { MIRROR, mirrored, nextCandleQuiet, open, ours, sleep, SYMBOL, useMirrorHarness } from '../helpers/mirrorAccounts.js';

const { twoAccounts, startBot, until } = useMirrorHarness();

describe('mirror account: catch-up after main changed its entry (issue 24)', () => {
  it('closes the copy of an entry main no longer holds, then copies main\'s new entry', async () => {
    // How far the stepped market runs before B depends on the machine's load: a lock from losses on
    // the way (main's or the mirror's, whose copy of A has no stop while it is down) would keep B
    // from being entered or copied, and that is not what this test is about.
    const { sandbox, dir } = await twoAccounts(true, { risk: { maxDailyLossPct: 100, maxDrawdownPct: 100, lossStreak: { losses: 100 } } });
    const main = sandbox.sim;
    const mirror = sandbox.accountSim(MIRROR.apiKey);
    let bot = startBot(dir);
    await until('both accounts to run', () => /MAIN running mode=testnet/.test(bot.output()) && /MIRROR running/.test(bot.output()), 30_000, bot);
    await until('a main entry copied', () => mirrored(main, mirror), 120_000, bot, sandbox);
    const a = ours(main, 'entry').at(0)!.orderLinkId;
    bot.child.kill('SIGKILL');
    await bot.exited;

    // The copy of A stays open while the mirror is down (no exchange-side stop or target of its own to end it).
    mirror.cancelAll(SYMBOL);
    mirror.setTradingStop({ symbol: SYMBOL, stopLoss: null });
    // The mirror is down for a run (its key refused); main closes A and enters B meanwhile.
    bot = startBot(dir, { apiKey: MIRROR.apiKey, apiSecret: 'wrong-secret-for-tests-only' });
    await until('the main account to run', () => /MAIN running mode=testnet/.test(bot.output()), 30_000, bot);
    const m = open(main);
    main.placeOrder({ symbol: SYMBOL, side: m.side === 'buy' ? 'sell' : 'buy', orderType: 'market', qty: m.size, reduceOnly: true });
    // B must outlive the one candle the mirror's copy waits for at the next start (a stepped market can
    // stop a position out within two candles, and main may reach its daily loss limit after that).
    await until('a new main entry', () => ours(main, 'entry').at(0)!.orderLinkId !== a && open(main).side !== null && open(main).stopLoss !== null && nextCandleQuiet(sandbox, main), 240_000, bot, sandbox);
    const b = ours(main, 'entry').at(0)!.orderLinkId;
    await sleep(1000);
    bot.child.kill('SIGKILL');
    await bot.exited;
    // (The stepped market may have let the mirror copy and close an earlier main entry before A.)
    expect(ours(mirror, 'entry').at(0)!.orderLinkId, 'the mirror still holds its copy of A, and no copy of B').toBe(a);

    bot = startBot(dir);
    await until('both accounts to run', () => /MAIN running mode=testnet/.test(bot.output()) && /MIRROR running/.test(bot.output()), 30_000, bot);
    // The copy of B waits for the mirror's first candle since the start: one candle that leaves B open
    // (another such one only if the mirror has not begun its copy 3 s after the last).
    await until('the mirror to wait for its first candle', () => /MIRROR BTCUSDT: the main account's (long|short) position is copied at the next candle/.test(bot.output()), 30_000, bot);
    let stepped = 0;
    const copyingLine = /MIRROR BTCUSDT: copying the main account's (long|short) entry/;
    const copiedB = (): boolean => {
      if (ours(mirror, 'entry').some((o) => o.orderLinkId === b) && mirrored(main, mirror)) return true;
      if (!copyingLine.test(bot.output()) && Date.now() - stepped > 3000 && nextCandleQuiet(sandbox, main)) {
        sandbox.advanceCandles(1);
        stepped = Date.now();
      }
      return false;
    };
    await until('the mirror to hold a copy of B', copiedB, 30_000, bot);
    expect(ours(main, 'entry').at(0)!.orderLinkId, 'main still holds B').toBe(b);
    expect(bot.output()).toMatch(/MIRROR BTCUSDT: this position copies an entry the main account no longer holds: closing it, then copying main's/);
    expect(open(mirror).side, 'the mirror on the side of B').toBe(open(main).side);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 480_000);
});
