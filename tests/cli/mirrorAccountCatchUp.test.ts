/**
 * Issue 24, the mirror's catch-up: main closed entry A and opened entry B while the mirror was down
 * (its key refused for a run). At the next start the mirror closes its copy of A first, then copies B.
 */
import { describe, expect, it } from 'vitest';
import { MIRROR, mirrored, open, ours, sleep, SYMBOL, useMirrorHarness } from '../helpers/mirrorAccounts.js';

const { twoAccounts, startBot, until } = useMirrorHarness();

describe('mirror account: catch-up after main changed its entry (issue 24)', () => {
  it('closes the copy of an entry main no longer holds, then copies main\'s new entry', async () => {
    const { sandbox, dir } = await twoAccounts();
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
    await until('a new main entry', () => ours(main, 'entry').at(0)!.orderLinkId !== a && open(main).side !== null && open(main).stopLoss !== null, 240_000, bot, sandbox);
    const b = ours(main, 'entry').at(0)!.orderLinkId;
    await sleep(1000);
    bot.child.kill('SIGKILL');
    await bot.exited;
    expect(ours(mirror, 'entry').map((o) => o.orderLinkId), 'the mirror still holds its copy of A only').toEqual([a]);

    bot = startBot(dir);
    await until('both accounts to run', () => /MAIN running mode=testnet/.test(bot.output()) && /MIRROR running/.test(bot.output()), 30_000, bot);
    await until('the mirror to hold a copy of B', () => ours(mirror, 'entry').some((o) => o.orderLinkId === b) && mirrored(main, mirror), 60_000, bot, sandbox);
    expect(bot.output()).toMatch(/MIRROR BTCUSDT: this position copies an entry the main account no longer holds: closing it, then copying main's/);
    expect(open(mirror).side, 'the mirror on the side of B').toBe(open(main).side);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 480_000);
});
