/**
 * Issue 24, the mirror account at a stop: SIGTERM while the mirror's copy waits before sending its
 * entry again (its creates fail). The main account's shutdown comes first and never waits for the
 * mirror: the process exits 0 at once, well inside the 10 s shutdown deadline, and the main state
 * is closed cleanly (no "exiting anyway").
 */
import { describe, expect, it } from 'vitest';
import { MIRROR, useMirrorHarness } from '../helpers/mirrorAccounts.js';

const { twoAccounts, startBot, until, untilCopiedEntry } = useMirrorHarness();

describe('mirror account: a stop while a copy is retried (issue 24)', () => {
  it('SIGTERM during a long retry wait stops the main account first and exits 0 within the deadline', async () => {
    const { sandbox, dir } = await twoAccounts();
    sandbox.setAccountFaults(MIRROR.apiKey, 'during=order-create,for=10m,http5xx=1,err10016=0');
    const bot = startBot(dir);
    await until('both accounts to run', () => /MAIN running mode=testnet/.test(bot.output()) && /MIRROR running/.test(bot.output()), 30_000, bot);
    // An entry the bot made after the stepped market had passed its first target is not copied (how
    // far the market runs before the bot acts depends on the machine's load): the next one is taken.
    await untilCopiedEntry(bot, sandbox, () => /MIRROR \[orders\] BTCUSDT copy entry not placed yet \(try 1\)/.test(bot.output()), 'the mirror to try its copy', 30_000);
    // The fourth try's wait is 16 s: longer than the shutdown deadline.
    await until('the mirror to wait 16 s before its next try', () => /MIRROR \[orders\] BTCUSDT copy entry not placed yet \(try 4\).*sending it again in 16 s/.test(bot.output()), 90_000, bot);
    const t0 = Date.now();
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    const tookMs = Date.now() - t0;
    expect(bot.output()).not.toMatch(/the shutdown did not finish within/);
    expect(tookMs, 'stopped well inside the 10 s deadline').toBeLessThan(8_000);
  }, 240_000);
});
