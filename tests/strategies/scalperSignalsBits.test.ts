/**
 * ScalperSignals keeps its numbers in NaN-for-null double fields, takes K and D from the one-object
 * StochRsi, tests the K/D cross before the volume filter, and the Scalper builds its entry intent
 * without a closure (scalperSignals.ts, scalper.ts). Here both are held, bit for bit (Object.is) and
 * on every candle of the three real files, to a reference written in this file the straightforward
 * way: the indicator classes chained as DESIGN section 5 reads (Rsi → RollingStochastic → Sma → Sma),
 * pivots scanned over plain arrays, and the rule in DESIGN's order (cooldown, K and D defined, the
 * volume filter, the cross, the pivot's proximity, the score). Every getter is compared, warm-up
 * nulls included, with the defaults and with parameters that reach the other branches (volume
 * filter, score filter, the indicator set without a filter, ATR stops, pivot widths, cooldown 0).
 */
import { describe, expect, it } from 'vitest';
import type { Candle, Intent, PositionSide } from '../../src/domain/types.js';
import { Atr } from '../../src/indicators/atr.js';
import { RingBuffer } from '../../src/indicators/ringBuffer.js';
import { RollingStochastic } from '../../src/indicators/rollingStochastic.js';
import { Rsi } from '../../src/indicators/rsi.js';
import { Sma } from '../../src/indicators/sma.js';
import { volumeAtLeast, withinProximity } from '../../src/strategies/decimalRules.js';
import { Scalper } from '../../src/strategies/scalper.js';
import { DEFAULT_SCALPER_PARAMS, type ScalperParams } from '../../src/strategies/scalperParams.js';
import { ScalperSignals } from '../../src/strategies/scalperSignals.js';
import { DEFAULT_SCORE_WEIGHTS } from '../../src/strategies/scoreParams.js';
import { SignalScore } from '../../src/strategies/signalScore.js';
import { FLAT } from '../../src/strategies/strategy.js';
import { realCandles, type DataFile } from '../indicators/realData.js';

interface Row {
  signal: PositionSide | null;
  rsi: number | null;
  k: number | null;
  d: number | null;
  pivotHigh: number | null;
  pivotLow: number | null;
  lastPivotHigh: number | null;
  lastPivotLow: number | null;
  atr: number | null;
  triggerPivot: number | null;
  candidateScore: number | null;
}

