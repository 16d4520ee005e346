/**
 * Issue 20 items 2, 9 and 10: the engine against the sandbox through the real adapter (ccxt REST, ws
 * streams), the sandbox answering as Bybit does: every order of the account is listed and pushed
 * (manual ones and a position's own TP/SL, whose orderLinkId is empty), funding is charged at the
 * funding time, and order history forgets cancelled orders without fills after 24 hours.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ExitRecord, FillRecord } from '../../src/domain/journalRecord.js';
import { dec } from '../../src/domain/money.js';
import { FUNDING_INTERVAL_MINUTES, lastFundingTimeMs } from '../../src/sim/simFunding.js';
import { BTC_1M } from './harness.js';
import { startSandboxStory, type SandboxStory } from './sandboxHarness.js';

let story: SandboxStory | null = null;
afterEach(async () => {
  await story?.close();
  story = null;
});

const records = <T extends { type: string }>(s: SandboxStory, type: T['type']) => s.journal.records.filter((r) => r.type === type) as unknown as T[];

async function until(what: string, ok: () => boolean, s: SandboxStory, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
    await s.settle();
  }
}

describe('only the bot’s own orders (issue 20 item 2)', () => {
  it('close-all cancels ps- orders and closes the position, but leaves a manual order and the position’s own TP/SL alone; status lists them', async () => {
    story = await startSandboxStory({ candles: BTC_1M.slice(0, 600), history: 100 });
    const sim = story.sandbox.sim;
    for (let i = 0; i < 300 && sim.position('BTCUSDT').side === null; i++) await story.step(1);
    expect(sim.position('BTCUSDT').side, 'a position opened').not.toBeNull();
    expect(sim.position('BTCUSDT').stopLoss, 'its exchange stop').not.toBeNull();
    // The owner places an order by hand (another program's would look the same).
    const manual = sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec('0.001'), price: dec('20000'), orderLinkId: 'manual-1' });
    expect(manual.ok).toBe(true);
    await story.step(1);
    const others = [...(story.store.state.symbols.BTCUSDT?.otherOrders ?? [])];
    const ownOnly = story.engine.tracker.open('BTCUSDT').every((o) => o.orderLinkId.startsWith('ps-'));

    await story.engine.closeAll('test');
    await story.step(1);
    expect(sim.position('BTCUSDT').side, 'flat after close-all').toBeNull();
    expect(sim.openOrders('BTCUSDT').filter((o) => o.orderLinkId.startsWith('ps-'))).toEqual([]);
    expect(sim.order({ symbol: 'BTCUSDT', orderLinkId: 'manual-1' })?.status, 'the manual order is never cancelled').toBe('New');
    expect(others.map((o) => o.orderLinkId || o.conditional).sort(), 'kept apart, for status').toEqual(expect.arrayContaining(['manual-1', 'stopLoss']));
    expect(ownOnly, 'the tracker holds only ps- orders').toBe(true);
    expect(records<ExitRecord>(story, 'exit').at(-1)?.reason).toBe('closeAll');
    // Gone with the position: its TP/SL orders are Deactivated and leave the list; the manual one stays.
    expect((story.store.state.symbols.BTCUSDT?.otherOrders ?? []).map((o) => o.orderLinkId)).toEqual(['manual-1']);
  }, 120_000);
});

describe('funding (issue 20 item 9)', () => {
  it('funding at the funding time joins the open trade: journaled, taken off its PnL and the day’s realised PnL', async () => {
    // The sandbox's clock (and its NTP responder) 15 s before a funding time.
    const next = lastFundingTimeMs(Date.now()) + FUNDING_INTERVAL_MINUTES * 60_000;
    story = await startSandboxStory({
      candles: BTC_1M.slice(0, 400),
      history: 100,
      clockOffsetMs: next - Date.now() - 15_000,
      // A long from before the restart: the bot adopts it and accounts for it.
      beforeStart: (sb) => {
        expect(sb.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01'), stopLoss: dec('10000') }).ok).toBe(true);
        sb.step(1);
      },
    });
    const sim = story.sandbox.sim;
    expect(sim.position('BTCUSDT').side).toBe('buy');
    await until('the funding execution', () => records<FillRecord>(story!, 'fill').some((f) => f.source === 'funding'), story);
    const funding = records<FillRecord>(story, 'fill').filter((f) => f.source === 'funding');
    expect(funding).toHaveLength(1);
    const exchange = sim.executions('BTCUSDT').find((e) => e.execType === 'Funding')!;
    expect(funding[0]).toMatchObject({ ts: next, execId: exchange.execId, side: 'buy', qty: '0.01', fee: exchange.execFee.toFixed() });
    expect(dec(funding[0]!.fee).gt(0), 'a long pays the positive rate the ticker shows').toBe(true);
    expect(sim.position('BTCUSDT').size.toFixed(), 'funding moves no position').toBe('0.01');

    await story.engine.closeAll('test');
    await story.step(1);
    const exit = records<ExitRecord>(story, 'exit').at(-1)!;
    expect(exit.funding, 'the trade carries its funding').toBe(funding[0]!.fee);
    const trades = records<FillRecord>(story, 'fill').filter((f) => f.source === undefined);
    const gross = dec(exit.exitPrice).minus(exit.entryPrice).mul(exit.qty);
    expect(dec(exit.pnl).toFixed(8), 'PnL net of fees and funding').toBe(gross.minus(exit.fees).minus(exit.funding!).toFixed(8));
    expect(trades.length).toBeGreaterThan(0);
    expect(dec(story.store.state.daily!.realisedPnl).toFixed(8), 'the daily loss counts it').toBe(dec(exit.pnl).toFixed(8));
  }, 120_000);
});

describe('order look-ups after a long downtime (issue 20 item 10)', () => {
  it('an acknowledged order Bybit has forgotten is reported as cancelled while away, not as never sent', async () => {
    story = await startSandboxStory({
      candles: BTC_1M.slice(0, 400),
      history: 100,
      beforeStart: (sb, store) => {
        const now = sb.nowMs();
        // The bot's target order, acknowledged, then cancelled (by hand) while the bot was down.
        const placed = sb.sim.placeOrder({ symbol: 'BTCUSDT', side: 'sell', orderType: 'limit', qty: dec('0.001'), price: dec('900000'), orderLinkId: 'ps-BTCUSDT-T1-old1' });
        if (!placed.ok) throw new Error(placed.msg);
        sb.sim.cancelOrder({ symbol: 'BTCUSDT', orderLinkId: 'ps-BTCUSDT-T1-old1' });
        // 500 orders closed since (the maker, other programs): realtime no longer remembers it.
        for (let i = 0; i < 500; i++) {
          sb.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec('0.001'), price: dec('20000'), orderLinkId: `other-${i}` });
          sb.sim.cancelOrder({ symbol: 'BTCUSDT', orderLinkId: `other-${i}` });
        }
        const stored = (orderLinkId: string, orderId: string | null, createdMs: number) => ({ orderLinkId, orderId, side: 'sell' as const, type: 'limit' as const, purpose: 'takeProfit' as const, status: orderId === null ? ('pending' as const) : ('new' as const), price: '900000', qty: '0.001', filledQty: '0', reduceOnly: true, createdMs });
        store.update((d) => {
          d.symbols.BTCUSDT = {
            position: null,
            cooldownUntilMs: null,
            openOrders: {
              'ps-BTCUSDT-T1-old1': stored('ps-BTCUSDT-T1-old1', placed.value.orderId, now),
              // Written just before a crash, never sent.
              'ps-BTCUSDT-T2-new1': stored('ps-BTCUSDT-T2-new1', null, now + 25 * 3_600_000),
            },
          };
        });
        // The bot comes back 25 hours later.
        sb.setClockOffsetMs(25 * 3_600_000);
      },
    });
    const body = story.alerts.filter((a) => a.kind === 'reconcile').map((a) => a.body).join('\n');
    expect(body).toMatch(/ps-BTCUSDT-T1-old1 is no longer on the exchange: it was cancelled without fills while the bot was away \(Bybit keeps such orders 24 hours only\)/);
    expect(body).not.toMatch(/T1-old1.*never reached/);
    expect(body).toMatch(/dropped ps-BTCUSDT-T2-new1, which never reached the exchange/);
    expect(story.store.state.symbols.BTCUSDT?.openOrders ?? {}).toEqual({});
  }, 120_000);
});
