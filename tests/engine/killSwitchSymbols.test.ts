import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import { KillSwitch } from '../../src/engine/killSwitch.js';
import { LedgerWriter } from '../../src/engine/ledgerWriter.js';
import type { SymbolRuntime } from '../../src/engine/symbolRuntime.js';
import { kitRuntime, partsKit, T0 } from './partsKit.js';

describe("KillSwitch's symbols", () => {
  it('counts the symbols made after it (as the engine makes them), with their open trades, once they are there', () => {
    const kit = partsKit();
    const runtimes: SymbolRuntime[] = [];
    const bot = new KillSwitch(kit.ctx, new LedgerWriter(kit.journal, kit.logger), () => runtimes, () => {});
    bot.start(dec('1000'));
    expect(bot.equity()?.toFixed(), 'no symbols yet').toBe('1000');
    const rt = kitRuntime(kit);
    runtimes.push(rt);
    rt.roundTrip.apply({ execId: 'e1', orderId: 'o1', orderLinkId: 'l1', symbol: 'BTCUSDT', side: 'buy', price: dec('60000'), qty: dec('0.01'), fee: dec('0'), isMaker: false, ts: T0 });
    rt.history.push({ ts: T0, open: 59_000, high: 59_000, low: 59_000, close: 59_000, volume: 1 });
    expect(bot.equity()?.toFixed(), 'the open trade 10 USDT down').toBe('990');
    expect(bot.steadyEquity(T0 + 60_000), 'measured every hour first').toBeNaN();
    bot.onCandle(T0 + 60_000);
    expect(bot.steadyEquity(T0 + 120_000), 'then in doubles while clearly below the peak').toBe(990);
  });
});
