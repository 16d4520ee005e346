/**
 * An independent, deliberately plain reading of DESIGN section 5 (RSI, StochRSI, pivots, the
 * scalper entry with its volume filter and cooldown), to check src/strategies/scalperSignals.ts
 * against. Plain arrays, every window summed or scanned from scratch, and no code shared with src/:
 * it must not import src/indicators or src/strategies, or a slip in them would be copied here.
 * DESIGN's comparisons are of real numbers, and real data hits their equalities often (K flat at 0
 * for three candles makes D = K; 0.3 % of the pivot 10200 is exactly 30.6), so the oracle decides
 * each one exactly, where doubles could round it either way:
 * - K against D and against oversold/overbought: exact fractions of the RSI doubles, whenever the
 *   doubles are within 1e-9 of each other;
 * - the proximity and volume bounds: the decimals as written (`String(x)`), in integers.
 * RSI itself stays in doubles, with the one identity a tie can hang on: a flat close keeps RSI.
 */

export interface OracleCandle {
  readonly ts: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export interface OracleParams {
  readonly pivotLeft: number;
  readonly pivotRight: number;
  readonly rsiLength: number;
  readonly stochLength: number;
  readonly kSmoothing: number;
  readonly dSmoothing: number;
  readonly oversold: number;
  readonly overbought: number;
  readonly proximityPct: number;
  readonly cooldownCandles: number;
  readonly volumeFilter: boolean;
  readonly volumeFactor: number;
  readonly volumeLength: number;
}

/** DESIGN section 5 defaults, written out again here on purpose. */
export const DESIGN_DEFAULTS: OracleParams = {
  pivotLeft: 2,
  pivotRight: 1,
  rsiLength: 14,
  stochLength: 14,
  kSmoothing: 3,
  dSmoothing: 3,
  oversold: 20,
  overbought: 80,
  proximityPct: 0.3,
  cooldownCandles: 3,
  volumeFilter: false,
  volumeFactor: 1.5,
  volumeLength: 20,
};

export type Side = 'long' | 'short';

export interface OracleRow {
  readonly rsi: number | null;
  readonly k: number | null;
  readonly d: number | null;
  /** Price of the pivot high confirmed at this candle, else null. */
  readonly pivotHigh: number | null;
  readonly pivotLow: number | null;
  /** The entry rule without the cooldown (what section 5b calls the candidate). */
  readonly candidate: Side | null;
  /** The entry rule with the cooldown: what `signals` prints. */
  readonly signal: Side | null;
}

type Series = (number | null)[];

/** Wilder's RSI of the closes; first value at t = n. */
export function designRsi(close: readonly number[], n: number): Series {
  const out: Series = close.map(() => null);
  let avgGain = 0;
  let avgLoss = 0;
  for (let t = n; t < close.length; t++) {
    if (t === n) {
      let g = 0;
      let l = 0;
      for (let j = 1; j <= n; j++) {
        const ch = close[j]! - close[j - 1]!;
        if (ch > 0) g += ch;
        if (ch < 0) l += -ch;
      }
      avgGain = g / n;
      avgLoss = l / n;
    } else {
      const ch = close[t]! - close[t - 1]!;
      avgGain = (avgGain * (n - 1) + (ch > 0 ? ch : 0)) / n;
      avgLoss = (avgLoss * (n - 1) + (ch < 0 ? -ch : 0)) / n;
      // Exact arithmetic: a zero change scales both averages by (n−1)/n, so RSI keeps its value.
      if (ch === 0) {
        out[t] = out[t - 1]!;
        continue;
      }
    }
    if (avgLoss === 0) out[t] = avgGain === 0 ? 50 : 100;
    else out[t] = 100 - 100 / (1 + avgGain / avgLoss);
  }
  return out;
}

/** The window xs[t−n+1..t], or null when it is not all defined. */
function window(xs: Series, t: number, n: number): number[] | null {
  if (t - n + 1 < 0) return null;
  const w: number[] = [];
  for (let j = t - n + 1; j <= t; j++) {
    const x = xs[j];
    if (x === null || x === undefined) return null;
    w.push(x);
  }
  return w;
}

/** An exact rational number n/d (d > 0): K, D and their comparisons are decided without rounding. */
export interface Fraction {
  readonly n: bigint;
  readonly d: bigint;
}

const ZERO: Fraction = { n: 0n, d: 1n };

/** The exact value of a double: its 53-bit significand times a power of two. */
export function exactFraction(x: number): Fraction {
  if (!Number.isFinite(x)) throw new Error(`not finite: ${x}`);
  if (x === 0) return ZERO;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const significand = (biased === 0 ? fraction : fraction | (1n << 52n)) * (bits >> 63n === 1n ? -1n : 1n);
  const exponent = (biased === 0 ? 1 : biased) - 1075; // x = significand × 2^exponent
  return exponent >= 0 ? { n: significand << BigInt(exponent), d: 1n } : { n: significand, d: 1n << BigInt(-exponent) };
}

function add(a: Fraction, b: Fraction): Fraction {
  return { n: a.n * b.d + b.n * a.d, d: a.d * b.d };
}

function sub(a: Fraction, b: Fraction): Fraction {
  return { n: a.n * b.d - b.n * a.d, d: a.d * b.d };
}

/** −1, 0 or 1 as a < b, a = b, a > b. */
export function compare(a: Fraction, b: Fraction): number {
  const x = a.n * b.d - b.n * a.d;
  return x < 0n ? -1 : x > 0n ? 1 : 0;
}

/** Mean of each full window, summed from scratch left to right. */
function plainSma(xs: Series, n: number): Series {
  return xs.map((_, t) => {
    const w = window(xs, t, n);
    if (w === null) return null;
    let s = 0;
    for (const x of w) s += x;
    return s / n;
  });
}

/** Doubles are trusted to order K, D and a level when further apart than this (their error is ~1e-12). */
const NEAR = 1e-9;

export interface StochRsiSeries {
  readonly rsi: Series;
  /** K and D in doubles, each window summed afresh: the values `signals` prints. */
  readonly k: Series;
  readonly d: Series;
  /** The sign of K[t] − D[t], exact (both must be defined). */
  kVsD(t: number): number;
  /** The sign of K[t] − level, exact. */
  kVs(t: number, level: number): number;
}

/**
 * TradingView's StochRSI: raw = 100·(rsi − min)/(max − min) (0 when max = min), K = SMA(raw, k),
 * D = SMA(K, d). RSI stays in doubles: an exact tie never hangs on its last bit, because raw is
 * exactly 0 or 100 whenever RSI is the window's min or max (and RSI keeps its value on a flat close).
 * Comparisons of K are decided in doubles when clearly apart, else on exact fractions of the RSI
 * values: a window of equal values then has exactly that mean, and K = D is a real tie.
 */
export function designStochRsi(close: readonly number[], p: OracleParams): StochRsiSeries {
  const rsi = designRsi(close, p.rsiLength);
  const raw: Series = rsi.map((x, t) => {
    const w = window(rsi, t, p.stochLength);
    if (w === null || x === null) return null;
    const max = Math.max(...w);
    const min = Math.min(...w);
    return max === min ? 0 : (100 * (x - min)) / (max - min);
  });
  const k = plainSma(raw, p.kSmoothing);
  const d = plainSma(k, p.dSmoothing);

  const exactRaw = (t: number): Fraction => {
    const w = window(rsi, t, p.stochLength)!;
    const max = Math.max(...w);
    const min = Math.min(...w);
    if (max === min) return ZERO;
    const num = sub(exactFraction(rsi[t]!), exactFraction(min));
    const den = sub(exactFraction(max), exactFraction(min));
    return { n: 100n * num.n * den.d, d: num.d * den.n };
  };
  const exactMean = (t: number, n: number, of: (j: number) => Fraction): Fraction => {
    let sum = ZERO;
    for (let j = t - n + 1; j <= t; j++) sum = add(sum, of(j));
    return { n: sum.n, d: sum.d * BigInt(n) };
  };
  const exactK = (t: number) => exactMean(t, p.kSmoothing, exactRaw);
  const exactD = (t: number) => exactMean(t, p.dSmoothing, exactK);
  const sign = (x: number) => (x < 0 ? -1 : 1);
  return {
    rsi,
    k,
    d,
    kVsD: (t) => (Math.abs(k[t]! - d[t]!) > NEAR ? sign(k[t]! - d[t]!) : compare(exactK(t), exactD(t))),
    kVs: (t, level) => (Math.abs(k[t]! - level) > NEAR ? sign(k[t]! - level) : compare(exactK(t), decimalFraction(level))),
  };
}

/** Pivot confirmed at candle t (the pivot is candle t − right), by direct comparison; else null. */
export function designPivots(xs: readonly number[], left: number, right: number, kind: 'high' | 'low'): Series {
  return xs.map((_, t) => {
    const i = t - right;
    if (i - left < 0) return null;
    for (let j = i - left; j <= t; j++) {
      if (j === i) continue;
      if (kind === 'high' ? !(xs[i]! > xs[j]!) : !(xs[i]! < xs[j]!)) return null;
    }
    return xs[i]!;
  });
}

/** A decimal as written (the shortest text that reads back as the same double), as an exact fraction. */
export function decimalFraction(x: number): Fraction {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (m === null) throw new Error(`not a finite decimal: ${x}`);
  const frac = m[3] ?? '';
  const scale = frac.length - Number(m[4] ?? 0);
  const digits = BigInt(`${m[1]}${m[2]}${frac}`);
  return scale >= 0 ? { n: digits, d: 10n ** BigInt(scale) } : { n: digits * 10n ** BigInt(-scale), d: 1n };
}

function times(a: Fraction, b: Fraction): Fraction {
  return { n: a.n * b.n, d: a.d * b.d };
}

function abs(a: Fraction): Fraction {
  return a.n < 0n ? { n: -a.n, d: a.d } : a;
}

/** `|close − pivot| ≤ (pct / 100) × pivot` on the decimal values as written, with no rounding. */
export function withinProximity(close: number, pivot: number, pct: number): boolean {
  const v = decimalFraction(pivot);
  const dist = abs(sub(decimalFraction(close), v));
  const bound = times(times(decimalFraction(pct), { n: 1n, d: 100n }), v);
  return compare(dist, bound) <= 0;
}

/**
 * `volume[t] ≥ factor × SMA(volume, length)` for every t, on the decimal volumes as written: all
 * volumes as integers of one common scale, window sums from prefix sums, and
 * `length × volume[t] ≥ factor × Σ window` compared in integers. False before the SMA exists.
 */
export function passesVolume(volumes: readonly number[], factor: number, length: number): boolean[] {
  const asDecimals = volumes.map(decimalFraction);
  const scale = asDecimals.reduce((m, f) => (f.d > m ? f.d : m), 1n);
  const units = asDecimals.map((f) => f.n * (scale / f.d));
  const prefix = [0n];
  for (const u of units) prefix.push(prefix[prefix.length - 1]! + u);
  const f = decimalFraction(factor);
  return units.map((u, t) => {
    if (t - length + 1 < 0) return false;
    const sum = prefix[t + 1]! - prefix[t + 1 - length]!;
    return BigInt(length) * u * f.d >= f.n * sum;
  });
}

/** Every row of DESIGN section 5 for the candles, from scratch. */
export function designSignals(candles: readonly OracleCandle[], p: OracleParams): OracleRow[] {
  const stoch = designStochRsi(
    candles.map((c) => c.close),
    p,
  );
  const { rsi, k, d } = stoch;
  const pivotHigh = designPivots(
    candles.map((c) => c.high),
    p.pivotLeft,
    p.pivotRight,
    'high',
  );
  const pivotLow = designPivots(
    candles.map((c) => c.low),
    p.pivotLeft,
    p.pivotRight,
    'low',
  );
  const volumeOk = p.volumeFilter
    ? passesVolume(
        candles.map((c) => c.volume),
        p.volumeFactor,
        p.volumeLength,
      )
    : null;
  const rows: OracleRow[] = [];
  let lastSignal = -Infinity;
  for (let t = 0; t < candles.length; t++) {
    let candidate: Side | null = null;
    const defined = t > 0 && k[t - 1] !== null && d[t - 1] !== null && k[t] !== null && d[t] !== null;
    const close = candles[t]!.close;
    if ((volumeOk === null || volumeOk[t]!) && defined) {
      const before = stoch.kVsD(t - 1);
      const now = stoch.kVsD(t);
      // Long: K crosses above D (K[t−1] ≤ D[t−1], K[t] > D[t]) from below oversold; short mirrors it.
      if (before <= 0 && now > 0 && stoch.kVs(t - 1, p.oversold) < 0) {
        const pivot = latest(pivotLow, t);
        if (pivot !== null && withinProximity(close, pivot, p.proximityPct)) candidate = 'long';
      }
      if (before >= 0 && now < 0 && stoch.kVs(t - 1, p.overbought) > 0) {
        const pivot = latest(pivotHigh, t);
        if (pivot !== null && withinProximity(close, pivot, p.proximityPct)) candidate = 'short';
      }
    }
    // "After a signal, no new signal for cooldownCandles candles": a signal at s blocks s+1..s+cooldown.
    const signal = candidate !== null && t - lastSignal > p.cooldownCandles ? candidate : null;
    if (signal !== null) lastSignal = t;
    rows.push({ rsi: rsi[t]!, k: k[t]!, d: d[t]!, pivotHigh: pivotHigh[t]!, pivotLow: pivotLow[t]!, candidate, signal });
  }
  return rows;
}

/** The latest pivot confirmed at or before candle t (by confirmation time, so one confirmed at t counts), else null. */
function latest(pivots: Series, t: number): number | null {
  for (let j = t; j >= 0; j--) if (pivots[j] !== null) return pivots[j]!;
  return null;
}
