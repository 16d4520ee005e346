/**
 * The kill switch's close-out keeps trying while the lock holds (against the sandbox through the
 * real adapter): an exit Bybit refuses is said at once, critically, and sent again at the next
 * candle until the position is closed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BTC_1M } from './harness.js';
import { startSandboxStory, type SandboxStory } from './sandboxHarness.js';

let story: SandboxStory | null = null;
afterEach(async () => {
  await story?.close();
  story = null;
});

describe('kill switch close-out', () => {
  it('a refused kill-switch exit raises a critical alert and is sent again at the next candle until the position is flat', async () => {
    story = await startSandboxStory({ candles: BTC_1M.slice(0, 600), history: 100 });
    const sim = story.sandbox.sim;
    for (let i = 0; i < 300 && sim.position('BTCUSDT').side === null; i++) await story.step(1);
    expect(sim.position('BTCUSDT').side, 'a position opened').not.toBeNull();
    const real = sim.placeOrder.bind(sim);
    // Bybit refuses the first closing market order (as it does under a rate or risk limit).
    let refusals = 1;
    sim.placeOrder = (input) => (input.reduceOnly && input.orderType === 'market' && refusals-- > 0 ? { ok: false, code: 10001, msg: 'params error: the order was refused' } : real(input));
    await story.engine.killSwitch('owner test');
    await story.settle();
    expect(sim.position('BTCUSDT').side, 'the first exit was refused').not.toBeNull();
    const critical = story.alerts.filter((a) => a.level === 'critical' && /BTCUSDT not closed/.test(a.title));
    expect(critical, 'said at once, critically').toHaveLength(1);
    expect(critical[0]!.body).toMatch(/Bybit refused it \(params error: the order was refused\).*sent again/);
    await story.step(1);
    expect(sim.position('BTCUSDT').side, 'closed at the next candle').toBeNull();
    expect(story.store.state.symbols.BTCUSDT!.position).toBeNull();
    // Flat: nothing more is sent while the lock holds.
    const orders = story.journal.records.filter((r) => r.type === 'order').length;
    await story.step(5);
    expect(story.journal.records.filter((r) => r.type === 'order').length).toBe(orders);
    expect(story.store.state.protections.killSwitch).not.toBeNull();
  }, 120_000);

  it('an exit Bybit refuses because the position is already flat (110017) is not sent again at every candle', async () => {
    story = await startSandboxStory({ candles: BTC_1M.slice(0, 600), history: 100 });
    const sim = story.sandbox.sim;
    for (let i = 0; i < 300 && sim.position('BTCUSDT').side === null; i++) await story.step(1);
    expect(sim.position('BTCUSDT').side, 'a position opened').not.toBeNull();
    const real = sim.placeOrder.bind(sim);
    // The position closed on the exchange while its fills have not reached the bot: every closing
    // order is refused as Bybit refuses a reduce-only order on a flat position.
    sim.placeOrder = (input) => (input.reduceOnly && input.orderType === 'market' ? { ok: false, code: 110017, msg: 'Reduce-only rule not satisfied' } : real(input));
    await story.engine.killSwitch('owner test');
    await story.settle();
    const exits = () => story!.journal.records.filter((r) => r.type === 'order' && r.purpose === 'exit').length;
    expect(exits(), 'the kill switch sent its exit').toBe(1);
    await story.step(20);
    expect(exits(), 'not repeated while the reconciliation it asked for books the closing fills').toBe(1);
  }, 120_000);
});
