/**
 * The contract every strategy keeps (STYLE point 13, issue 5), on real candles: no intent before
 * its warm-up, determinism, and no look-ahead (the intents for the first N candles do not change
 * when more candles are appended, for many N). The maker is also fed a book snapshot per candle.
 */
import { describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/types.js';
import { Maker } from '../../src/strategies/maker.js';
import { Scalper } from '../../src/strategies/scalper.js';
import { FLAT, type Strategy } from '../../src/strategies/strategy.js';
import { realCandles } from '../indicators/realData.js';

const MINUTE = 60_000;

interface StrategyCase {
  readonly name: string;
  make(): Strategy;
}

const cases: StrategyCase[] = [
  { name: 'scalper (defaults)', make: () => new Scalper({ symbol: 'BTCUSDT', intervalMs: MINUTE }) },
  { name: 'scalper (atr stops, volume filter)', make: () => new Scalper({ symbol: 'BTCUSDT', intervalMs: MINUTE, params: { stopMode: 'atr', volumeFilter: true } }) },
  { name: 'maker (defaults)', make: () => new Maker({ symbol: 'BTCUSDT' }) },
  { name: 'maker (3 levels)', make: () => new Maker({ symbol: 'BTCUSDT', params: { levels: 3 } }) },
];

/** Every intent, serialised, with the row it came from. */
function drive(make: () => Strategy, candles: readonly Candle[]): string[] {
  const s = make();
  const out: string[] = [];
  candles.forEach((c, i) => {
    const closeMs = c.ts + MINUTE;
    const a = s.onCandle(c, FLAT, closeMs);
    if (a !== null) out.push(`${i} candle ${JSON.stringify(a)}`);
    // A one-tick-wide book at the close, as the ticker stream would show it.
    const b = s.onBook({ bidPrice: c.close - 0.1, bidQty: 1, askPrice: c.close, askQty: 1, ts: closeMs }, FLAT, closeMs + 50);
    if (b !== null) out.push(`${i} book ${JSON.stringify(b)}`);
  });
  return out;
}

describe.each(cases)('strategy contract: $name', (c) => {
  const candles = realCandles('bybit-BTCUSDT-1m.csv.gz').slice(0, 6000);

  it('sends no intent before warmupCandles candles', () => {
    const s = c.make();
    const intents = drive(c.make, candles);
    expect(intents.length, 'it does trade/quote on real data').toBeGreaterThan(10);
    const first = Number(intents[0]!.split(' ')[0]);
    expect(first + 1).toBeGreaterThanOrEqual(s.warmupCandles);
  });

  it('is deterministic', () => {
    expect(drive(c.make, candles)).toEqual(drive(c.make, candles));
  });

  it('never looks ahead: intents for the first N candles do not change when candles are appended', () => {
    const full = drive(c.make, candles);
    const ns = [1, 10, 31, 32, 33, 34, 35, 40, 59, 60, 77, 100, 157, 500, 1234, 2000, 3001, 4444, 5999];
    for (const n of ns) {
      const prefix = drive(c.make, candles.slice(0, n));
      expect(prefix, `first ${n} candles`).toEqual(full.filter((line) => Number(line.split(' ')[0]) < n));
    }
  });
});
