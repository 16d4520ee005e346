/** positionView: the one place the engine's Decimal position becomes the numbers strategies read (STYLE point 8). */
import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { Position } from '../../src/domain/types.js';
import { FLAT, positionView } from '../../src/strategies/strategy.js';

const base: Position = {
  symbol: 'BTCUSDT', side: 'long', size: dec('0.003'), entryPrice: dec('106631.1'), stopLoss: null, takeProfit: null,
  trailingStop: null, unrealisedPnl: dec('0'), updatedMs: 0,
};

describe('positionView', () => {
  it('converts an open position to plain numbers, size always positive', () => {
    expect(positionView(base)).toEqual({ side: 'long', sizeBase: 0.003, entryPrice: 106631.1 });
    expect(positionView({ ...base, side: 'short', size: dec('-0.002') })).toEqual({ side: 'short', sizeBase: 0.002, entryPrice: 106631.1 });
  });

  it('is FLAT for no position, a null side or a zero size', () => {
    expect(positionView(null)).toBe(FLAT);
    expect(positionView(undefined)).toBe(FLAT);
    expect(positionView({ ...base, side: null })).toBe(FLAT);
    expect(positionView({ ...base, size: dec('0') })).toBe(FLAT);
    expect(Object.isFrozen(FLAT)).toBe(true);
  });
});
