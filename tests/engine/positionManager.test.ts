import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { ExitRecord, OrderSentRecord } from '../../src/domain/journalRecord.js';
import { longIntent, partsKit, T0, wireParts, type PartsKit, type WiredParts } from './partsKit.js';

/** A filled long entry of 0.015 BTC at 60 000.1 (the simulator's ask) with its stop at 59 400 and four targets 600 apart. */
async function openLong(kit: PartsKit): Promise<WiredParts> {
  const w = await wireParts(kit);
  await w.turn(() => w.entries.enter(w.rt, longIntent(), T0));
  expect(kit.sim.position('BTCUSDT').size.toFixed()).toBe('0.015');
  return w;
}

function sentOrders(kit: PartsKit): OrderSentRecord[] {
  return kit.journal.records.filter((r): r is OrderSentRecord => r.type === 'order');
}

describe('PositionManager', () => {
  it('a filled entry gets its stop on the position and its take-profit ladder, reduce-only', async () => {
    const kit = partsKit();
    await openLong(kit);
    const ladder = kit.sim.openOrders('BTCUSDT');
    // ladderFractions 0.6/0.15/0.15/0.1 of 0.015, rounded to the 0.001 step, the rest on the last target.
    expect(ladder.map((o) => [o.side, o.price?.toFixed(), o.qty.toFixed(), o.reduceOnly])).toEqual([
      ['sell', '60600', '0.009', true],
      ['sell', '61200', '0.002', true],
      ['sell', '61800', '0.002', true],
      ['sell', '62400', '0.002', true],
    ]);
    expect(kit.store.state.symbols.BTCUSDT?.position?.targets.map((t) => t.orderLinkId)).toEqual(ladder.map((o) => o.orderLinkId));
    expect(kit.alerts.at(-1)).toMatchObject({ level: 'trade', title: 'BTCUSDT long opened', body: '0.015 @ 60000.1, stop 59400, 4 target(s)' });
  });

  it('the first target filled moves the stop to breakeven plus fees', async () => {
    const kit = partsKit();
    const w = await openLong(kit);
    await w.turn(() => kit.sim.movePrice('BTCUSDT', 60_700, T0 + 60_000));
    // breakeven feeBufferPct 0.11 (tests/engine/harness.ts): 60 000.1 × 1.0011 = 60 066.1001, up to the 0.1 tick.
    expect(kit.sim.position('BTCUSDT').stopLoss?.toFixed()).toBe('60066.2');
    expect(kit.store.state.symbols.BTCUSDT?.position?.targets.map((t) => t.filled)).toEqual([true, false, false, false]);
    expect(kit.alerts.map((a) => a.title).slice(-2)).toEqual(['BTCUSDT target 1 filled', 'BTCUSDT stop to breakeven']);
  });

  it('closes at market: the exit goes out reduce-only, the rest of the ladder is cancelled, the trade is journaled', async () => {
    const kit = partsKit();
    const w = await openLong(kit);
    await w.turn(() => w.positions.close(w.rt, 'T', 'held 30 candles'));
    expect(kit.sim.position('BTCUSDT').side).toBeNull();
    expect(kit.sim.openOrders('BTCUSDT')).toEqual([]);
    const exit = sentOrders(kit).at(-1)!;
    expect(exit).toMatchObject({ purpose: 'exit', orderType: 'market', reduceOnly: true, reason: 'timeExit: held 30 candles' });
    expect(exit.orderLinkId).toMatch(/^ps-BTCUSDT-XT-/);
    const trade = kit.journal.records.find((r): r is ExitRecord => r.type === 'exit');
    expect(trade).toMatchObject({ side: 'long', qty: '0.015', reason: 'timeExit' });
    expect(kit.store.state.symbols.BTCUSDT).toMatchObject({ position: null, openOrders: {} });
  });

  it('a stop the market has already passed is done at market instead (what the stop would have done)', async () => {
    const kit = partsKit();
    const w = await openLong(kit);
    kit.sim.movePrice('BTCUSDT', 59_500, T0 + 60_000);
    let placed = true;
    await w.turn(async () => {
      placed = await w.positions.setStop(w.rt, dec('59600'), 'test');
    });
    expect(placed).toBe(false);
    expect(sentOrders(kit).at(-1)).toMatchObject({ purpose: 'exit', reason: 'stopLoss: price already beyond the stop 59600' });
    expect(kit.sim.position('BTCUSDT').side).toBeNull();
  });

  it('a stop for a position already closed on the exchange asks for reconciliation, without alarm', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    expect(await w.positions.setStop(w.rt, dec('59000'), 'test')).toBe(false);
    expect(w.resyncs.count).toBe(1);
    expect(kit.alerts).toEqual([]);
  });

  it('a refused breakeven move is a warning while the earlier stop stands, an alarm otherwise', async () => {
    const kit = partsKit();
    const w = await openLong(kit);
    // A stop "below" that is not on the tick: refused for another reason than the price.
    expect(await w.positions.setStop(w.rt, dec('59000.05'), 'breakeven', true)).toBe(false);
    expect(kit.logs.at(-1)).toMatchObject({ level: 'warn', message: 'BTCUSDT trading-stop refused (breakeven); the previous stop stays in force' });
    expect(await w.positions.setStop(w.rt, dec('59000.05'), 'reconcile')).toBe(false);
    expect(kit.alerts.at(-1)).toMatchObject({ level: 'critical', title: 'BTCUSDT stop not set' });
  });

  it('no take-profit is sent for a position the exchange has already closed (issue 15 item 2)', async () => {
    // The entry's stop fires before its ladder goes out: each target was refused with 110017.
    const kit = partsKit();
    const w = await wireParts(kit);
    const realStop = kit.port.setTradingStop.bind(kit.port);
    kit.port.setTradingStop = async (req) => {
      const p = kit.sim.position('BTCUSDT');
      if (p.side !== null) kit.sim.placeOrder({ symbol: 'BTCUSDT', side: 'sell', orderType: 'market', qty: p.size, reduceOnly: true });
      return realStop(req);
    };
    await w.turn(() => w.entries.enter(w.rt, longIntent(), T0));
    expect(sentOrders(kit).filter((o) => o.purpose === 'takeProfit')).toEqual([]);
    expect(kit.logs.filter((l) => /refused/.test(l.message))).toEqual([]);
    expect(kit.logs.some((l) => l.message === 'BTCUSDT take-profit ladder not placed: the position is already closed on the exchange')).toBe(true);
  });

  it('the ladder stops at the first target refused for a closed position; the rest is never sent', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    const realPlace = kit.port.placeOrder.bind(kit.port);
    let targets = 0;
    kit.port.placeOrder = async (req) => {
      if (req.reduceOnly && ++targets === 2) {
        const p = kit.sim.position('BTCUSDT');
        kit.sim.placeOrder({ symbol: 'BTCUSDT', side: 'sell', orderType: 'market', qty: p.size, reduceOnly: true });
      }
      return realPlace(req);
    };
    await w.turn(() => w.entries.enter(w.rt, longIntent(), T0));
    expect(sentOrders(kit).filter((o) => o.purpose === 'takeProfit').map((o) => o.orderLinkId.split('-')[2]), 'T1 placed, T2 refused, T3 and T4 never sent').toEqual(['T1', 'T2']);
    expect(Object.keys(kit.store.state.symbols.BTCUSDT?.openOrders ?? {}).filter((id) => /-T[34]-/.test(id)), 'no record left of what was not sent').toEqual([]);
    expect(kit.logs.filter((l) => /refused/.test(l.message))).toEqual([]);
  });

  it('the fallback stop is fallbackStopPct from the entry, rounded away from the price', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    expect(w.positions.fallbackStop(w.rt, 'long', dec('60000.05')).toFixed()).toBe('58800');
    expect(w.positions.fallbackStop(w.rt, 'short', dec('60000.05')).toFixed()).toBe('61200.1');
  });

  it('a time exit is due once the position has been held timeExitCandles candles from its decision', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    w.rt.settings = { ...w.rt.settings, exits: { ...w.rt.settings.exits!, timeExitCandles: 3 } };
    expect(w.positions.timeExitDue(w.rt, T0), 'no position').toBe(false);
    kit.store.update((d) => {
      d.symbols.BTCUSDT!.position = { side: 'long', size: '0.01', entryPrice: '60000', openedMs: T0 + 1_234, entryOrderLinkId: null, stop: null, targets: [] };
    });
    expect(w.positions.timeExitDue(w.rt, T0 + 60_000)).toBe(false);
    expect(w.positions.timeExitDue(w.rt, T0 + 120_000), 'three closes after the decision candle').toBe(true);
  });

  it("the maker's inventory gets its protective stop on the exchange", async () => {
    const kit = partsKit({ symbol: { symbol: 'BTCUSDT', strategy: 'maker', enabled: true, intervalMinutes: 1, leverage: 5, protectiveStopPct: 2 } });
    const w = await wireParts(kit);
    await w.turn(() => {
      kit.sim.placeOrder({ symbol: 'BTCUSDT', side: 'sell', orderType: 'market', qty: dec('0.002'), orderLinkId: makeQuoteId() });
    });
    // The fill opened a short with no entry record; 2 % above its entry, rounded up.
    expect(kit.store.state.symbols.BTCUSDT?.position).toMatchObject({ side: 'short', size: '0.002' });
    expect(kit.sim.position('BTCUSDT').stopLoss?.toFixed()).toBe(dec(kit.store.state.symbols.BTCUSDT!.position!.entryPrice).mul(1.02).toDecimalPlaces(1, 2).toFixed());
  });
});

function makeQuoteId(): string {
  return `ps-BTCUSDT-QS0-${T0.toString(36)}`;
}
