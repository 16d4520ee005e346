import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { FillRecord } from '../../src/domain/journalRecord.js';
import { ExecutionHandler } from '../../src/engine/executionHandler.js';
import { LedgerWriter } from '../../src/engine/ledgerWriter.js';
import { makeOrderLinkId } from '../../src/engine/orderLinkId.js';
import { OrderSender } from '../../src/engine/orderSender.js';
import { PositionManager } from '../../src/engine/positionManager.js';
import { Reconciler, type SymbolTurn } from '../../src/engine/reconciler.js';
import { RiskGate } from '../../src/engine/riskGate.js';
import type { SymbolRuntime } from '../../src/engine/symbolRuntime.js';
import { kitRuntime, partsKit, T0, type PartsKit } from './partsKit.js';

const now: SymbolTurn = (_rt, task) => task();

function reconcilerOf(kit: PartsKit): { reconciler: Reconciler; rt: SymbolRuntime } {
  const ledger = new LedgerWriter(kit.journal, kit.logger);
  const orders = new OrderSender(kit.ctx, ledger, () => {});
  const positions = new PositionManager(kit.ctx, orders, () => {});
  const events = new ExecutionHandler(kit.ctx, ledger, new RiskGate(kit.ctx), positions);
  return { reconciler: new Reconciler(kit.ctx, ledger, events, positions, orders), rt: kitRuntime(kit) };
}

/** A long of 0.01 BTC opened on the exchange behind the bot's back (by hand, or before a crash). */
function openLongByHand(kit: PartsKit): void {
  const r = kit.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01'), orderLinkId: 'manual-1' });
  expect(r.ok).toBe(true);
  expect(kit.sim.position('BTCUSDT').side, "the simulator speaks Bybit's Buy side").toBe('buy');
}

