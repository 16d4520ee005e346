/**
 * The kill switch cancels a limit entry still waiting on the book (issue 24 item 5), against the
 * sandbox through the real adapter: nothing is left pending, on the exchange or in the state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseOrderLinkId } from '../../src/engine/orderLinkId.js';
import { BTC_1M, SCALPER_SETTINGS } from './harness.js';
import { startSandboxStory, type SandboxStory } from './sandboxHarness.js';

let story: SandboxStory | null = null;
afterEach(async () => {
  await story?.close();
  story = null;
});

const LIMIT = { ...SCALPER_SETTINGS, entry: { type: 'limit' as const, offsetPct: 0.02, timeoutCandles: 5 } };

describe('kill switch and a waiting limit entry', () => {
  it('cancels it on the exchange and forgets it', async () => {
    story = await startSandboxStory({ candles: BTC_1M.slice(0, 800), history: 100, symbol: LIMIT });
    const sim = story.sandbox.sim;
    const waiting = () => sim.openOrders('BTCUSDT').find((o) => parseOrderLinkId('ps', o.orderLinkId)?.role.kind === 'entry');
    for (let i = 0; i < 500 && waiting() === undefined; i++) await story.step(1);
    const entry = waiting();
    expect(entry, 'a limit entry waits on the book').toBeDefined();
    expect(entry!.orderType).toBe('limit');
    expect(entry!.timeInForce).toBe('PostOnly');
    expect(story.store.state.symbols.BTCUSDT!.position?.size, 'pending, nothing filled').toBe('0');

    await story.engine.killSwitch('owner test');
    await story.settle();
    expect(sim.order({ symbol: 'BTCUSDT', orderLinkId: entry!.orderLinkId })!.status).toBe('Cancelled');
    expect(sim.position('BTCUSDT').side).toBeNull();
    expect(story.store.state.symbols.BTCUSDT!.position, 'nothing left pending').toBeNull();
    // No new entry while the kill switch holds.
    await story.step(30);
    expect(sim.openOrders('BTCUSDT').filter((o) => parseOrderLinkId('ps', o.orderLinkId)?.role.kind === 'entry')).toEqual([]);
  }, 120_000);
});

/** A sandbox story played until the scalper's limit entry waits on the book. */
async function storyWithWaitingLimit(): Promise<{ st: SandboxStory; sb: SandboxStory['sandbox']; entry: NonNullable<ReturnType<typeof waitingEntry>> }> {
  const st = (story = await startSandboxStory({ candles: BTC_1M.slice(0, 800), history: 100, symbol: LIMIT }));
  const sb = st.sandbox;
  for (let i = 0; i < 500 && waitingEntry(sb) === undefined; i++) await st.step(1);
  const entry = waitingEntry(sb);
  expect(entry, 'a limit entry waits on the book').toBeDefined();
  return { st, sb, entry: entry! };
}

function waitingEntry(sb: SandboxStory['sandbox']) {
  return sb.sim.openOrders('BTCUSDT').find((o) => parseOrderLinkId('ps', o.orderLinkId)?.role.kind === 'entry');
}

describe('kill switch and a waiting limit entry whose cancel fails', () => {
  it('cancels it again while the kill switch holds, without waiting for the next candle', async () => {
    const { st, sb, entry } = await storyWithWaitingLimit();
    // Every order call is answered 503 for 20 s from the kill switch's first cancel: the adapter's
    // retries give up, so the kill switch's cancels fail.
    sb.setFaults('http5xx=100%,during=orders,for=20s');
    const firedAt = Date.now();
    await st.engine.killSwitch('owner test');
    expect(sb.faultCounts().http5xx, 'the cancels were answered 503').toBeGreaterThan(0);
    // No candle is played: the cancel is sent again on its own once Bybit answers.
    const state = () => sb.sim.order({ symbol: 'BTCUSDT', orderLinkId: entry!.orderLinkId })!.status;
    while (state() !== 'Cancelled' && Date.now() - firedAt < 40_000) await new Promise((r) => setTimeout(r, 100));
    expect(state(), 'the limit entry is cancelled within a few seconds of the outage').toBe('Cancelled');
    expect(Date.now() - firedAt).toBeLessThan(30_000);
    await st.settle();
    expect(sb.sim.position('BTCUSDT').side).toBeNull();
    expect(st.store.state.symbols.BTCUSDT!.position, 'nothing left pending').toBeNull();
  }, 120_000);
});

describe('kill switch and a waiting limit entry that fills while its cancel fails', () => {
  it('closes the filled entry at once, without waiting for the next candle', async () => {
    const { st, sb, entry } = await storyWithWaitingLimit();
    sb.setFaults('http5xx=100%,during=orders,for=20s');
    const firedAt = Date.now();
    const killed = st.engine.killSwitch('owner test');
    while ((sb.faultCounts().http5xx ?? 0) === 0 && Date.now() - firedAt < 10_000) await new Promise((r) => setTimeout(r, 20));
    // The limit fills near the end of the outage, while its cancels are still failing (the kill
    // switch's own cancels have given up by then; its exit goes out once Bybit answers again).
    await new Promise((r) => setTimeout(r, 18_000));
    expect(sb.sim.forceFill({ symbol: 'BTCUSDT', orderLinkId: entry!.orderLinkId })?.status).toBe('Filled');
    expect(sb.sim.position('BTCUSDT').side).not.toBeNull();
    await killed;
    while (sb.sim.position('BTCUSDT').side !== null && Date.now() - firedAt < 50_000) await new Promise((r) => setTimeout(r, 100));
    expect(sb.sim.position('BTCUSDT').side, 'the fill is closed without waiting for a candle').toBeNull();
    expect(Date.now() - firedAt).toBeLessThan(40_000);
    await st.settle();
    expect(sb.sim.openOrders('BTCUSDT'), 'no take-profit ladder for it').toEqual([]);
  }, 120_000);
});
