/**
 * An independent, deliberately plain reading of DESIGN section 5b (the indicator set and the signal
 * score), to check src/indicators and src/strategies/signalScore.ts against. Every value at candle t
 * is recomputed from the arrays of candles 0..t (windows scanned from scratch, recursions rerun from
 * their start), and nothing is imported from src/. Votes compare the doubles as the definitions read.
 */
export interface Bar {
  readonly ts: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

type S = (number | null)[];
const tpOf = (b: Bar) => (b.high + b.low + b.close) / 3;
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const win = <T>(xs: readonly T[], t: number, n: number): T[] | null => (t < n - 1 ? null : xs.slice(t - n + 1, t + 1));

export function oSma(bars: readonly Bar[], n: number): S {
  return bars.map((_, t) => {
    const w = win(bars, t, n);
    return w && mean(w.map((b) => b.close));
  });
}

export function oEma(bars: readonly Bar[], n: number): S {
  const out: S = [];
  let e: number | null = null;
  for (let t = 0; t < bars.length; t++) {
    if (t === n - 1) e = mean(bars.slice(0, n).map((b) => b.close));
    else if (e !== null) e = (bars[t]!.close - e) * (2 / (n + 1)) + e;
    out.push(e);
  }
  return out;
}

export function oMomentum(bars: readonly Bar[], n: number): S {
  return bars.map((b, t) => (t < n ? null : b.close - bars[t - n]!.close));
}

export function oAtr(bars: readonly Bar[], n: number): S {
  const tr = bars.map((b, t) => (t === 0 ? b.high - b.low : Math.max(b.high - b.low, Math.abs(b.high - bars[t - 1]!.close), Math.abs(b.low - bars[t - 1]!.close))));
  const out: S = [];
  let a: number | null = null;
  for (let t = 0; t < bars.length; t++) {
    if (t === n - 1) a = mean(tr.slice(0, n));
    else if (a !== null) a = (a * (n - 1) + tr[t]!) / n;
    out.push(a);
  }
  return out;
}

export function oCci(bars: readonly Bar[], n: number): S {
  return bars.map((b, t) => {
    const w = win(bars, t, n);
    if (!w) return null;
    const tps = w.map(tpOf);
    const m = mean(tps);
    const md = mean(tps.map((x) => Math.abs(x - m)));
    return md === 0 ? 0 : (tpOf(b) - m) / (0.015 * md);
  });
}

export function oWillr(bars: readonly Bar[], n: number): S {
  return bars.map((b, t) => {
    const w = win(bars, t, n);
    if (!w) return null;
    const hh = Math.max(...w.map((x) => x.high));
    const ll = Math.min(...w.map((x) => x.low));
    return hh === ll ? 0 : (-100 * (hh - b.close)) / (hh - ll);
  });
}

export function oMfi(bars: readonly Bar[], n: number): S {
  return bars.map((_, t) => {
    if (t < n) return null;
    let pos = 0;
    let neg = 0;
    for (let i = t - n + 1; i <= t; i++) {
      const now = tpOf(bars[i]!);
      const before = tpOf(bars[i - 1]!);
      if (now > before) pos += now * bars[i]!.volume;
      if (now < before) neg += now * bars[i]!.volume;
    }
    if (neg === 0) return pos > 0 ? 100 : 50;
    return 100 - 100 / (1 + pos / neg);
  });
}

export function oBollinger(bars: readonly Bar[], n: number, k: number): { upper: S; middle: S; lower: S } {
  const upper: S = [];
  const middle: S = [];
  const lower: S = [];
  bars.forEach((_, t) => {
    const w = win(bars, t, n);
    if (!w) return void (upper.push(null), middle.push(null), lower.push(null));
    const xs = w.map((b) => b.close);
    const m = mean(xs);
    const sd = Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
    upper.push(m + k * sd);
    middle.push(m);
    lower.push(m - k * sd);
  });
  return { upper, middle, lower };
}

export function oVwap(bars: readonly Bar[]): S {
  return bars.map((b, t) => {
    const day = Math.floor(b.ts / 86_400_000);
    let pv = 0;
    let v = 0;
    for (let i = t; i >= 0 && Math.floor(bars[i]!.ts / 86_400_000) === day; i--) {
      pv += tpOf(bars[i]!) * bars[i]!.volume;
      v += bars[i]!.volume;
    }
    return v === 0 ? null : pv / v;
  });
}

export function oPsar(bars: readonly Bar[], step: number, max: number): S {
  const out: S = [null];
  if (bars.length < 2) return out.slice(0, bars.length);
  const [b0, b1] = [bars[0]!, bars[1]!];
  let long = !(b0.low - b1.low > b1.high - b0.high && b0.low - b1.low > 0);
  let sar = long ? b0.low : b0.high;
  let ep = long ? Math.max(b0.high, b1.high) : Math.min(b0.low, b1.low);
  let af = step;
  out.push(sar);
  for (let t = 2; t < bars.length; t++) {
    const b = bars[t]!;
    let c = sar + af * (ep - sar);
    if (long) {
      c = Math.min(c, bars[t - 1]!.low, bars[t - 2]!.low);
      if (b.low < c) [sar, ep, af, long] = [ep, b.low, step, false];
      else {
        sar = c;
        if (b.high > ep) [ep, af] = [b.high, Math.min(af + step, max)];
      }
    } else {
      c = Math.max(c, bars[t - 1]!.high, bars[t - 2]!.high);
      if (b.high > c) [sar, ep, af, long] = [ep, b.high, step, true];
      else {
        sar = c;
        if (b.low < ep) [ep, af] = [b.low, Math.min(af + step, max)];
      }
    }
    out.push(sar);
  }
  return out;
}

export function oFisher(bars: readonly Bar[], n: number): S {
  const out: S = [];
  let v = 0;
  let f = 0;
  const m = bars.map((b) => (b.high + b.low) / 2);
  for (let t = 0; t < bars.length; t++) {
    const w = win(m, t, n);
    if (!w) {
      out.push(null);
      continue;
    }
    const hh = Math.max(...w);
    const ll = Math.min(...w);
    const x = hh === ll ? 0 : (m[t]! - ll) / (hh - ll) - 0.5;
    v = Math.max(-0.999, Math.min(0.999, 0.66 * x + 0.67 * v));
    f = 0.5 * Math.log((1 + v) / (1 - v)) + 0.5 * f;
    out.push(f);
  }
  return out;
}

export function oFib(bars: readonly Bar[], n: number, r: number): S {
  return bars.map((_, t) => {
    const w = win(bars, t, n);
    if (!w) return null;
    const hh = Math.max(...w.map((b) => b.high));
    const ll = Math.min(...w.map((b) => b.low));
    return hh - r * (hh - ll);
  });
}

export function oVolRatio(bars: readonly Bar[], n: number): S {
  return bars.map((b, t) => {
    const w = win(bars, t, n);
    if (!w) return null;
    const m = mean(w.map((x) => x.volume));
    return m === 0 ? null : b.volume / m;
  });
}

export interface OracleIndicators {
  ema: S; sma: S; momentum: S; cci: S; willr: S; psar: S; vwap: S; mfi: S;
  bbUpper: S; bbMiddle: S; bbLower: S; fisher: S; fib382: S; fib500: S; fib618: S; volRatio: S; atr: S;
}

/** The DESIGN 5b set with its default lengths, in the order of `signals --indicators`. */
export function oIndicators(bars: readonly Bar[]): OracleIndicators {
  const bb = oBollinger(bars, 20, 2);
  return {
    ema: oEma(bars, 21), sma: oSma(bars, 20), momentum: oMomentum(bars, 10), cci: oCci(bars, 20), willr: oWillr(bars, 14),
    psar: oPsar(bars, 0.02, 0.2), vwap: oVwap(bars), mfi: oMfi(bars, 14), bbUpper: bb.upper, bbMiddle: bb.middle, bbLower: bb.lower,
    fisher: oFisher(bars, 10), fib382: oFib(bars, 100, 0.382), fib500: oFib(bars, 100, 0.5), fib618: oFib(bars, 100, 0.618),
    volRatio: oVolRatio(bars, 20), atr: oAtr(bars, 14),
  };
}

/** x as written (String(x)), times 10^12, as a BigInt: exact for prices with up to 12 decimals. */
function scaled(x: number): bigint {
  const [int, frac = ''] = String(x).split('.');
  if (/e/i.test(String(x)) || frac.length > 12) throw new Error(`scoreOracle: ${x} has too many decimals`);
  return BigInt(int!) * 10n ** 12n + (int!.startsWith('-') ? -1n : 1n) * BigInt((frac + '0'.repeat(12)).slice(0, 12));
}

/** %R vote of DESIGN 5b from the window's HH/LL and the close, exactly: +1 below −80, −1 above −20. */
export function oWillrVote(bars: readonly Bar[], t: number, n: number): number {
  if (t < n - 1) return 0;
  const w = bars.slice(t - n + 1, t + 1);
  const hh = scaled(Math.max(...w.map((b) => b.high)));
  const ll = scaled(Math.min(...w.map((b) => b.low)));
  const from = hh - scaled(bars[t]!.close);
  const range = hh - ll;
  if (range === 0n) return -1; // %R is 0 then: above −20.
  return 5n * from > 4n * range ? 1 : 5n * from < range ? -1 : 0;
}

const sgn = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0);

