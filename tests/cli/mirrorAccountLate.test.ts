/**
 * Issue 24, the mirror account: a copy made late. The main account entered and its first target
 * filled (its stop moved to breakeven) before the mirror copied it: the bot was killed and, at the
 * restart, the mirror is switched on. The mirror takes the position as it is now: main's remaining
 * share, only the targets main still has open, and main's stop as it stands.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Decimal } from '../../src/domain/money.js';
import { parseOrderLinkId } from '../../src/engine/orderLinkId.js';
import type { Simulator } from '../../src/sim/simulator.js';
import { MIRROR, nextCandleQuiet, open, openTargets, ours, sleep, useMirrorHarness } from '../helpers/mirrorAccounts.js';

const { twoAccounts, startBot, until } = useMirrorHarness();

/** The targets of the newest main entry (earlier trades' targets left aside). */
const stampOf = (id: string) => parseOrderLinkId('ps', id)?.stampMs;
const currentTargets = (sim: Simulator) => {
  const entry = ours(sim, 'entry').at(0);
  return entry ? ours(sim, 'target').filter((o) => stampOf(o.orderLinkId) === stampOf(entry.orderLinkId)) : [];
};

describe('mirror account: a late copy (issue 24)', () => {
  it('after a restart, with a main target filled and its stop at breakeven, copies what main holds now: its share, its open targets, its stop', async () => {
    const { sandbox, dir } = await twoAccounts(false);
    const main = sandbox.sim;
    const mirror = sandbox.accountSim(MIRROR.apiKey);
    let bot = startBot(dir);
    await until('the main account to run', () => /MAIN running mode=testnet/.test(bot.output()), 30_000, bot);
    const atBreakeven = (): boolean => {
      const p = open(main);
      if (p.side === null || p.stopLoss === null) return false;
      return p.side === 'buy' ? p.stopLoss.gte(p.entryPrice) : p.stopLoss.lte(p.entryPrice);
    };
    // The candle the restart will play must leave main as it is (neither its stop nor a target reached):
    // the test compares the copy with main as the mirror found it.
    // A main position with its first target filled, the rest open, and its stop moved to breakeven.
    await until('a main target to fill and the stop to move to breakeven', () => atBreakeven() && currentTargets(main).some((o) => o.status === 'Filled') && nextCandleQuiet(sandbox, main), 300_000, bot, sandbox);
    await sleep(1000);
    expect(open(mirror).side, 'mirror.enabled false: nothing copied yet').toBeNull();
    bot.child.kill('SIGKILL');
    await bot.exited;

    const filledPrices = currentTargets(main).filter((o) => o.status === 'Filled').map((o) => o.price!.toFixed());
    const openPrices = openTargets(main).map((o) => o.price!.toFixed()).sort();
    const entryQty = ours(main, 'entry').at(0)!.qty;
    const killed = { size: open(main).size, stop: open(main).stopLoss!.toFixed() };
    expect(killed.size.lt(entryQty), 'main holds less than it entered').toBe(true);

    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ ...(JSON.parse(readFileSync(path, 'utf8')) as object), mirror: { enabled: true } }));
    bot = startBot(dir);
    await until('both accounts to run', () => /MAIN running mode=testnet/.test(bot.output()) && /MIRROR running/.test(bot.output()), 30_000, bot);
    // The mirror's first copy waits for the first candle after its start (its market clock).
    await sleep(500);
    sandbox.advanceCandles(1);
    await until('the mirror to copy the main position', () => open(mirror).side !== null && open(mirror).stopLoss !== null && openTargets(mirror).length > 0, 30_000, bot);
    await sleep(1000);

    const mirrorTargets = ours(mirror, 'target').map((o) => o.price!.toFixed());
    for (const p of filledPrices) expect(mirrorTargets, `main's filled target ${p} is not copied`).not.toContain(p);
    expect([...mirrorTargets].sort(), "only main's open targets").toEqual(openPrices);
    expect(open(main).size.eq(killed.size), 'main unchanged by the candle after the restart').toBe(true);
    expect(open(mirror).stopLoss!.toFixed(), "main's stop as it stands (breakeven), not its first one").toBe(killed.stop);
    // Main's remaining quantity × 3 (the mirror's balance is 3 × main's), to a step and the PnL main booked.
    const entries = ours(mirror, 'entry');
    expect(entries.length, 'one mirror entry').toBe(1);
    const copied = entries[0]!.qty;
    const step = main.instrument('BTCUSDT').qtyStep;
    const near = (want: Decimal) => copied.minus(want).abs().lte(want.mul('0.03').plus(step));
    expect(near(killed.size.mul(3)), `mirror entry ${copied.toFixed()} vs 3 × main's remaining ${killed.size.toFixed()} (entered ${entryQty.toFixed()})`).toBe(true);
    expect(copied.lt(entryQty.mul(3).minus(step)), 'not the full entry').toBe(true);
    expect(bot.output()).toMatch(/MIRROR BTCUSDT: copying the main account's (long|short) entry at [\d.]+ % of the balance: [\d.]+ USDT of [\d.]+ USDT; \d target\(s\) of main already filled: [\d.]+ % of the entry, its \d open target\(s\), stop [\d.]+/);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 360_000);
});
