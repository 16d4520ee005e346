import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { Fill } from '../../src/domain/types.js';
import { exitReason, LedgerWriter } from '../../src/engine/ledgerWriter.js';
import { MemoryJournal } from '../../src/engine/memoryPorts.js';
import { makeOrderLinkId } from '../../src/engine/orderLinkId.js';
import { RoundTrip } from '../../src/engine/roundTrip.js';
import { recordingLogger, T0, type LogLine } from './partsKit.js';

function fill(over: Partial<Fill> = {}): Fill {
  return { execId: 'e1', orderId: 'o1', orderLinkId: 'ps-BTCUSDT-EL-1', symbol: 'BTCUSDT', side: 'buy', price: dec('60000'), qty: dec('0.01'), fee: dec('0.33'), isMaker: false, ts: T0, ...over };
}

describe('LedgerWriter', () => {
  it('journals orders, fills and completed trades as plain records, money as decimal strings', async () => {
    const journal = new MemoryJournal();
    const ledger = new LedgerWriter(journal, recordingLogger([]));
    ledger.order({ symbol: 'BTCUSDT', side: 'buy', type: 'market', qty: dec('0.010'), price: null, timeInForce: 'IOC', reduceOnly: false, orderLinkId: 'ps-BTCUSDT-EL-1', stopLoss: dec('59000'), takeProfit: null }, 'entry', 'long at pivot', T0);
    const trip = new RoundTrip('BTCUSDT');
    trip.apply(fill());
    const [closed] = trip.apply(fill({ execId: 'e2', orderLinkId: 'ps-BTCUSDT-T1-1', side: 'sell', price: dec('60300.123456789'), fee: dec('0.12'), ts: T0 + 60_000 }));
    ledger.fill(fill());
    ledger.exit('BTCUSDT', closed!, 'takeProfit');
    expect(ledger.inFlight.size).toBe(3);
    await Promise.all(ledger.inFlight);
    expect(ledger.inFlight.size, 'settled writes are forgotten').toBe(0);
    expect(journal.records).toEqual([
      { type: 'order', ts: T0, symbol: 'BTCUSDT', orderLinkId: 'ps-BTCUSDT-EL-1', side: 'buy', orderType: 'market', purpose: 'entry', qty: '0.01', price: null, reduceOnly: false, reason: 'long at pivot' },
      { type: 'fill', ts: T0, symbol: 'BTCUSDT', execId: 'e1', orderLinkId: 'ps-BTCUSDT-EL-1', orderId: 'o1', side: 'buy', price: '60000', qty: '0.01', fee: '0.33', isMaker: false },
      // PnL net of both fees (DESIGN section 4), prices rounded to 1e-8.
      { type: 'exit', ts: T0 + 60_000, symbol: 'BTCUSDT', side: 'long', entryTs: T0, entryPrice: '60000', exitPrice: '60300.12345679', qty: '0.01', fees: '0.45', pnl: '2.55123457', reason: 'takeProfit' },
    ]);
    expect(await ledger.readFills()).toHaveLength(1);
  });

  it('a failing journal is logged and never breaks trading', async () => {
    const logs: LogLine[] = [];
    const ledger = new LedgerWriter({ append: async () => Promise.reject(new Error('disk full')) }, recordingLogger(logs));
    ledger.fill(fill());
    await Promise.all(ledger.inFlight);
    expect(ledger.inFlight.size).toBe(0);
    expect(logs).toEqual([{ level: 'error', message: 'journal write failed', fields: { error: 'disk full', type: 'fill' } }]);
    expect(ledger.readFills(), 'a journal that cannot list its fills').toBeUndefined();
  });
});

describe('exitReason', () => {
  const id = (role: Parameters<typeof makeOrderLinkId>[2]): string => makeOrderLinkId('ps', 'BTCUSDT', role, T0);
  it("the exchange's trigger first, then the role of our order that closed the trade", () => {
    expect(exitReason(fill({ trigger: 'stopLoss', orderLinkId: '' }), 'ps', 'scalper')).toBe('stopLoss');
    expect(exitReason(fill({ orderLinkId: id({ kind: 'target', index: 2 }) }), 'ps', 'scalper')).toBe('takeProfit');
    expect(exitReason(fill({ orderLinkId: id({ kind: 'exit', code: 'T' }) }), 'ps', 'scalper')).toBe('timeExit');
    expect(exitReason(fill({ orderLinkId: id({ kind: 'exit', code: 'K' }) }), 'ps', 'scalper')).toBe('killSwitch');
    expect(exitReason(fill({ orderLinkId: id({ kind: 'exit', code: 'Z' }) }), 'ps', 'scalper'), 'an unknown exit code').toBe('exit');
    expect(exitReason(fill({ orderLinkId: id({ kind: 'quote', side: 'sell', level: 0 }) }), 'ps', 'maker')).toBe('quote');
    expect(exitReason(fill({ orderLinkId: 'by-hand' }), 'ps', 'scalper')).toBe('manual');
  });
});