/** The straightforward ScalperSignals: classes chained, pivots over arrays, the rule in DESIGN's order. */
function reference(candles: readonly Candle[], p: ScalperParams, indicators: boolean): Row[] {
  const rsi = new Rsi(p.rsiLength);
  const stoch = new RollingStochastic(p.stochLength);
  const kSma = new Sma(p.kSmoothing);
  const dSma = new Sma(p.dSmoothing);
  const atr = new Atr(p.atrLength);
  const volumes = p.volumeFilter ? new RingBuffer(p.volumeLength) : null;
  const minScore = p.score?.minScore;
  const score =
    minScore !== undefined || indicators ? new SignalScore({ weights: p.score?.weights ?? DEFAULT_SCORE_WEIGHTS, volumeFactor: p.volumeFactor, proximityPct: p.proximityPct }) : null;
  const pivotAt = (t: number, high: boolean): number | null => {
    const i = t - p.pivotRight;
    if (i - p.pivotLeft < 0) return null;
    const x = (j: number) => (high ? candles[j]!.high : candles[j]!.low);
    for (let j = i - p.pivotLeft; j <= i + p.pivotRight; j++) if (j !== i && (high ? !(x(i) > x(j)) : !(x(i) < x(j)))) return null;
    return x(i);
  };
  const rows: Row[] = [];
  let lastPivotHigh: number | null = null;
  let lastPivotLow: number | null = null;
  let prevK: number | null = null;
  let prevD: number | null = null;
  let cooldown = 0;
  candles.forEach((c, t) => {
    const pivotHigh = pivotAt(t, true);
    const pivotLow = pivotAt(t, false);
    if (pivotHigh !== null) lastPivotHigh = pivotHigh;
    if (pivotLow !== null) lastPivotLow = pivotLow;
    const r = rsi.update(c.close);
    const raw = r === null ? null : stoch.update(r);
    const kv = raw === null ? null : kSma.update(raw);
    if (kv !== null) dSma.update(kv);
    atr.update(c);
    volumes?.push(c.volume);
    score?.update(c);
    const k = kSma.value;
    const d = dSma.value;
    const row: Row = { signal: null, rsi: rsi.value, k, d, pivotHigh, pivotLow, lastPivotHigh, lastPivotLow, atr: atr.value, triggerPivot: null, candidateScore: null };
    rows.push(row);
    const [pk, pd] = [prevK, prevD];
    [prevK, prevD] = [k, d];
    let cooling = false;
    if (cooldown > 0) {
      cooldown--;
      if (score === null) return;
      cooling = true;
    }
    if (k === null || d === null || pk === null || pd === null) return;
    if (volumes !== null && (!volumes.isFull || !volumeAtLeast(c.volume, p.volumeFactor, volumes))) return;
    let side: PositionSide | null = null;
    let pivot: number | null = null;
    if (pk <= pd && k > d && pk < p.oversold) {
      pivot = lastPivotLow;
      if (pivot !== null && withinProximity(c.close, pivot, p.proximityPct)) side = 'long';
    } else if (pk >= pd && k < d && pk > p.overbought) {
      pivot = lastPivotHigh;
      if (pivot !== null && withinProximity(c.close, pivot, p.proximityPct)) side = 'short';
    }
    if (side === null) return;
    if (score !== null) {
      row.candidateScore = score.scoreFor(side, c);
      if (cooling) return;
      if (minScore !== undefined && !score.meets(minScore)) return;
    }
    row.signal = side;
    row.triggerPivot = pivot;
    cooldown = p.cooldownCandles;
  });
  return rows;
}

function actual(candles: readonly Candle[], p: ScalperParams, indicators: boolean): Row[] {
  const s = new ScalperSignals(p, { indicators });
  return candles.map((c) => {
    const signal = s.update(c);
    return {
      signal: signal === s.signal ? signal : (`${signal} but the getter says ${s.signal}` as PositionSide),
      rsi: s.rsi,
      k: s.stochK,
      d: s.stochD,
      pivotHigh: s.pivotHighConfirmed,
      pivotLow: s.pivotLowConfirmed,
      lastPivotHigh: s.lastPivotHigh,
      lastPivotLow: s.lastPivotLow,
      atr: s.atr,
      triggerPivot: s.triggerPivot,
      candidateScore: s.candidateScore,
    };
  });
}

function firstDifference(a: readonly Row[], b: readonly Row[]): string | null {
  for (let t = 0; t < a.length; t++) {
    for (const key of Object.keys(a[t]!) as (keyof Row)[]) {
      if (!Object.is(a[t]![key], b[t]![key])) return `row ${t} ${key}: ${a[t]![key]} vs ${b[t]![key]}`;
    }
  }
  return null;
}

const FILES: DataFile[] = ['bybit-BTCUSDT-1m.csv.gz', 'bybit-ETHUSDT-1m.csv.gz', 'bybit-BTCUSDT-5m.csv.gz'];
const VARIANTS: { name: string; params: Partial<ScalperParams>; indicators?: boolean; slice?: number }[] = [
  { name: 'defaults', params: {} },
  { name: 'volume filter, cooldown 0, pivots 3/2', params: { volumeFilter: true, volumeFactor: 1.2, cooldownCandles: 0, pivotLeft: 3, pivotRight: 2 } },
  { name: 'pivots 1/0, other StochRSI lengths, wide proximity', params: { pivotLeft: 1, pivotRight: 0, stochLength: 9, kSmoothing: 4, dSmoothing: 2, proximityPct: 1 } },
  { name: 'score filter with the volume filter', params: { volumeFilter: true, score: { minScore: 2, weights: DEFAULT_SCORE_WEIGHTS } }, slice: 15_000 },
  { name: 'indicator set without a filter', params: { cooldownCandles: 5 }, indicators: true, slice: 15_000 },
];

