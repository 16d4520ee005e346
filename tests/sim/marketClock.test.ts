/**
 * The simulator's "now" (src/sim/marketClock.ts): the latest market time when replaying history, the
 * configured clock when there is one.
 */
import { describe, expect, it } from 'vitest';
import { MarketClock } from '../../src/sim/marketClock.js';

describe('MarketClock', () => {
  it('follows the latest price move and never goes back', () => {
    const c = new MarketClock(null);
    expect(c.now()).toBe(0);
    c.advance(120_000);
    c.advance(60_000);
    expect(c.now(), 'an older move on another symbol does not turn it back').toBe(120_000);
  });

  it('reads the configured clock instead, whatever the market time', () => {
    let wall = 5;
    const c = new MarketClock(() => wall);
    c.advance(120_000);
    wall = 7;
    expect(c.now()).toBe(7);
  });
});
