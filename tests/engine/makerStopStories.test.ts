/**
 * Issue 15's restart soak: market-maker inventory left without an exchange stop. Against the
 * sandbox through the real adapter; the inventory comes from fills on the exchange (the maker's
 * quotes are not needed for it, so the strategy here quotes nothing).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { EngineSymbolSettings } from '../../src/engine/ports.js';
import type { SimPosition } from '../../src/sim/simTypes.js';
import type { Strategy } from '../../src/strategies/strategy.js';
import { BTC_1M } from './harness.js';
import { startSandboxStory, type SandboxStory } from './sandboxHarness.js';

let story: SandboxStory | null = null;
afterEach(async () => {
  await story?.close();
  story = null;
});

const MAKER: EngineSymbolSettings = { symbol: 'BTCUSDT', strategy: 'maker', enabled: true, intervalMinutes: 1, leverage: 5, protectiveStopPct: 2, quoteTolerance: { pricePct: 0.02, maxAgeMs: 300_000 } };
const QUIET: Strategy = { name: 'maker', symbol: 'BTCUSDT', warmupCandles: 1, onCandle: () => null, onBook: () => null };

async function start(): Promise<SandboxStory> {
  return startSandboxStory({ candles: BTC_1M.slice(0, 200), history: 100, symbol: MAKER, strategy: QUIET });
}

/** Waits up to `ms` for the exchange's position to carry a stop (the sandbox shows none as 0); the position as it then is. */
async function stopWithin(s: SandboxStory, ms: number): Promise<SimPosition> {
  const until = Date.now() + ms;
  const bare = () => !(s.sandbox.sim.position('BTCUSDT').stopLoss?.gt(0) ?? false);
  while (bare() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return s.sandbox.sim.position('BTCUSDT');
}

const buy = (s: SandboxStory, qty: string) => expect(s.sandbox.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec(qty) }).ok).toBe(true);

describe('market-maker inventory always gets its exchange stop (sandbox, real adapter)', () => {
  it('inventory at the entry price of an earlier stop, after the exchange dropped that stop, gets a stop again', async () => {
    story = await start();
    const sim = story.sandbox.sim;
    buy(story, '0.01');
    const first = await stopWithin(story, 5_000);
    expect(first.stopLoss, 'the first inventory is protected').not.toBeNull();
    // The exchange drops the stop (as it does when the position goes flat between fills the bot
    // sees late); more inventory then fills at the same price, so the same entry and the same stop.
    expect(sim.setTradingStop({ symbol: 'BTCUSDT', stopLoss: dec(0) }).ok).toBe(true);
    buy(story, '0.01');
    const after = await stopWithin(story, 5_000);
    expect(after.size.toFixed()).toBe('0.02');
    expect(after.entryPrice.eq(first.entryPrice)).toBe(true);
    expect(after.stopLoss?.toFixed(), 'the inventory has its stop back within 5 s').toBe(first.stopLoss!.toFixed());
  }, 60_000);

  it('a stop refused for a zero position, because the position shows up a moment after its fill, is set once it does', async () => {
    story = await start();
    const sim = story.sandbox.sim;
    // Bybit can push the execution before the position exists for its trading-stop endpoint and
    // position list: for 1 s after this fill both say there is no position.
    let hidden = true;
    const setTradingStop = sim.setTradingStop.bind(sim);
    const positions = sim.positions.bind(sim);
    let refused = 0;
    sim.setTradingStop = (input) => {
      if (!hidden) return setTradingStop(input);
      refused++;
      return { ok: false, code: 10001, msg: 'can not set tp/sl/ts for zero position' };
    };
    sim.positions = () => (hidden ? positions().filter((p) => p.symbol !== 'BTCUSDT') : positions());
    buy(story, '0.01');
    setTimeout(() => (hidden = false), 1_000);
    const pos = await stopWithin(story, 6_000);
    expect(refused, 'the first stop was refused').toBeGreaterThan(0);
    expect(pos.side).toBe('buy');
    expect(pos.stopLoss?.gt(0), 'the inventory has its stop within a few seconds of the refusal').toBe(true);
    expect(refused, 'tried again a few times at most, not in a loop').toBeLessThanOrEqual(4);
  }, 60_000);
});
