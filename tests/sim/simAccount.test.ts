/**
 * The simulated account (src/sim/simAccount.ts) on a hand-worked example: Bybit linear default fees
 * (maker 0.02 %, taker 0.055 %, DESIGN section 5), leverage 10, 10 000 USDT to start.
 */
import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import { simParts, spec } from './simParts.js';

describe('SimAccount', () => {
  it('books fees, the average entry, realised PnL and a flip, execution by execution', () => {
    const { m, markets, account } = simParts(100_000);
    const p = m.pos;

    // Buy 0.01 at 100 000 as taker: value 1 000, fee 1 000 × 0.00055 = 0.55.
    const a = account.settle(p, 'buy', dec('0.01'), dec('100000'), false, 1);
    expect([a.value.toFixed(), a.fee.toFixed(), a.feeRate.toFixed()]).toEqual(['1000', '0.55', '0.00055']);
    expect([p.side, p.size.toFixed(), p.entryPrice.toFixed()]).toEqual(['buy', '0.01', '100000']);

    // Add 0.01 at 102 000 as maker: fee 1 020 × 0.0002 = 0.204; entry (1 000 + 1 020) / 0.02 = 101 000.
    const b = account.settle(p, 'buy', dec('0.01'), dec('102000'), true, 2);
    expect(b.fee.toFixed()).toBe('0.204');
    expect(p.entryPrice.toFixed()).toBe('101000');

    // Marked at 103 000: UPL (103 000 − 101 000) × 0.02 = 40; position IM 0.02 × 101 000 / 10 = 202.
    m.last = 103_000;
    const w = account.wallet(markets.values());
    expect(w.walletBalance.toFixed(), '10 000 − 0.55 − 0.204').toBe('9999.246');
    expect(w.unrealisedPnl.toFixed()).toBe('40');
    expect(w.equity.toFixed()).toBe('10039.246');
    expect(w.positionIM.toFixed()).toBe('202');
    expect(w.availableBalance.toFixed(), 'equity − position IM').toBe('9837.246');
    expect(account.equity(markets.values()).toFixed(), 'the same equity, cheaper').toBe('10039.246');

    // Sell 0.03 at 103 000 as taker: closes 0.02 with PnL 40, fee 3 090 × 0.00055 = 1.6995, and
    // opens a 0.01 short at 103 000 with the rest.
    const c = account.settle(p, 'sell', dec('0.03'), dec('103000'), false, 3);
    expect([c.closed.toFixed(), c.pnl.toFixed(), c.fee.toFixed()]).toEqual(['0.02', '40', '1.6995']);
    expect([p.side, p.size.toFixed(), p.entryPrice.toFixed(), p.createdMs]).toEqual(['sell', '0.01', '103000', 3]);
    expect(p.seq, 'one position sequence number per execution').toBe(3);

    const after = account.wallet(markets.values());
    expect(after.walletBalance.toFixed(), '9 999.246 + 40 − 1.6995').toBe('10037.5465');
    expect(after.realisedPnl.toFixed()).toBe('40');
    expect(after.feesPaid.toFixed(), '0.55 + 0.204 + 1.6995').toBe('2.4535');
    expect(after.walletBalance.sub('10000').toFixed(), 'balance moves by realised PnL − fees only').toBe(after.realisedPnl.sub(after.feesPaid).toFixed());
    expect(p.cumRealisedPnl.toFixed(), '−0.55 − 0.204 + 40 − 1.6995').toBe('37.5465');
  });

  it('rounds each fee half up to 1e-8 USDT, so that sums of fees are exact', () => {
    const { m, account } = simParts(100_000);
    // 0.001 × 100 000.1 = 100.0001; × 0.00055 = 0.055000055 → 0.05500006.
    const s = account.settle(m.pos, 'buy', dec('0.001'), dec('100000.1'), false, 1);
    expect(s.fee.toFixed()).toBe('0.05500006');
  });

  it('marks a short position: UPL is the entry minus the mark, times the size', () => {
    const { m, account } = simParts(100_000);
    account.settle(m.pos, 'sell', dec('0.01'), dec('100000'), false, 1);
    m.last = 99_000;
    const v = account.positionView(m);
    expect(v.unrealisedPnl.toFixed(), '(100 000 − 99 000) × 0.01').toBe('10');
    expect([v.markPrice.toFixed(), v.positionValue.toFixed(), v.positionIM.toFixed()]).toEqual(['99000', '1000', '100']);
  });

  it('asks margin plus the taker fee for what an order opens, nothing for what it only reduces', () => {
    const { m, markets, account } = simParts(100_000, { initialBalance: '100' });
    const ref = dec('100000');
    // 0.009: IM 900 / 10 = 90, fee 900 × 0.00055 = 0.495; 90.495 ≤ 100.
    expect(account.canOpen(m, 'buy', dec('0.009'), ref, markets.values())).toBe(true);
    // 0.01: IM 100 + fee 0.55 > 100.
    expect(account.canOpen(m, 'buy', dec('0.01'), ref, markets.values())).toBe(false);
    account.settle(m.pos, 'buy', dec('0.009'), ref, false, 1);
    // Available is now 100 − 0.495 − 90 = 9.505; selling 0.009 only closes the long, selling 0.01
    // opens a 0.001 short: IM 10 + fee 0.055 > 9.505.
    expect(account.canOpen(m, 'sell', dec('0.009'), ref, markets.values())).toBe(true);
    expect(account.canOpen(m, 'sell', dec('0.01'), ref, markets.values())).toBe(false);
  });

  it('holds margin for open orders: resting ones at their price, reduce-only ones not at all', () => {
    const { m, markets, account, orders } = simParts(100_000);
    orders.place(m, spec('buy', '0.01', '99000'));
    const w = account.wallet(markets.values());
    expect(w.orderIM.toFixed(), '0.01 × 99 000 / 10').toBe('99');
    expect(w.availableBalance.toFixed()).toBe('9901');
    account.settle(m.pos, 'buy', dec('0.01'), dec('100000'), false, 1);
    orders.place(m, spec('sell', '0.01', '101000', { reduceOnly: true }));
    expect(m.resting.length, 'both orders rest').toBe(2);
    expect(account.wallet(markets.values()).orderIM.toFixed(), 'the reduce-only sell adds nothing').toBe('99');
  });
});
