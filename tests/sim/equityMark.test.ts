import { describe, expect, it } from 'vitest';
import { Dec, dec, reportNumber, toPrice } from '../../src/domain/money.js';
import { EquityMark, toReportNumber } from '../../src/sim/equityMark.js';
import { simInstrument } from '../../src/sim/instruments.js';
import type { SimMarket } from '../../src/sim/simMarket.js';
import { Simulator } from '../../src/sim/simulator.js';

/** A deterministic generator, so a failure names its case. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function market(side: 'buy' | 'sell' | null, size: string, entry: string, last: number, tick: string): SimMarket {
  return { pos: { side, size: new Dec(size), entryPrice: new Dec(entry) }, last, inst: { tickSize: new Dec(tick) } } as unknown as SimMarket;
}

/** What the backtest recorded before: the Decimal equity, rounded half-even to 1e-8, as a number. */
function decimalMark(wallet: string, m: SimMarket): number {
  const p = m.pos;
  if (p.side === null) return reportNumber(new Dec(wallet));
  const long = toPrice(m.last).sub(p.entryPrice).mul(p.size);
  return reportNumber(new Dec(wallet).add(p.side === 'buy' ? long : long.neg()));
}

describe('EquityMark', () => {
  it('gives the same equity curve numbers as the Decimal mark, bit for bit', () => {
    const rnd = lcg(21);
    const mark = new EquityMark();
    let fast = 0;
    for (let i = 0; i < 20_000; i++) {
      const tick = ['0.1', '0.01', '0.5', '0.0001'][i % 4]!;
      const td = new Dec(tick).decimalPlaces();
      const entry = new Dec(Math.round(rnd() * 2e6) / 10 ** td).toFixed(td + (i % 3)); // on and off the tick's decimals
      const size = (Math.ceil(rnd() * 5000) / 1000).toFixed(3);
      const wallet = (900 + rnd() * 200).toFixed(i % 9);
      const last = Math.round(rnd() * 2e6) / 10 ** (i % 5 === 0 ? td + 1 : td);
      const side = (['buy', 'sell', null] as const)[i % 3]!;
      const m = market(side, size, entry, last, tick);
      const w = new Dec(wallet);
      const got = mark.value(w, [m]);
      if (got !== null) fast++;
      expect(Object.is(got ?? decimalMark(wallet, m), decimalMark(wallet, m)), `${side} ${size} @ ${entry}, last ${last}, wallet ${wallet}, tick ${tick}`).toBe(true);
    }
    expect(fast, 'most marks take the integer path').toBeGreaterThan(10_000);
  });

  it('rounds half to even at the 8th decimal, on both sides of zero', () => {
    for (const [x, s] of [[12_345_678_500, 10], [12_345_677_500, 10], [-12_345_678_500, 10], [-12_345_677_500, 10], [5, 9], [15, 9], [-5, 9], [999_999_999_999_999, 15]] as const) {
      expect(toReportNumber(x, s)).toBe(reportNumber(new Dec(x).div(new Dec(10).pow(s))));
    }
  });

  it("the simulator's equity report equals its Decimal equity, also for prices off the tick's decimals (the Decimal path)", () => {
    const s = new Simulator({ instruments: [simInstrument('BTCUSDT')], marketFill: 'touch' });
    s.setPrice('BTCUSDT', 2647.1, 0);
    expect(s.equityReport()).toBe(reportNumber(s.equity()));
    expect(s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.37') }).ok).toBe(true);
    // ETH-like prices on a BTC instrument (tick 0.1): two decimals take the Decimal path.
    for (const [i, price] of [2649.93, 2653.4, 2666.11, 2650.07, 2651.2].entries()) {
      s.movePrice('BTCUSDT', price, 60_000 * (i + 1));
      expect(s.equityReport(), `at ${price}`).toBe(reportNumber(s.equity()));
    }
  });
});