describe('Reconciler', () => {
  it('finds nothing to say when the bot and the exchange agree', async () => {
    const kit = partsKit();
    const { reconciler, rt } = reconcilerOf(kit);
    expect(await reconciler.reconcile('periodic', [rt], now)).toEqual([]);
    expect(kit.alerts).toEqual([]);
  });

  it('records the fills that opened a position while it was not listening, and gives the position a stop at once', async () => {
    const kit = partsKit();
    openLongByHand(kit);
    const { reconciler, rt } = reconcilerOf(kit);
    const entry = kit.sim.position('BTCUSDT').entryPrice;
    const diffs = await reconciler.reconcile('start', [rt], now);
    // fallbackStopPct is 2 (tests/engine/harness.ts): 2 % under the entry, rounded down to the 0.1 tick.
    const stop = entry.mul(0.98).toDecimalPlaces(1, 3);
    expect(diffs, 'the recovered fill made the position known; only the missing stop is a difference').toEqual([`BTCUSDT: the position had no stop on the exchange; placed one at ${stop.toFixed()}`]);
    expect(kit.sim.position('BTCUSDT').stopLoss?.toFixed(), 'the stop is on the exchange').toBe(stop.toFixed());
    expect(kit.store.state.symbols.BTCUSDT?.position).toMatchObject({ side: 'long', size: '0.01', stop: { price: stop.toFixed() } });
    expect(kit.alerts.map((a) => a.title)).toEqual(['BTCUSDT had no stop', 'Reconciled 1 difference(s)']);
    // The fill that opened it was recorded while nobody listened: journaled once, however often reconciled.
    await reconciler.reconcile('periodic', [rt], now);
    const fills = kit.journal.records.filter((r): r is FillRecord => r.type === 'fill');
    expect(fills.map((f) => f.orderLinkId)).toEqual(['manual-1']);
  });

  it('adopts a position whose fills are too old to recover, and seeds its accounting', async () => {
    const kit = partsKit();
    openLongByHand(kit);
    kit.clock += 8 * 86_400_000; // fills are looked for over the last 7 days only
    const { reconciler, rt } = reconcilerOf(kit);
    const diffs = await reconciler.reconcile('start', [rt], now);
    expect(diffs[0]).toBe('BTCUSDT: adopted a long position of 0.01 the bot had no record of');
    expect(diffs).toHaveLength(2);
    expect(rt.roundTrip.side, 'its exit will still be accounted').toBe('long');
    expect(kit.store.state.symbols.BTCUSDT?.position?.openedMs).toBe(kit.clock);
  });

  it("cancels the bot's quotes left from before a restart, and adopts its other orders", async () => {
    const kit = partsKit();
    const quote = makeOrderLinkId('ps', 'BTCUSDT', { kind: 'quote', side: 'buy', level: 0 }, T0 - 60_000);
    expect(kit.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec('0.001'), price: dec('59000'), timeInForce: 'PostOnly', orderLinkId: quote }).ok).toBe(true);
    expect(kit.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec('0.001'), price: dec('58000'), orderLinkId: 'someone-else' }).ok).toBe(true);
    const { reconciler, rt } = reconcilerOf(kit);
    expect(await reconciler.reconcile('start', [rt], now)).toEqual([`BTCUSDT: cancelled a quote left from before the restart (${quote})`]);
    expect(kit.sim.openOrders('BTCUSDT').map((o) => o.orderLinkId), "another's order is never touched").toEqual(['someone-else']);

    const later = makeOrderLinkId('ps', 'BTCUSDT', { kind: 'quote', side: 'buy', level: 1 }, T0);
    expect(kit.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec('0.001'), price: dec('59500'), timeInForce: 'PostOnly', orderLinkId: later }).ok).toBe(true);
    expect(await reconciler.reconcile('periodic', [rt], now), 'outside a restart a quote is adopted').toEqual([`BTCUSDT: adopted open order ${later}`]);
  });

  it('drops a stored order the exchange does not know (it never got there) only after three reconciliations miss it', async () => {
    const kit = partsKit();
    const linkId = makeOrderLinkId('ps', 'BTCUSDT', { kind: 'exit', code: 'S' }, T0);
    kit.store.update((d) => {
      d.symbols.BTCUSDT!.openOrders[linkId] = { orderLinkId: linkId, orderId: null, side: 'sell', type: 'market', purpose: 'exit', status: 'pending', price: null, qty: '0.01', filledQty: '0', reduceOnly: true, createdMs: T0 };
    });
    const { reconciler, rt } = reconcilerOf(kit);
    // One look-up per reconciliation: a single miss (an order Bybit shows a moment late) drops nothing.
    expect(await reconciler.reconcile('periodic', [rt], now)).toEqual([]);
    expect(kit.store.state.symbols.BTCUSDT?.openOrders[linkId], 'kept after one miss').toBeDefined();
    expect(await reconciler.reconcile('periodic', [rt], now)).toEqual([]);
    expect(await reconciler.reconcile('periodic', [rt], now)).toEqual([`BTCUSDT: dropped ${linkId}, which never reached the exchange`]);
    expect(kit.store.state.symbols.BTCUSDT?.openOrders).toEqual({});
    expect(kit.tracker.get(linkId)?.status).toBe('lost');
  });

  it('forgets a local position the exchange has closed, once two reconciliations in a row say so', async () => {
    const kit = partsKit();
    kit.store.update((d) => {
      d.symbols.BTCUSDT!.position = { side: 'short', size: '0.02', entryPrice: '61000', openedMs: T0 - 600_000, entryOrderLinkId: null, stop: null, targets: [] };
    });
    const { reconciler, rt } = reconcilerOf(kit);
    // One flat answer may be stale: the position is kept.
    expect(await reconciler.reconcile('periodic', [rt], now)).toEqual([]);
    expect(kit.store.state.symbols.BTCUSDT?.position).not.toBeNull();
    expect(await reconciler.reconcile('periodic', [rt], now)).toEqual(['BTCUSDT: the short position is closed on the exchange']);
    expect(kit.store.state.symbols.BTCUSDT?.position).toBeNull();
  });

  it('after a restart, the journal seeds de-duplication and the open round trip', async () => {
    const kit = partsKit();
    openLongByHand(kit);
    const first = reconcilerOf(kit);
    await first.reconciler.reconcile('start', [first.rt], now);
    const journaled = kit.journal.records.length;

    // A new process: same exchange, store and journal, nothing in memory.
    const { reconciler, rt } = reconcilerOf(partsKit({ restartOf: kit }));
    await reconciler.restoreFromJournal(new Map([['BTCUSDT', rt]]));
    expect(rt.roundTrip.side).toBe('long');
    expect(rt.lastFillTs).toBe(kit.sim.executions('BTCUSDT')[0]!.execTime);
    expect(await reconciler.reconcile('start', [rt], now)).toEqual([]);
    expect(kit.journal.records.length, 'no fill journaled twice').toBe(journaled);
  });
});