describe('ScalperSignals gives the bits of the straightforward reference on every real candle', () => {
  for (const file of FILES) {
    it(file, () => {
      const all = realCandles(file);
      let signals = 0;
      for (const v of VARIANTS) {
        const candles = v.slice === undefined ? all : all.slice(0, v.slice);
        const p = { ...DEFAULT_SCALPER_PARAMS, ...v.params } as ScalperParams;
        const ref = reference(candles, p, v.indicators === true);
        expect(firstDifference(ref, actual(candles, p, v.indicators === true)), v.name).toBeNull();
        signals += ref.filter((r) => r.signal !== null).length;
        if (v.indicators === true) expect(ref.some((r) => r.candidateScore !== null), `${v.name}: candidates scored`).toBe(true);
      }
      expect(signals, 'the runs signal at all').toBeGreaterThan(3000);
    });
  }
});

describe('Scalper entry intents: the targets and reason of the straightforward construction', () => {
  const fmt = (x: number) => Number(x.toFixed(4)).toString();
  for (const stopMode of ['pivot', 'atr'] as const) {
    it(`${stopMode} stops, every signal of the BTCUSDT 1m file`, () => {
      const candles = realCandles('bybit-BTCUSDT-1m.csv.gz');
      const params = { stopMode, takeProfitR: [0.5, 1, 2.5] };
      const p = { ...DEFAULT_SCALPER_PARAMS, ...params } as ScalperParams;
      const scalper = new Scalper({ symbol: 'BTCUSDT', intervalMs: 60_000, params });
      const ref = reference(candles, p, false);
      let intents = 0;
      const bad: string[] = [];
      candles.forEach((c, t) => {
        const intent = scalper.onCandle(c, FLAT, c.ts + 60_000) as Extract<Intent, { kind: 'enter' }> | null;
        const row = ref[t]!;
        if (row.signal === null) return void (intent !== null && bad.push(`row ${t}: an intent without a signal`));
        const side = row.signal;
        const close = c.close;
        const stop = stopMode === 'atr' ? (side === 'long' ? close - p.atrMultiple * row.atr! : close + p.atrMultiple * row.atr!) : row.triggerPivot! * (side === 'long' ? 1 - p.stopBufferPct / 100 : 1 + p.stopBufferPct / 100);
        if (side === 'long' ? !(stop < close) : !(stop > close)) return void (intent !== null && bad.push(`row ${t}: an intent with its stop beyond the close`));
        if (intent === null) return void bad.push(`row ${t}: no intent for the ${side}`);
        intents++;
        const r = Math.abs(close - stop);
        const targets = p.takeProfitR.map((m) => close + (side === 'long' ? 1 : -1) * m * r);
        const reason =
          `${side}: close ${close} within ${p.proximityPct}% of pivot ${side === 'long' ? 'low' : 'high'} ${row.triggerPivot}; ` +
          `StochRSI K ${fmt(row.k!)} crossed ${side === 'long' ? 'above' : 'below'} D ${fmt(row.d!)} from ` +
          `${side === 'long' ? `below ${p.oversold}` : `above ${p.overbought}`}; stop ${fmt(stop)} (${p.stopMode}), R ${fmt(r)}`;
        const same =
          intent.kind === 'enter' &&
          intent.symbol === 'BTCUSDT' &&
          intent.side === side &&
          intent.decidedAtMs === c.ts + 60_000 &&
          Object.is(intent.refPrice, close) &&
          Object.is(intent.stopLoss, stop) &&
          intent.targets.length === targets.length &&
          intent.targets.every((x, i) => Object.is(x, targets[i])) &&
          intent.reason === reason &&
          intent.reason === reason; // read twice: built once, kept
        if (!same) bad.push(`row ${t}: ${JSON.stringify({ ...intent, reason: intent.reason })} vs targets ${targets} reason ${reason}`);
      });
      expect(bad.slice(0, 3)).toEqual([]);
      expect(intents, 'signals traded while flat').toBeGreaterThan(1000);
    });
  }
});
