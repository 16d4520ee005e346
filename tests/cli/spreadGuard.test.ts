/**
 * The spread guard (issue 24) in `run`: the real bundle, `run --replay` against the sandbox on
 * loopback replaying real BTCUSDT candles. The sandbox's book is one 0.1 tick wide at ~106 000
 * (about 0.0000943 %), so a limit below that refuses every market entry, and says so once per signal.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../src/state/journal.js';
import { replayBots } from '../helpers/replayBots.js';

const replayBot = replayBots({ untilTimeoutMs: 40_000 });

describe('run: a scalper market entry and the spread', () => {
  it('is skipped while the live spread exceeds the symbol maxSpreadPct, logged with the spread once per signal', async () => {
    const bot = replayBot({ name: 'spread', termux: 'none', config: { mode: 'paper', alerts: { termux: { enabled: false } }, battery: { enabled: false }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper', maxSpreadPct: 0.00005 }] } });
    bot.start(900);
    const skips = (): string[] => bot.output().split('\n').filter((l) => /signal not traded: spread/.test(l));
    await bot.until('two refused signals', () => skips().length >= 2);
    for (const l of skips()) expect(l).toMatch(/BTCUSDT (long|short) signal not traded: spread 0\.0000\d+ % \(bid \d+(\.\d)?, ask \d+(\.\d)?\) is above the limit 0\.0000500 %/);
    const notTraded = bot.output().split('\n').filter((l) => /BTCUSDT (long|short) signal not traded/.test(l));
    expect(notTraded.length, 'one line per signal, only the spread reason').toBe(skips().length);

    expect(await bot.stop('SIGTERM')).toBe(0);
    const { records } = await readJournal(join(bot.dir, 'state'));
    expect(records.filter((r) => r.type === 'order'), 'no order went out').toEqual([]);
  }, 90_000);
});
