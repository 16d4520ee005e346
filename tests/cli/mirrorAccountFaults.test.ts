/**
 * Issue 24, the mirror account under REST faults while a copy is under way: its order creates
 * answer HTTP 503 or retCode 10016 for a while. The main account is not held up (its entry, stop
 * and ladder go out as always), the mirror sends its copy again with a growing wait and says so
 * with MIRROR, and the copy is entered once (the same orderLinkId each time). When the main
 * position closes while the mirror still cannot place its copy, the mirror gives up cleanly.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIRROR, mirrored, NO_LOCKS, open, openTargets, ours, sleep, SYMBOL, useMirrorHarness } from '../helpers/mirrorAccounts.js';

const { twoAccounts, startBot, until, untilCopiedEntry } = useMirrorHarness();

// How far the stepped market runs before the bot acts depends on the machine's load: an entry the bot
// made after the market had passed its first target is not copied ("entry skipped"), and never tried
// again; the market steps on to the next entry (untilCopiedEntry).

describe('mirror account: REST faults during a copy (issue 24)', () => {
  it('main goes on at once; the mirror retries with the same order id and enters once, or gives up when the main position closed meanwhile', async () => {
    const { sandbox, dir } = await twoAccounts(true, NO_LOCKS);
    const main = sandbox.sim;
    const mirror = sandbox.accountSim(MIRROR.apiKey);
    // From the mirror's first order create on, for 25 s, every create answers 503 or 10016.
    sandbox.setAccountFaults(MIRROR.apiKey, 'during=order-create,for=25s,http5xx=0.5,err10016=1');
    const bot = startBot(dir);
    await until('both accounts to run', () => /MAIN running mode=testnet/.test(bot.output()) && /MIRROR running/.test(bot.output()), 30_000, bot);
    await untilCopiedEntry(bot, sandbox, () => /MIRROR \[orders\] BTCUSDT copy entry not placed yet \(try 1\): .*(503|10016).*; sending it again in 2 s with the same order id/.test(bot.output()), 'the mirror to say it sends its copy again', 30_000);
    const mainEntry = ours(main, 'entry').at(0)!;
    await until("main's ladder", () => openTargets(main).length > 0, 10_000, bot);
    await until('the mirror to copy it', () => mirrored(main, mirror), 90_000, bot);

    // Main was not held up: its ladder went out right after its entry, long before the mirror's copy.
    const mainLadderMs = Math.max(...ours(main, 'target').map((o) => o.createdMs)) - mainEntry.createdMs;
    expect(mainLadderMs, "main's ladder placed within seconds of its entry").toBeLessThan(5_000);
    const mirrorEntries = ours(mirror, 'entry');
    expect(mirrorEntries.map((o) => o.orderLinkId), 'one mirror entry, with the main entry id').toEqual([mainEntry.orderLinkId]);
    expect(mirrorEntries[0]!.createdMs - mainEntry.createdMs, 'the copy went through once the faults ended').toBeGreaterThan(10_000);
    expect(bot.output()).toMatch(/MIRROR \[orders\] BTCUSDT copy entry placed at try \d+/);

    // The main position closes; the mirror follows.
    const m = open(main);
    main.placeOrder({ symbol: SYMBOL, side: m.side === 'buy' ? 'sell' : 'buy', orderType: 'market', qty: m.size, reduceOnly: true });
    await until('the mirror position to close', () => open(mirror).side === null && openTargets(mirror).length === 0, 30_000, bot);

    // Now the mirror's creates fail for good: the next copy is tried until the main position closes.
    sandbox.setAccountFaults(MIRROR.apiKey, 'during=order-create,for=10m,http5xx=1,err10016=0');
    const entriesBefore = ours(main, 'entry').length;
    const tries = () => (bot.output().match(/MIRROR \[orders\] BTCUSDT copy entry not placed yet/g) ?? []).length;
    const triesBefore = tries();
    await untilCopiedEntry(bot, sandbox, () => ours(main, 'entry').length > entriesBefore && tries() > triesBefore, 'the mirror to try to copy the next main entry', 30_000);
    const second = ours(main, 'entry').at(0)!;
    await until("main's ladder", () => openTargets(main).length > 0, 10_000, bot);
    expect(Math.max(...ours(main, 'target').filter((o) => o.createdMs >= second.createdMs).map((o) => o.createdMs)) - second.createdMs).toBeLessThan(5_000);
    const n = open(main);
    main.placeOrder({ symbol: SYMBOL, side: n.side === 'buy' ? 'sell' : 'buy', orderType: 'market', qty: n.size, reduceOnly: true });
    await until('the mirror to give up', () => /MIRROR \[orders\] BTCUSDT copy entry given up after \d+ tries: the main account's position closed meanwhile/.test(bot.output()), 60_000, bot);
    sandbox.setAccountFaults(MIRROR.apiKey, 'http5xx=0');
    sandbox.advanceCandles(1);
    await sleep(2000);
    expect(open(mirror).side, 'nothing entered on the mirror').toBeNull();
    expect(ours(mirror, 'entry').map((o) => o.orderLinkId), 'the second copy never reached the exchange').toEqual([mainEntry.orderLinkId]);
    expect(mirror.openOrders(SYMBOL), 'no order left on the mirror').toEqual([]);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 360_000);

  it('a copy whose creates get no answer for a while is entered once, with the same order id', async () => {
    const { sandbox, dir } = await twoAccounts();
    const main = sandbox.sim;
    const mirror = sandbox.accountSim(MIRROR.apiKey);
    // Requests give up after 1 s here, so the test does not wait Bybit's usual 10 s for each.
    const path = join(dir, 'config.json');
    const config = JSON.parse(readFileSync(path, 'utf8')) as { exchange: object };
    writeFileSync(path, JSON.stringify({ ...config, exchange: { ...config.exchange, requestTimeoutMs: 1000 } }));
    // From the mirror's first order create on, for 15 s, no create is answered (nor taken).
    sandbox.setAccountFaults(MIRROR.apiKey, 'during=order-create,for=15s,timeout=1');
    const bot = startBot(dir);
    await until('both accounts to run', () => /MAIN running mode=testnet/.test(bot.output()) && /MIRROR running/.test(bot.output()), 30_000, bot);
    await untilCopiedEntry(bot, sandbox, () => /MIRROR \[orders\] BTCUSDT copy entry not placed yet \(try 1\)/.test(bot.output()), 'the mirror to say it sends its copy again', 60_000);
    const mainEntry = ours(main, 'entry').at(0)!;
    await until('the mirror to copy it', () => mirrored(main, mirror), 90_000, bot);
    expect(Math.max(...ours(main, 'target').map((o) => o.createdMs)) - mainEntry.createdMs, "main's ladder placed within seconds of its entry").toBeLessThan(5_000);
    expect(ours(mirror, 'entry').map((o) => o.orderLinkId), 'one mirror entry, with the main entry id').toEqual([mainEntry.orderLinkId]);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 240_000);
});