/** DESIGN 5b's score of a candidate of side s at candle t (weights 1 unless given, no order book). */
export function oScore(ind: OracleIndicators, bars: readonly Bar[], t: number, side: 'long' | 'short', volumeFactor: number, proximityPct: number, weights: Readonly<Record<string, number>> = {}): number {
  const s = side === 'long' ? 1 : -1;
  const c = bars[t]!.close;
  const w = (k: string) => weights[k] ?? 1;
  const at = (x: S) => x[t] ?? null;
  const votes: Record<string, number> = {
    ema: at(ind.ema) === null ? 0 : sgn(c - at(ind.ema)!),
    momentum: at(ind.momentum) === null ? 0 : sgn(at(ind.momentum)!),
    cci: at(ind.cci) === null ? 0 : at(ind.cci)! < -100 ? 1 : at(ind.cci)! > 100 ? -1 : 0,
    willr: oWillrVote(bars, t, 14),
    psar: at(ind.psar) === null ? 0 : at(ind.psar)! < c ? 1 : at(ind.psar)! > c ? -1 : 0,
    vwap: at(ind.vwap) === null ? 0 : sgn(c - at(ind.vwap)!),
    mfi: at(ind.mfi) === null ? 0 : at(ind.mfi)! < 20 ? 1 : at(ind.mfi)! > 80 ? -1 : 0,
    bb: at(ind.bbLower) === null ? 0 : c <= at(ind.bbLower)! ? 1 : c >= at(ind.bbUpper)! ? -1 : 0,
    fisher: t === 0 || at(ind.fisher) === null || ind.fisher[t - 1] === null ? 0 : sgn(at(ind.fisher)! - ind.fisher[t - 1]!),
    obImbalance: 0,
  };
  let score = 0;
  for (const [k, vote] of Object.entries(votes)) score += w(k) * vote * s;
  const vr = at(ind.volRatio);
  if (vr !== null && vr >= volumeFactor) score += w('volume');
  const near = [ind.fib382, ind.fib500, ind.fib618].some((f) => at(f) !== null && Math.abs(c - at(f)!) <= (proximityPct / 100) * at(f)!);
  if (near) score += w('fib');
  return score;
}
