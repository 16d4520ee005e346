/**
 * The candle-path fill model (src/sim/candleFillModel.ts, DESIGN section 5): a candle is walked
 * open → nearer extreme → other extreme → close (src/sim/candlePath.ts) and fills happen in the
 * order price reaches them, except that a stop and a target both inside one candle mean the stop.
 * Each story opens a 0.01 BTC long at the touch (ask 100 000.1 at last price 100 000).
 */
import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import { setPositionStops } from '../../src/sim/candleFillModel.js';
import { candle, simParts, spec, type Parts } from './simParts.js';

function long(stops: { stopLoss?: string; takeProfit?: string }, opts: Parameters<typeof simParts>[1] = {}): Parts {
  const parts = simParts(100_000, opts);
  const extra = { stopLoss: stops.stopLoss ? dec(stops.stopLoss) : null, takeProfit: stops.takeProfit ? dec(stops.takeProfit) : null };
  parts.orders.place(parts.m, spec('buy', '0.01', null, extra));
  return parts;
}

/** The executions after the entry: [stopOrderType or 'limit', qty, price]. */
function exits(p: Parts): string[][] {
  return p.registry
    .executions()
    .slice(1)
    .map((e) => [e.stopOrderType || 'limit', e.execQty.toFixed(), e.execPrice.toFixed()]);
}

describe('CandleFillModel', () => {
  it('stop and target both inside one candle: the stop is assumed first, though the path meets the target first', () => {
    const p = long({ stopLoss: '99000', takeProfit: '101000' });
    // The high (1 200 away) is nearer the open than the low (1 500 away): 100 000 → 101 200 → 98 500 → 100 000.
    p.fills.stepCandle(p.m, candle(1, 100_000, 101_200, 98_500, 100_000));
    expect(exits(p)).toEqual([['StopLoss', '0.01', '99000']]);
    expect(p.m.pos.side).toBe(null);
  });

  it('the stop-first rule holds as well when the points come one by one (the sandbox)', () => {
    const p = long({ stopLoss: '99000', takeProfit: '101000' });
    const c = candle(1, 100_000, 101_200, 98_500, 100_000);
    p.fills.beginCandle(p.m, c);
    p.fills.move(p.m, 100_000, c.ts, true);
    p.fills.move(p.m, 101_200, c.ts + 20_000, false);
    expect(exits(p), 'the target is ignored for this candle').toEqual([]);
    p.fills.move(p.m, 98_500, c.ts + 40_000, false);
    expect(exits(p)).toEqual([['StopLoss', '0.01', '99000']]);
  });

  it('a candle that reaches only the target takes the target, at its price', () => {
    const p = long({ stopLoss: '99000', takeProfit: '101000' });
    p.fills.stepCandle(p.m, candle(1, 100_000, 101_200, 99_500, 101_000));
    expect(exits(p)).toEqual([['TakeProfit', '0.01', '101000']]);
  });

  it('along one segment, fills come in the order price reaches them', () => {
    const p = long({ stopLoss: '99000' });
    p.orders.place(p.m, spec('buy', '0.01', '99500'));
    // 100 000 → 100 100 → 98 000 → 98 500: on the way down the limit at 99 500 comes before the stop
    // at 99 000, so the stop closes 0.02.
    p.fills.stepCandle(p.m, candle(1, 100_000, 100_100, 98_000, 98_500));
    expect(exits(p)).toEqual([
      ['limit', '0.01', '99500'],
      ['StopLoss', '0.02', '99000'],
    ]);
  });

  it('at equal prices the stop comes before a limit fill', () => {
    const p = long({ stopLoss: '99000' });
    p.orders.place(p.m, spec('buy', '0.01', '99000'));
    p.fills.stepCandle(p.m, candle(1, 100_000, 100_100, 98_000, 98_500));
    expect(exits(p), 'the stop closes the long, then the limit opens a new one').toEqual([
      ['StopLoss', '0.01', '99000'],
      ['limit', '0.01', '99000'],
    ]);
    expect([p.m.pos.side, p.m.pos.entryPrice.toFixed()]).toEqual(['buy', '99000']);
  });

  it('a stop gapped through by the jump to the next open fills at that open, the worse price', () => {
    const p = long({ stopLoss: '99000' });
    p.fills.stepCandle(p.m, candle(1, 98_000, 98_500, 97_900, 98_100));
    expect(exits(p)).toEqual([['StopLoss', '0.01', '98000']]);
  });

  it('with nothing to match, a candle only moves the price to its close, in its last millisecond', () => {
    const p = simParts(100_000);
    const c = candle(1, 100_000, 101_000, 99_000, 100_500);
    p.fills.stepCandle(p.m, c);
    expect([p.m.last, p.m.lastTs, p.m.candle]).toEqual([100_500, c.ts + 59_999, c]);
    expect(p.registry.executions()).toEqual([]);
  });

  it('a trailing stop without an activation price starts at once; with one, when price gets there', () => {
    const p = long({});
    setPositionStops(p.m.pos, { symbol: 'BTCUSDT', trailingStop: dec('500') }, 100_000);
    expect([p.m.pos.trailActive, p.m.pos.trailPeak]).toEqual([true, 100_000]);
    setPositionStops(p.m.pos, { symbol: 'BTCUSDT', trailingStop: dec('400'), activePrice: dec('100500') }, 100_000);
    expect(p.m.pos.trailActive, 'price is below the activation price').toBe(false);
    // 100 000 → 99 900 → 100 800 → 100 300: activates at 100 500 and follows to 100 800; the fall to
    // 100 300 crosses 100 800 − 400 = 100 400.
    p.fills.stepCandle(p.m, candle(1, 100_000, 100_800, 99_900, 100_300));
    expect(exits(p)).toEqual([['TrailingStop', '0.01', '100400']]);
  });
});
