/**
 * Independent batch recomputations of each indicator, written the plain way (each window summed or
 * scanned from scratch, two-pass variance), to check the incremental classes against. Deliberately
 * not sharing code with src/indicators.
 */
type Out = (number | null)[];

export function batchSma(xs: readonly number[], n: number): Out {
  return xs.map((_, i) => {
    if (i < n - 1) return null;
    let s = 0;
    for (let j = i - n + 1; j <= i; j++) s += xs[j]!;
    return s / n;
  });
}

/** SMA over a series with leading nulls: defined once `n` consecutive defined values exist. */
export function batchSmaOfSeries(xs: Out, n: number): Out {
  return xs.map((_, i) => {
    if (i < n - 1) return null;
    let s = 0;
    for (let j = i - n + 1; j <= i; j++) {
      const x = xs[j];
      if (x === null || x === undefined) return null;
      s += x;
    }
    return s / n;
  });
}

export function batchEma(xs: readonly number[], n: number): Out {
  const out: Out = [];
  let ema: number | null = null;
  const k = 2 / (n + 1);
  for (let i = 0; i < xs.length; i++) {
    if (i === n - 1) ema = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
    else if (ema !== null) ema = xs[i]! * k + ema * (1 - k);
    out.push(ema);
  }
  return out;
}

export function batchRsi(xs: readonly number[], n: number): Out {
  const out: Out = [null];
  let ag = 0;
  let al = 0;
  for (let i = 1; i < xs.length; i++) {
    if (i < n) {
      out.push(null);
      continue;
    }
    if (i === n) {
      let g = 0;
      let l = 0;
      for (let j = 1; j <= n; j++) {
        const ch = xs[j]! - xs[j - 1]!;
        if (ch > 0) g += ch;
        else l -= ch;
      }
      ag = g / n;
      al = l / n;
    } else {
      const ch = xs[i]! - xs[i - 1]!;
      ag = (ag * (n - 1) + Math.max(ch, 0)) / n;
      al = (al * (n - 1) + Math.max(-ch, 0)) / n;
      if (ch === 0) {
        // Exactly, both averages shrink by (n−1)/n and RSI keeps its value (DESIGN's real numbers);
        // recomputed in doubles it wobbles by an ulp, which StochRSI's raw turns into 0–100 noise.
        out.push(out[i - 1]!);
        continue;
      }
    }
    out.push(al === 0 ? (ag === 0 ? 50 : 100) : 100 - 100 / (1 + ag / al));
  }
  return out;
}

function windowOf(xs: Out, i: number, n: number): number[] | null {
  if (i < n - 1) return null;
  const w: number[] = [];
  for (let j = i - n + 1; j <= i; j++) {
    const x = xs[j];
    if (x === null || x === undefined) return null;
    w.push(x);
  }
  return w;
}

export function batchMax(xs: Out, n: number): Out {
  return xs.map((_, i) => {
    const w = windowOf(xs, i, n);
    return w === null ? null : Math.max(...w);
  });
}

export function batchMin(xs: Out, n: number): Out {
  return xs.map((_, i) => {
    const w = windowOf(xs, i, n);
    return w === null ? null : Math.min(...w);
  });
}

export function batchStochastic(xs: Out, n: number): Out {
  return xs.map((x, i) => {
    const w = windowOf(xs, i, n);
    if (w === null || x === null || x === undefined) return null;
    const hi = Math.max(...w);
    const lo = Math.min(...w);
    return hi === lo ? 0 : (100 * (x - lo)) / (hi - lo);
  });
}

export function batchStochRsi(closes: readonly number[], rsiLen: number, stochLen: number, k: number, d: number): { k: Out; d: Out } {
  const raw = batchStochastic(batchRsi(closes, rsiLen), stochLen);
  const kk = batchSmaOfSeries(raw, k);
  return { k: kk, d: batchSmaOfSeries(kk, d) };
}

export function batchAtr(hlc: readonly { high: number; low: number; close: number }[], n: number): Out {
  const tr = hlc.map((c, i) =>
    i === 0 ? c.high - c.low : Math.max(c.high - c.low, Math.abs(c.high - hlc[i - 1]!.close), Math.abs(c.low - hlc[i - 1]!.close)),
  );
  const out: Out = [];
  let atr: number | null = null;
  for (let i = 0; i < tr.length; i++) {
    if (i === n - 1) atr = tr.slice(0, n).reduce((a, b) => a + b, 0) / n;
    else if (atr !== null) atr = (atr * (n - 1) + tr[i]!) / n;
    out.push(atr);
  }
  return out;
}

export function batchLogReturnStdev(xs: readonly number[], n: number): Out {
  return xs.map((_, i) => {
    if (i < n) return null;
    const r: number[] = [];
    for (let j = i - n + 1; j <= i; j++) r.push(Math.log(xs[j]! / xs[j - 1]!));
    const mean = r.reduce((a, b) => a + b, 0) / n;
    return Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  });
}

/** Pivot of index i reported at index i + right, per DESIGN section 5. */
export function batchPivot(xs: readonly number[], kind: 'high' | 'low', left: number, right: number): Out {
  const out: Out = xs.map(() => null);
  for (let i = left; i + right < xs.length; i++) {
    let ok = true;
    for (let j = i - left; j <= i + right && ok; j++) {
      if (j === i) continue;
      ok = kind === 'high' ? xs[i]! > xs[j]! : xs[i]! < xs[j]!;
    }
    if (ok) out[i + right] = xs[i]!;
  }
  return out;
}
