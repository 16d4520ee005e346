import { describe, expect, it } from 'vitest';
import { MarketClock } from '../../src/engine/marketClock.js';

describe('MarketClock', () => {
  it('is the clock until a candle closes, then follows the market by the offset the newest close showed', () => {
    let clockMs = 1_000_000;
    const market = new MarketClock(() => clockMs);
    expect(market.now()).toBe(1_000_000);
    // A replay shifted 10 days back: the close arrives 250 ms after it happened on the replay's clock.
    const replayCloseMs = 1_000_000 - 864_000_000;
    clockMs += 250;
    market.observeClose(replayCloseMs);
    expect(market.now()).toBe(replayCloseMs);
    clockMs += 30_000;
    expect(market.now(), 'time moves on at the clock rate').toBe(replayCloseMs + 30_000);
  });

  it('a late candle (a backfill) does not move the offset back', () => {
    let clockMs = 500_000;
    const market = new MarketClock(() => clockMs);
    market.observeClose(120_000);
    clockMs += 60_000;
    market.observeClose(60_000); // older than the newest close seen
    expect(market.now()).toBe(180_000);
  });
});
