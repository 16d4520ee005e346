import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { Fill } from '../../src/domain/types.js';
import { RoundTrip } from '../../src/engine/roundTrip.js';

let n = 0;
const fill = (side: 'buy' | 'sell', price: string, qty: string, fee: string, ts = ++n): Fill => ({
  execId: `e${n}`, orderId: 'o', orderLinkId: 'ps-x', symbol: 'BTCUSDT', side, price: dec(price), qty: dec(qty), fee: dec(fee), isMaker: false, ts,
});

describe('RoundTrip', () => {
  it('closes a long entered once and exited in a ladder, PnL net of every fee', () => {
    const rt = new RoundTrip('BTCUSDT');
    // Entry 0.032 @ 106666.8, taker fee 0.032 × 106666.8 × 0.00055 = 1.87733568.
    expect(rt.apply(fill('buy', '106666.8', '0.032', '1.87733568', 100))).toEqual([]);
    expect(rt.apply(fill('sell', '106853.5', '0.019', '0.4060433'))).toEqual([]);
    expect(rt.apply(fill('sell', '107040.3', '0.004', '0.08563224'))).toEqual([]);
    const [trip] = rt.apply(fill('sell', '106784.2', '0.009', '0.19221156', 200));
    // Exit value = 0.019 × 106853.5 + 0.004 × 107040.3 + 0.009 × 106784.2 = 2030.2165 + 428.1612 + 961.0578 = 3419.4355;
    // entry value 3413.3376; gross +6.0979; fees 2.56122278; net 3.53667722.
    expect(trip!.pnl.toFixed()).toBe('3.53667722');
    expect([trip!.side, trip!.qty.toFixed(), trip!.entryPrice.toFixed(), trip!.entryTs, trip!.exitTs]).toEqual(['long', '0.032', '106666.8', 100, 200]);
    expect(trip!.exitPrice.toFixed(4)).toBe('106857.3594');
    expect(rt.side).toBeNull();
  });

  it('averages a short built in steps (the maker) and splits a fill that crosses through zero', () => {
    const rt = new RoundTrip('BTCUSDT');
    rt.apply(fill('sell', '100', '1', '0.02'));
    rt.apply(fill('sell', '110', '1', '0.022'));
    // Buy 3: 2 close the short (avg entry 105 → exit 100: +10 gross), 1 opens a long.
    const trips = rt.apply(fill('buy', '100', '3', '0.06'));
    expect(trips).toHaveLength(1);
    // Fees: 0.02 + 0.022 + two thirds of 0.06 = 0.082; net 10 − 0.082 = 9.918.
    expect([trips[0]!.side, trips[0]!.pnl.toFixed(), trips[0]!.fees.toFixed()]).toEqual(['short', '9.918', '0.082']);
    expect([rt.side, rt.openQty.toFixed(), rt.entryPrice.toFixed()]).toEqual(['long', '1', '100']);
  });
  it('the double figures of the open trade are the same read after every fill or only when needed, across closes, reopenings and funding', () => {
    const fills: Array<Fill | { funding: string }> = [
      fill('buy', '60000.1', '0.010', '0.33'),
      { funding: '0.0123' },
      fill('sell', '60500.3', '0.004', '0.13'),
      fill('buy', '60100', '0.002', '0.07'),
      fill('sell', '59000.7', '0.008', '0.26'), // closes the long
      fill('sell', '58000.5', '0.003', '0.1'), // opens a short
      { funding: '-0.004' },
      fill('buy', '58500', '0.005', '0.16'), // closes it and opens a long
      fill('sell', '58600.9', '0.002', '0.06'),
    ];
    const everyFill = new RoundTrip('BTCUSDT');
    const lazy = new RoundTrip('BTCUSDT');
    const prices = [57_000.25, 60_000, 61_234.5];
    for (const [i, f] of fills.entries()) {
      for (const rt of [everyFill, lazy]) {
        if ('funding' in f) rt.addFunding(dec(f.funding));
        else rt.apply(f);
      }
      const read = (rt: RoundTrip): number[] => prices.flatMap((p) => [rt.approxMarkToMarket(p), rt.approxScale(p)]);
      const eager = read(everyFill);
      // The lazy one is read only now and then (as steadyEquity reads it: not while flat).
      if (i % 3 === 2 || i === fills.length - 1) expect(read(lazy)).toEqual(eager);
      for (const [k, p] of prices.entries()) {
        if (everyFill.side === null) continue;
        expect(Math.abs(eager[2 * k]! - everyFill.markToMarket(dec(p)).toNumber())).toBeLessThan(1e-12 * eager[2 * k + 1]!);
      }
    }
  });
});

