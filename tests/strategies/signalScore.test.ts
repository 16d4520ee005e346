/**
 * The signal score of DESIGN section 5b (issue 24 item 1), row by row against the independent
 * oracles (designOracle.ts for the section 5 candidate, ../indicators/scoreOracle.ts for the
 * indicator set and the score; neither imports src/) on every real candle file, and the promise
 * that an unset minScore changes nothing: not a signal, and not even the work of the indicator set.
 */
import { describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/types.js';
import { Scalper } from '../../src/strategies/scalper.js';
import { DEFAULT_SCALPER_PARAMS, scalperParamsSchema, type ScalperParams } from '../../src/strategies/scalperParams.js';
import { ScalperSignals } from '../../src/strategies/scalperSignals.js';
import { SignalScore } from '../../src/strategies/signalScore.js';
import { DEFAULT_SCORE_WEIGHTS } from '../../src/strategies/scoreParams.js';
import { FLAT } from '../../src/strategies/strategy.js';
import { realCandles, type DataFile } from '../indicators/realData.js';
import { oIndicators, oScore } from '../indicators/scoreOracle.js';
import { DESIGN_DEFAULTS, designSignals } from './designOracle.js';
import * as v from 'valibot';

const FILES: DataFile[] = ['bybit-BTCUSDT-1m.csv.gz', 'bybit-ETHUSDT-1m.csv.gz', 'bybit-BTCUSDT-5m.csv.gz'];
const params = (raw: v.InferInput<typeof scalperParamsSchema>): ScalperParams => v.parse(scalperParamsSchema, raw);

/** The oracle's signals with a minimum score: candidate, score ≥ min, and the cooldown counted from signals. */
const oracleCache = new Map<readonly Candle[], { rows: ReturnType<typeof designSignals>; ind: ReturnType<typeof oIndicators> }>();
function oracleSignals(candles: readonly Candle[], minScore: number, weights: Record<string, number> = {}) {
  let cached = oracleCache.get(candles);
  if (!cached) oracleCache.set(candles, (cached = { rows: designSignals(candles, DESIGN_DEFAULTS), ind: oIndicators(candles) }));
  const { rows, ind } = cached;
  let last = -Infinity;
  return rows.map((r, t) => {
    const score = r.candidate === null ? null : oScore(ind, candles, t, r.candidate, DESIGN_DEFAULTS.volumeFactor, DESIGN_DEFAULTS.proximityPct, weights);
    const signal = r.candidate !== null && score! >= minScore && t - last > DESIGN_DEFAULTS.cooldownCandles ? r.candidate : null;
    if (signal !== null) last = t;
    return { candidate: r.candidate, score, signal };
  });
}

describe.each(FILES)('signal score on %s against the oracles', (file) => {
  const candles = realCandles(file);

  it('scores every candidate (cooldown ignored) as DESIGN 5b adds the votes, and nothing else', () => {
    const expected = oracleSignals(candles, -Infinity);
    const s = new ScalperSignals(DEFAULT_SCALPER_PARAMS, { indicators: true });
    let candidates = 0;
    candles.forEach((c, t) => {
      s.update(c);
      const o = expected[t]!;
      if (o.score !== null) candidates++;
      if (s.candidateScore !== o.score) expect.fail(`candle ${t} (${c.ts}): score ${s.candidateScore}, oracle ${o.score} (candidate ${o.candidate})`);
    });
    expect(candidates, 'real candidates were compared').toBeGreaterThan(50);
  });

  it.each([-3, 0, 2, 4])('with minScore %d, a candidate is a signal only at or above it, cooldown following signals', (minScore) => {
    const expected = oracleSignals(candles, minScore, { fib: 0.5, cci: 2 });
    const s = new ScalperSignals(params({ score: { minScore, weights: { fib: 0.5, cci: 2 } } }));
    let signals = 0;
    candles.forEach((c, t) => {
      const got = s.update(c);
      if (got !== expected[t]!.signal) expect.fail(`candle ${t}: signal ${got}, oracle ${expected[t]!.signal} (score ${expected[t]!.score})`);
      if (got !== null) signals++;
    });
    expect(signals).toBeGreaterThan(0);
  });
});

describe('minScore unset: the filter is off', () => {
  const candles = realCandles('bybit-BTCUSDT-1m.csv.gz');

  it('gives the same signals as no score at all, and never builds the indicator set', () => {
    const plain = new ScalperSignals(DEFAULT_SCALPER_PARAMS);
    const weighted = new ScalperSignals(params({ score: { weights: { ema: 3 } } }));
    expect(weighted.indicators, 'no minScore: nothing computed').toBeNull();
    expect(weighted.warmupCandles).toBe(plain.warmupCandles);
    candles.forEach((c, t) => expect(weighted.update(c), `candle ${t}`).toBe(plain.update(c)));
    expect(v.parse(scalperParamsSchema, {}), 'the defaults carry no score key (backtest JSON unchanged)').not.toHaveProperty('score');
  });

  it('signals --indicators without minScore keeps today\'s signals', () => {
    const plain = new ScalperSignals(DEFAULT_SCALPER_PARAMS);
    const shown = new ScalperSignals(DEFAULT_SCALPER_PARAMS, { indicators: true });
    candles.forEach((c, t) => expect(shown.update(c), `candle ${t}`).toBe(plain.update(c)));
  });
});

describe('the score in the strategy and at its edges', () => {
  it('the Scalper trades only scored signals, says the score in its reason, and warms the set up', () => {
    const candles = realCandles('bybit-BTCUSDT-1m.csv.gz');
    const scalper = new Scalper({ symbol: 'BTCUSDT', intervalMs: 60_000, params: { score: { minScore: 3 } } });
    expect(scalper.warmupCandles, 'the Fibonacci window').toBeGreaterThanOrEqual(100);
    const reasons: string[] = [];
    for (const c of candles) {
      const intent = scalper.onCandle(c, FLAT, c.ts + 60_000);
      if (intent?.kind === 'enter') reasons.push(intent.reason);
    }
    expect(reasons.length).toBeGreaterThan(0);
    for (const r of reasons) expect(r).toMatch(/; score \d+(\.\d+)? \(at least 3\)$/);
  });

  it('%R exactly at −20 votes 0, though its double is −19.99999999998 (BTCUSDT 1m, candle 14575)', () => {
    // HH − close is exactly 0.2 × (HH − LL) on this candle; %R "above −20" would count it against a short.
    const candles = realCandles('bybit-BTCUSDT-1m.csv.gz');
    const s = new ScalperSignals(DEFAULT_SCALPER_PARAMS, { indicators: true });
    for (let t = 0; t <= 14575; t++) s.update(candles[t]!);
    expect(s.indicators!.willr.value).toBeGreaterThan(-20);
    expect(s.indicators!.votes(candles[14575]!)[3], 'the willr vote').toBe(0);
    expect(s.candidateScore, 'the short candidate of that candle').toBe(-4);
  });

  it('a score exactly on minScore passes though its weights do not add up exactly in doubles', () => {
    // 0.1 + 0.2 = 0.30000000000000004 and 0.1 + 0.7 = 0.7999999999999999: decided on the decimals.
    const weights = { ...DEFAULT_SCORE_WEIGHTS, ema: 0.1, momentum: 0.7, cci: 0, willr: 0, psar: 0, vwap: 0, mfi: 0, bb: 0, fisher: 0, volume: 0, fib: 0 };
    const score = new SignalScore({ weights, volumeFactor: 1.5, proximityPct: 0.3 });
    const c = (i: number): Candle => ({ ts: i * 60_000, open: 100 + i, high: 100 + i, low: 100 + i, close: 100 + i, volume: 1 });
    for (let i = 0; i < 30; i++) score.update(c(i));
    // A rising close: above its EMA and momentum > 0, both +1 for a long.
    expect(score.scoreFor('long', c(29))).toBe(0.1 + 0.7);
    expect(0.1 + 0.7 < 0.8, 'the doubles alone would refuse it').toBe(true);
    expect(score.meets(0.8)).toBe(true);
    expect(score.meets(0.80001)).toBe(false);
    expect(score.scoreFor('short', c(29))).toBe(-(0.1 + 0.7));
  });

  it('a bad params.score reads like any other parameter problem', () => {
    expect(() => params({ score: { minScore: 'x' as unknown as number } })).toThrow(/must be a number/);
    expect(() => params({ score: { weights: { nope: 1 } as never } })).toThrow();
  });
});
