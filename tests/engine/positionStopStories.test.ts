/**
 * A position that is not the market maker's, shown by the exchange without a stop while the bot
 * runs (opened by hand, or its stop removed), is protected from the position push within seconds,
 * not at the next periodic reconciliation (a minute). Against the sandbox through the real adapter;
 * the strategy here never trades, the positions come from the exchange.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dec, money } from '../../src/domain/money.js';
import type { EngineSymbolSettings } from '../../src/engine/ports.js';
import type { SimPosition } from '../../src/sim/simTypes.js';
import type { Strategy } from '../../src/strategies/strategy.js';
import { BTC_1M, SCALPER_SETTINGS } from './harness.js';
import { startSandboxStory, type SandboxStory } from './sandboxHarness.js';

let story: SandboxStory | null = null;
afterEach(async () => {
  await story?.close();
  story = null;
}, 120_000);

const SCALPER: EngineSymbolSettings = SCALPER_SETTINGS;
const QUIET: Strategy = { name: 'scalper', symbol: 'BTCUSDT', warmupCandles: 1, onCandle: () => null, onBook: () => null };

async function start(beforeStart?: Parameters<typeof startSandboxStory>[0]['beforeStart']): Promise<SandboxStory> {
  // No periodic reconciliation runs here (the run command's schedule does it): whatever protects the position, it is not that.
  return startSandboxStory({ candles: BTC_1M.slice(0, 200), history: 100, symbol: SCALPER, strategy: QUIET, ...(beforeStart ? { beforeStart } : {}) });
}

async function until(ms: number, done: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

const hasStop = (p: SimPosition) => p.stopLoss?.gt(0) ?? false;

describe('a position shown without a stop while the bot runs is protected within seconds (sandbox, real adapter)', () => {
  it('a position opened by hand gets a stop fallbackStopPct from its entry within 5 s, and the owner is told', async () => {
    story = await start();
    const sim = story.sandbox.sim;
    expect(sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01') }).ok).toBe(true);
    await until(5_000, () => hasStop(sim.position('BTCUSDT')));
    const pos = sim.position('BTCUSDT');
    expect(pos.stopLoss?.toFixed(), '2 % below the entry, on the tick, within 5 s').toBe(pos.entryPrice.mul(0.98).toDecimalPlaces(1, 3).toFixed());
    expect(story.alerts.some((a) => a.level === 'critical' && a.title === 'BTCUSDT had no stop' && a.body === `Placed a stop at ${pos.stopLoss!.toFixed()}.`)).toBe(true);
  }, 60_000);

  it("the scalper's position whose stop was removed on the exchange gets its planned stop back within 5 s", async () => {
    // The scalper trades: its entry carries its stop, which the exchange holds from the fill.
    story = await startSandboxStory({ candles: BTC_1M.slice(0, 500), history: 100 });
    const sim = story.sandbox.sim;
    for (let i = 0; i < 300 && !(sim.position('BTCUSDT').side !== null && hasStop(sim.position('BTCUSDT'))); i++) await story.step(1);
    const planned = story.store.state.symbols['BTCUSDT']?.position?.stop?.price;
    expect(planned, 'the scalper opened a position with its stop').toBeDefined();
    expect(sim.position('BTCUSDT').stopLoss?.toFixed()).toBe(planned);
    // Removed on the exchange (by hand, in the app); no candle is played meanwhile.
    expect(sim.setTradingStop({ symbol: 'BTCUSDT', stopLoss: null }).ok).toBe(true);
    expect(hasStop(sim.position('BTCUSDT'))).toBe(false);
    await until(5_000, () => hasStop(sim.position('BTCUSDT')));
    expect(sim.position('BTCUSDT').stopLoss?.toFixed(), 'the planned stop, within 5 s').toBe(planned);
    expect(story.alerts.some((a) => a.level === 'critical' && a.title === 'BTCUSDT had no stop')).toBe(true);
  }, 120_000);

  it('a position shown without a stop whose stop the market has already passed is closed at market within 5 s', async () => {
    story = await start((sb) => {
      expect(sb.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01') }).ok).toBe(true);
      const entry = sb.sim.position('BTCUSDT').entryPrice;
      expect(sb.sim.setTradingStop({ symbol: 'BTCUSDT', stopLoss: entry.mul(0.985).toDecimalPlaces(1) }).ok).toBe(true);
    });
    const sim = story.sandbox.sim;
    // The bot's stop for the long is above the market now (a breakeven move the price has come back
    // through); then the exchange shows the position without its stop.
    const above = sim.position('BTCUSDT').entryPrice.mul(1.01).toDecimalPlaces(1);
    story.store.update((d) => {
      d.symbols['BTCUSDT']!.position!.stop = { price: money(above), orderLinkId: null, orderId: null };
    });
    expect(sim.setTradingStop({ symbol: 'BTCUSDT', stopLoss: null }).ok).toBe(true);
    await until(5_000, () => sim.position('BTCUSDT').side === null);
    expect(sim.position('BTCUSDT').side, 'closed at market within 5 s, as the stop would have').toBeNull();
    const exit = story.sandbox.fills().at(-1)!;
    expect(exit.side).toBe('sell');
    expect(exit.orderLinkId, 'the exit of a stop the market passed').toMatch(/-XL-/);
  }, 60_000);
});
