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
}, 120_000); // a story whose order calls hang ends when they do

const MAKER: EngineSymbolSettings = { symbol: 'BTCUSDT', strategy: 'maker', enabled: true, intervalMinutes: 1, leverage: 5, protectiveStopPct: 2, quoteTolerance: { pricePct: 0.02, maxAgeMs: 300_000 } };
const QUIET: Strategy = { name: 'maker', symbol: 'BTCUSDT', warmupCandles: 1, onCandle: () => null, onBook: () => null };

async function start(strategy: Strategy = QUIET): Promise<SandboxStory> {
  return startSandboxStory({ candles: BTC_1M.slice(0, 200), history: 100, symbol: MAKER, strategy });
}

/** Waits up to `ms` for the exchange's position to carry a stop (the sandbox shows none as 0); the position as it then is. */
async function stopWithin(s: SandboxStory, ms: number): Promise<SimPosition> {
  const until = Date.now() + ms;
  const bare = () => !(s.sandbox.sim.position('BTCUSDT').stopLoss?.gt(0) ?? false);
  while (bare() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return s.sandbox.sim.position('BTCUSDT');
}

/** A maker that, once armed, asks at the next candle for one buy quote far below the market (it never fills). */
const quoting = { armed: false };
function quotingOnce(): Strategy {
  quoting.armed = false;
  return {
    ...QUIET,
    onCandle: (candle) => {
      if (!quoting.armed) return null;
      quoting.armed = false;
      return { kind: 'quote', symbol: 'BTCUSDT', decidedAtMs: candle.ts, quotes: [{ side: 'buy', price: Math.round(candle.close * 0.5), qty: 0.01, level: 0 }], reason: 'test quote' };
    },
  };
}

/**
 * The symbol's turn is taken by a quote order Bybit does not answer (the restart soak: a create
 * that times out, is retried and looked up, holds the symbol for 20-40 s): every order call hangs
 * for the next 6 s (each call waits 10 s for its answer), and the next candle makes the maker quote.
 */
async function quoteHangs(s: SandboxStory): Promise<void> {
  await s.step(1); // the first streamed candle warms the strategy up
  s.sandbox.setFaults('timeout=100%,during=orders,for=6s');
  quoting.armed = true;
  s.sandbox.advanceCandles(1);
  const until = Date.now() + 5_000;
  while ((s.sandbox.faultCounts().timeout ?? 0) === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(s.sandbox.faultCounts().timeout, 'the quote order is hanging at the exchange').toBeGreaterThan(0);
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

  it('inventory that fills while a quote order hangs at the exchange gets its stop within 5 s, not when the order call ends', async () => {
    story = await start(quotingOnce());
    await quoteHangs(story);
    buy(story, '0.01');
    const pos = await stopWithin(story, 5_000);
    expect(pos.side).toBe('buy');
    expect(pos.stopLoss?.gt(0), 'the inventory has its stop within 5 s although the symbol is busy with an order call').toBe(true);
    // 2 % below the exchange's entry price (protectiveStopPct), on the tick.
    expect(pos.stopLoss!.toFixed()).toBe(pos.entryPrice.mul(0.98).toDecimalPlaces(1, 3).toFixed());
  }, 60_000);

  it('inventory that filled while the private stream was down gets its stop within 5 s of the reconnect, with a quote order hanging', async () => {
    story = await start(quotingOnce());
    const sb = story.sandbox;
    await quoteHangs(story);
    // The private stream sends nothing (the fill's pushes are lost), then its connection drops and
    // the bot reconnects: the fill reaches it through the REST catch-up after the reconnect.
    sb.setFaults({ stall: 'private' });
    buy(story, '0.01');
    await new Promise((r) => setTimeout(r, 500));
    expect(sb.sim.position('BTCUSDT').stopLoss?.gt(0) ?? false, 'nothing reached the bot yet').toBe(false);
    const drops = sb.faultCounts()['ws-drop'] ?? 0;
    sb.setFaults({ stall: 'none', wsDropEveryMs: 100 });
    while ((sb.faultCounts()['ws-drop'] ?? 0) === drops) await new Promise((r) => setTimeout(r, 10));
    sb.setFaults({ wsDropEveryMs: null });
    const pos = await stopWithin(story, 5_000);
    expect(pos.side).toBe('buy');
    expect(pos.stopLoss?.gt(0), 'the inventory has its stop within 5 s of the reconnect').toBe(true);
  }, 60_000);

  it('inventory that filled while the private stream was down gets its stop within 5 s of the reconnect, while Bybit is slow to list executions', async () => {
    story = await start();
    const sb = story.sandbox;
    sb.setFaults({ stall: 'private' });
    buy(story, '0.01');
    await new Promise((r) => setTimeout(r, 500));
    // The catch-up after the reconnect reads the executions, open orders and positions; the
    // execution list is not answered for 6 s (each try waits 10 s for its answer).
    sb.setFaults('timeout=100%,during=fill-catch-up,for=6s');
    const drops = sb.faultCounts()['ws-drop'] ?? 0;
    sb.setFaults({ stall: 'none', wsDropEveryMs: 100 });
    while ((sb.faultCounts()['ws-drop'] ?? 0) === drops) await new Promise((r) => setTimeout(r, 10));
    sb.setFaults({ wsDropEveryMs: null });
    const pos = await stopWithin(story, 5_000);
    expect(sb.faultCounts().timeout, 'an execution list was left unanswered').toBeGreaterThan(0);
    expect(pos.side).toBe('buy');
    expect(pos.stopLoss?.gt(0), 'the inventory has its stop within 5 s of the reconnect').toBe(true);
  }, 60_000);

  it('inventory that fills while the private stream reconnects, after the catch-up of the drop read the positions, gets its stop within 5 s', async () => {
    story = await start();
    const sb = story.sandbox;
    // The stream drops; the catch-up started at the drop reads the positions (flat), then the
    // executions, which Bybit leaves unanswered for 8 s (each try waits 10 s for its answer).
    sb.setFaults('timeout=100%,during=fill-catch-up,for=8s,ws-drop=100ms');
    while ((sb.faultCounts().timeout ?? 0) === 0) await new Promise((r) => setTimeout(r, 2));
    sb.setFaults({ wsDropEveryMs: null });
    // Inventory fills now, while the stream is down (its pushes are lost); the reconnect asks for
    // a catch-up while the first one is still waiting on the executions.
    const delivered = story.exchange.counters().streams.fills.delivered;
    buy(story, '0.01');
    const pos = await stopWithin(story, 5_000);
    expect(story.exchange.counters().streams.fills.delivered, 'the fill reached the bot only through the catch-up, not a push').toBe(delivered);
    expect(pos.side).toBe('buy');
    expect(pos.stopLoss?.gt(0), 'the inventory has its stop within 5 s, before the catch-up under way has read the executions').toBe(true);
  }, 60_000);

  it('inventory that fills while the private stream stays down, after the catch-up of the drop read the positions, gets its stop within 5 s', async () => {
    story = await start();
    const sb = story.sandbox;
    // The stream drops and stays down: the bot's new connection gets no answer to its login (it
    // waits 10 s for one). The catch-up started at the drop reads the positions (flat), then the
    // executions, which Bybit leaves unanswered for 8 s.
    sb.setFaults('timeout=100%,during=fill-catch-up,for=8s,ws-drop=100ms,stall=private');
    while ((sb.faultCounts().timeout ?? 0) === 0) await new Promise((r) => setTimeout(r, 2));
    sb.setFaults({ wsDropEveryMs: null });
    const delivered = story.exchange.counters().streams.fills.delivered;
    buy(story, '0.01');
    const pos = await stopWithin(story, 5_000);
    expect(story.exchange.counters().streams.fills.delivered, 'the fill has not reached the bot yet').toBe(delivered);
    expect(story.exchange.counters().streams.private?.health, 'the stream is still down').not.toBe('open');
    expect(pos.side).toBe('buy');
    expect(pos.stopLoss?.gt(0), 'the inventory has its stop within 5 s, with the stream still down').toBe(true);
    sb.setFaults({ stall: 'none' });
  }, 60_000);

  it('inventory whose first trading-stop request Bybit leaves unanswered gets its stop within 5 s all the same', async () => {
    story = await start();
    const sb = story.sandbox;
    // The first trading-stop request is never answered (the adapter waits 10 s for it).
    sb.setFaults('timeout=100%,during=trading-stop,for=1s');
    buy(story, '0.01');
    const pos = await stopWithin(story, 5_000);
    expect(sb.faultCounts().timeout, 'a trading-stop request was left unanswered').toBeGreaterThan(0);
    expect(pos.stopLoss?.gt(0), 'the inventory has its stop within 5 s').toBe(true);
  }, 60_000);

  it('inventory that filled while the bot was down has its stop when the start-up reconciliation is done, before the first decision', async () => {
    story = await startSandboxStory({
      candles: BTC_1M.slice(0, 200),
      history: 100,
      symbol: MAKER,
      strategy: QUIET,
      beforeStart: (sb) => {
        expect(sb.sim.placeOrder({ symbol: 'BTCUSDT', side: 'sell', orderType: 'market', qty: dec('0.01') }).ok).toBe(true);
      },
    });
    // The engine has started (its symbols' turns open only now); no candle has been played.
    const pos = story.sandbox.sim.position('BTCUSDT');
    expect(pos.side).toBe('sell');
    expect(pos.stopLoss?.toFixed(), '2 % above the entry, on the tick').toBe(pos.entryPrice.mul(1.02).toDecimalPlaces(1, 2).toFixed());
  }, 60_000);
});
