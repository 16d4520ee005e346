import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { OrderSentRecord } from '../../src/domain/journalRecord.js';
import { longIntent, partsKit, T0, wireParts } from './partsKit.js';

describe('EntryPlacer', () => {
  it('records the plan durably before the entry leaves, sends it with its stop attached, and the fill gets its ladder', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    const storedWhenSent: unknown[] = [];
    const place = kit.port.placeOrder.bind(kit.port);
    kit.port.placeOrder = async (r) => {
      storedWhenSent.push(kit.store.state.symbols.BTCUSDT?.openOrders[r.orderLinkId]?.purpose);
      return place(r);
    };
    await w.turn(() => w.entries.enter(w.rt, longIntent(), T0));

    expect(storedWhenSent[0], 'the entry was in the store when it was sent').toBe('entry');
    const sim = kit.sim.position('BTCUSDT');
    // 1 % of 1000 USDT at risk over a 600 USDT stop distance plus fees, rounded down to the 0.001 step.
    expect(sim.size.toFixed()).toBe('0.015');
    expect(sim.stopLoss?.toFixed(), 'the stop went out with the entry').toBe('59400');
    const orders = kit.journal.records.filter((r): r is OrderSentRecord => r.type === 'order');
    expect(orders.map((o) => o.purpose)).toEqual(['entry', 'takeProfit', 'takeProfit', 'takeProfit', 'takeProfit']);
    expect(kit.store.state.symbols.BTCUSDT?.position).toMatchObject({ side: 'long', size: '0.015', stop: { price: '59400' } });
    expect(w.rt.entryDeadlineMs, 'the fill ended the wait').toBeNull();
  });

  it('says why a signal is not traded, and sends nothing', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    w.risk.pause('owner');
    await w.turn(() => w.entries.enter(w.rt, longIntent(), T0));
    w.risk.resume();
    kit.store.update((d) => {
      d.symbols.BTCUSDT!.position = { side: 'short', size: '0.01', entryPrice: '61000', openedMs: T0, entryOrderLinkId: null, stop: null, targets: [] };
    });
    await w.turn(() => w.entries.enter(w.rt, longIntent(), T0));
    kit.store.update((d) => {
      d.symbols.BTCUSDT!.position = null;
      d.symbols.ETHUSDT = { position: { side: 'long', size: '1', entryPrice: '3000', openedMs: T0, entryOrderLinkId: null, stop: null, targets: [] }, openOrders: {}, cooldownUntilMs: null };
    });
    kit.settings = { ...kit.settings, risk: { ...kit.settings.risk, maxOpenPositions: 1 } };
    await w.turn(() => w.entries.enter(w.rt, longIntent(), T0));
    expect(kit.logs.filter((l) => l.level === 'debug').map((l) => l.message), 'refused signals go to the debug log (the terminal shows trades and locks)').toEqual([
      'BTCUSDT long signal not traded: paused: owner',
      'BTCUSDT long signal not traded: a position or entry is already open',
      'BTCUSDT long signal not traded: already 1 open position(s), the maximum',
    ]);
    expect(kit.journal.records).toEqual([]);
  });

  it('an entry still open at its deadline has its rest cancelled, and the plan is forgotten', async () => {
    const kit = partsKit();
    kit.sim.setMarketFill('nextPrice'); // the market entry waits for the next price
    const w = await wireParts(kit);
    await w.turn(() => w.entries.enter(w.rt, longIntent(), T0));
    expect(w.rt.entryDeadlineMs, 'entryTimeoutSec 30 (tests/engine/harness.ts)').toBe(T0 + 30_000);
    await w.turn(() => w.entries.expire(w.rt, T0 + 29_999));
    expect(kit.sim.openOrders('BTCUSDT')).toHaveLength(1);
    await w.turn(() => w.entries.expire(w.rt, T0 + 30_000));
    expect(kit.sim.openOrders('BTCUSDT')).toEqual([]);
    expect(kit.store.state.symbols.BTCUSDT?.position).toBeNull();
    expect(kit.sim.position('BTCUSDT').size.eq(dec(0))).toBe(true);
  });
});

describe('EntryPlacer and the half-open circuit breaker', () => {
  it('a signal refused by the entry checks after the wait does not use up the one trial: the next signal is sent and closes the breaker', async () => {
    const { EntryPlacer } = await import('../../src/engine/entryPlacer.js');
    const { LedgerWriter } = await import('../../src/engine/ledgerWriter.js');
    const { OrderSender } = await import('../../src/engine/orderSender.js');
    const { RiskGate } = await import('../../src/engine/riskGate.js');
    const { kitRuntime } = await import('./partsKit.js');
    const kit = partsKit({ settings: { risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 50, cooldownMinutes: 1 }, maxOpenPositions: 2, dayTimeZone: 'UTC', circuitBreaker: { failures: 2, cooldownSeconds: 300 } } } });
    const risk = new RiskGate(kit.ctx);
    const orders = new OrderSender(kit.ctx, new LedgerWriter(kit.journal, kit.logger), () => {}, (ok, e) => risk.orderOutcome(ok, e), () => risk.openingSent(kit.ctx.now()));
    const entries = new EntryPlacer(kit.ctx, risk, orders);
    const rt = kitRuntime(kit);
    risk.orderOutcome(false, '10016 Server error');
    risk.orderOutcome(false, '10016 Server error');
    expect(kit.store.state.protections.circuitBreaker, 'open').not.toBeNull();
    kit.clock += 301_000;
    // The first signal after the wait: the price already passed its stop, so it is not sent.
    rt.lastPrice = 59_300;
    await entries.enter(rt, longIntent({ decidedAtMs: kit.clock }), kit.clock);
    expect(kit.journal.records.filter((r) => r.type === 'order'), 'nothing sent').toEqual([]);
    // The next signal a candle later is the one request let through.
    kit.clock += 60_000;
    rt.lastPrice = 60_000;
    await entries.enter(rt, longIntent({ decidedAtMs: kit.clock }), kit.clock);
    const sent = kit.journal.records.filter((r): r is OrderSentRecord => r.type === 'order');
    expect(sent.map((o) => o.purpose), 'the trial entry went out').toEqual(['entry']);
    expect(kit.store.state.protections.circuitBreaker ?? null, 'closed by the request that went through').toBeNull();
  });
});
