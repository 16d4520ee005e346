/**
 * The shared contract every indicator keeps (STYLE points 2 and 13, issue 5): its warm-up length,
 * determinism, equality with an independent batch recomputation on the real data in data/, and no
 * look-ahead (the output for the first N candles does not change when more candles are appended).
 */
import { describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/types.js';
import { Atr } from '../../src/indicators/atr.js';
import { Ema } from '../../src/indicators/ema.js';
import type { Indicator } from '../../src/indicators/indicator.js';
import { LogReturnStdev } from '../../src/indicators/logReturnStdev.js';
import { Pivot } from '../../src/indicators/pivot.js';
import { RollingExtreme } from '../../src/indicators/rollingExtreme.js';
import { RollingStochastic } from '../../src/indicators/rollingStochastic.js';
import { Rsi } from '../../src/indicators/rsi.js';
import { Sma } from '../../src/indicators/sma.js';
import { StochRsi } from '../../src/indicators/stochRsi.js';
import {
  batchAtr,
  batchEma,
  batchLogReturnStdev,
  batchMax,
  batchMin,
  batchPivot,
  batchRsi,
  batchSma,
  batchStochastic,
  batchStochRsi,
} from './batch.js';
import { realCandles, type DataFile } from './realData.js';

type Out = (number | null)[];
type State = Pick<Indicator, 'value' | 'isStable' | 'requiredInputs'>;

interface Runner {
  readonly state: State;
  step(c: Candle): number | null;
}

interface Case {
  readonly name: string;
  /** Expected requiredInputs: the input count at which the first output appears. */
  readonly warmup: number;
  /** Pivots: after warm-up most outputs are still null (no pivot confirmed on that candle). */
  readonly sparse?: boolean;
  /** Relative tolerance against the batch recomputation. */
  readonly tolerance?: number;
  make(): Runner;
  batch(candles: readonly Candle[]): Out;
}

function on<In>(indicator: Indicator<In>, pick: (c: Candle) => In): Runner {
  return { state: indicator, step: (c) => indicator.update(pick(c)) };
}

const closes = (cs: readonly Candle[]) => cs.map((c) => c.close);
const close = (c: Candle) => c.close;

const cases: Case[] = [
  { name: 'Sma(20)', warmup: 20, make: () => on(new Sma(20), close), batch: (cs) => batchSma(closes(cs), 20) },
  { name: 'Sma(1)', warmup: 1, make: () => on(new Sma(1), close), batch: (cs) => batchSma(closes(cs), 1) },
  { name: 'Ema(20)', warmup: 20, make: () => on(new Ema(20), close), batch: (cs) => batchEma(closes(cs), 20) },
  { name: 'Rsi(14)', warmup: 15, make: () => on(new Rsi(14), close), batch: (cs) => batchRsi(closes(cs), 14) },
  { name: 'Rsi(2)', warmup: 3, make: () => on(new Rsi(2), close), batch: (cs) => batchRsi(closes(cs), 2) },
  { name: 'RollingExtreme(14, max)', warmup: 14, make: () => on(new RollingExtreme(14, 'max'), close), batch: (cs) => batchMax(closes(cs), 14) },
  { name: 'RollingExtreme(14, min)', warmup: 14, make: () => on(new RollingExtreme(14, 'min'), close), batch: (cs) => batchMin(closes(cs), 14) },
  { name: 'RollingStochastic(14)', warmup: 14, make: () => on(new RollingStochastic(14), close), batch: (cs) => batchStochastic(closes(cs), 14) },
  {
    name: 'StochRsi(14,14,3,3) K',
    warmup: 30,
    tolerance: 1e-7,
    make: () => on(new StochRsi({ rsiLength: 14, stochLength: 14, kSmoothing: 3, dSmoothing: 3 }), close),
    batch: (cs) => batchStochRsi(closes(cs), 14, 14, 3, 3).k,
  },
  {
    name: 'StochRsi(14,14,3,3) D',
    warmup: 32,
    tolerance: 1e-7,
    make: () => {
      const s = new StochRsi({ rsiLength: 14, stochLength: 14, kSmoothing: 3, dSmoothing: 3 });
      return {
        state: { get value() { return s.d; }, get isStable() { return s.d !== null; }, requiredInputs: s.requiredInputsD },
        step: (c) => (s.update(c.close), s.d),
      };
    },
    batch: (cs) => batchStochRsi(closes(cs), 14, 14, 3, 3).d,
  },
  {
    name: 'StochRsi(5,7,2,4) K',
    warmup: 13,
    tolerance: 1e-7,
    make: () => on(new StochRsi({ rsiLength: 5, stochLength: 7, kSmoothing: 2, dSmoothing: 4 }), close),
    batch: (cs) => batchStochRsi(closes(cs), 5, 7, 2, 4).k,
  },
  { name: 'Atr(14)', warmup: 14, make: () => on(new Atr(14), (c) => c), batch: (cs) => batchAtr(cs, 14) },
  { name: 'LogReturnStdev(30)', warmup: 31, tolerance: 1e-7, make: () => on(new LogReturnStdev(30), close), batch: (cs) => batchLogReturnStdev(closes(cs), 30) },
  { name: 'Pivot high(2,1)', warmup: 4, sparse: true, make: () => on(new Pivot('high', 2, 1), (c) => c.high), batch: (cs) => batchPivot(cs.map((c) => c.high), 'high', 2, 1) },
  { name: 'Pivot low(2,1)', warmup: 4, sparse: true, make: () => on(new Pivot('low', 2, 1), (c) => c.low), batch: (cs) => batchPivot(cs.map((c) => c.low), 'low', 2, 1) },
  { name: 'Pivot high(5,3)', warmup: 9, sparse: true, make: () => on(new Pivot('high', 5, 3), (c) => c.high), batch: (cs) => batchPivot(cs.map((c) => c.high), 'high', 5, 3) },
  { name: 'Pivot low(3,0)', warmup: 4, sparse: true, make: () => on(new Pivot('low', 3, 0), (c) => c.low), batch: (cs) => batchPivot(cs.map((c) => c.low), 'low', 3, 0) },
];

function run(c: Case, candles: readonly Candle[]): Out {
  const r = c.make();
  return candles.map((x) => r.step(x));
}

const FILES: DataFile[] = ['bybit-BTCUSDT-1m.csv.gz', 'bybit-ETHUSDT-1m.csv.gz', 'bybit-BTCUSDT-5m.csv.gz'];

/** Many prefix lengths: every N around warm-up, then a spread over the whole file (deterministic). */
function prefixLengths(total: number): number[] {
  const ns = new Set<number>();
  for (let n = 1; n <= 70; n++) ns.add(n);
  let x = 12345;
  for (let i = 0; i < 16; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    ns.add(71 + (x % (total - 71)));
  }
  ns.add(total - 1);
  return [...ns].sort((a, b) => a - b);
}

describe.each(cases)('indicator contract: $name', (c) => {
  const candles = realCandles();

  it('warms up after exactly requiredInputs inputs, and says so through isStable', () => {
    const r = c.make();
    expect(r.state.requiredInputs).toBe(c.warmup);
    let firstOutput = -1;
    for (let i = 0; i < 400; i++) {
      const out = r.step(candles[i]!);
      expect(r.state.value, 'value is the last output').toBe(out);
      if (out !== null && firstOutput < 0) firstOutput = i;
      expect(r.state.isStable, `isStable after ${i + 1} inputs`).toBe(i + 1 >= c.warmup);
      if (i + 1 < c.warmup) expect(out, `no output before warm-up (input ${i + 1})`).toBeNull();
      else if (!c.sparse) expect(out, `output at input ${i + 1}`).not.toBeNull();
    }
    expect(firstOutput).toBeGreaterThanOrEqual(c.warmup - 1);
    if (!c.sparse) expect(firstOutput).toBe(c.warmup - 1);
  });

  it('is deterministic: the same candles give bit-identical outputs', () => {
    const a = run(c, candles);
    const b = run(c, candles);
    expect(a.every((x, i) => Object.is(x, b[i]))).toBe(true);
  });

  it.each(FILES)('equals a batch recomputation on %s', (file) => {
    const cs = realCandles(file);
    const inc = run(c, cs);
    const ref = c.batch(cs);
    const tol = c.tolerance ?? 1e-9;
    let defined = 0;
    for (let i = 0; i < cs.length; i++) {
      const a = inc[i]!;
      const b = ref[i]!;
      if (a === null || b === null) {
        if (a !== b) expect.fail(`${c.name} at candle ${i} (${cs[i]!.ts}): incremental ${a}, batch ${b}`);
        continue;
      }
      defined++;
      if (Math.abs(a - b) > tol * Math.max(1, Math.abs(b))) expect.fail(`${c.name} at candle ${i}: incremental ${a}, batch ${b}`);
    }
    expect(defined, 'the comparison covered real values').toBeGreaterThan(c.sparse ? cs.length / 20 : cs.length - 100);
  });

  it('never looks ahead: the first N outputs do not change when candles are appended', () => {
    const full = run(c, candles);
    for (const n of prefixLengths(candles.length)) {
      const prefix = run(c, candles.slice(0, n));
      for (let i = 0; i < n; i++) {
        if (!Object.is(prefix[i], full[i])) expect.fail(`${c.name}: output ${i} is ${prefix[i]} with ${n} candles but ${full[i]} with all`);
      }
    }
  });
});
