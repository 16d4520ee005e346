/**
 * Indicator update cost (ns per candle) and scalper throughput over the real BTCUSDT 1m data
 * (issue 5: goal ≥ 2 million candles per second for indicators + signal). Each figure is the best
 * of several timed runs, each run several passes over the ~44.6k candles with fresh state.
 */
import { join } from 'node:path';
import { readCandleFile } from '../src/domain/candleCsv.js';
import type { Candle } from '../src/domain/types.js';
import { Atr } from '../src/indicators/atr.js';
import { Ema } from '../src/indicators/ema.js';
import { LogReturnStdev } from '../src/indicators/logReturnStdev.js';
import { Pivot } from '../src/indicators/pivot.js';
import { Rsi } from '../src/indicators/rsi.js';
import { Sma } from '../src/indicators/sma.js';
import { StochRsi } from '../src/indicators/stochRsi.js';
import { Maker } from '../src/strategies/maker.js';
import { Scalper } from '../src/strategies/scalper.js';
import { DEFAULT_SCALPER_PARAMS } from '../src/strategies/scalperParams.js';
import { ScalperSignals } from '../src/strategies/scalperSignals.js';
import { FLAT } from '../src/strategies/strategy.js';
import { type Figure, projectRoot, report } from './harness.js';

const candles = readCandleFile(join(projectRoot(), 'data', 'bybit-BTCUSDT-1m.csv.gz'));
const N = candles.length;
let sink = 0;

/** Best ns per candle over `runs` timed runs of `passes` passes each; `pass` returns a checksum. */
function measure(pass: (cs: readonly Candle[]) => number, passes = 20, runs = 7): number {
  for (let i = 0; i < 5; i++) sink += pass(candles); // let the JIT settle
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let p = 0; p < passes; p++) sink += pass(candles);
    const ns = Number(process.hrtime.bigint() - t0) / (passes * N);
    if (ns < best) best = ns;
  }
  return best;
}

function closes1(make: () => { update(x: number): number | null }): (cs: readonly Candle[]) => number {
  return (cs) => {
    const ind = make();
    let acc = 0;
    for (let i = 0; i < cs.length; i++) {
      const v = ind.update(cs[i]!.close);
      if (v !== null) acc += v;
    }
    return acc;
  };
}

const perIndicator: [string, (cs: readonly Candle[]) => number][] = [
  ['Sma(20)', closes1(() => new Sma(20))],
  ['Ema(20)', closes1(() => new Ema(20))],
  ['Rsi(14)', closes1(() => new Rsi(14))],
  ['StochRsi(14,14,3,3)', closes1(() => new StochRsi())],
  ['LogReturnStdev(30)', closes1(() => new LogReturnStdev(30))],
  [
    'Atr(14)',
    (cs) => {
      const a = new Atr(14);
      let acc = 0;
      for (let i = 0; i < cs.length; i++) acc += a.update(cs[i]!) ?? 0;
      return acc;
    },
  ],
  [
    'Pivot high + low (2,1)',
    (cs) => {
      const h = new Pivot('high', 2, 1);
      const l = new Pivot('low', 2, 1);
      let acc = 0;
      for (let i = 0; i < cs.length; i++) acc += (h.update(cs[i]!.high) ?? 0) + (l.update(cs[i]!.low) ?? 0);
      return acc;
    },
  ],
];

const figures: Figure[] = [];
for (const [name, pass] of perIndicator) {
  const ns = measure(pass);
  figures.push({ name: `${name} update`, value: ns, unit: 'ns/candle' });
}

// Indicators + signal: everything the scalper computes per candle (pivots, StochRSI, ATR), and the rule.
const signalsNs = measure((cs) => {
  const s = new ScalperSignals(DEFAULT_SCALPER_PARAMS);
  let n = 0;
  for (let i = 0; i < cs.length; i++) if (s.update(cs[i]!) !== null) n++;
  return n;
});
const perSec = 1e9 / signalsNs;
figures.push({ name: 'scalper indicators + signal', value: signalsNs, unit: 'ns/candle' });
figures.push({ name: 'scalper indicators + signal throughput', value: perSec, unit: 'candles/s', goal: '>= 2,000,000', ok: perSec >= 2_000_000 });

// The full Strategy call the engine makes, with intents (stop, targets, reason text) built.
const strategyNs = measure((cs) => {
  const s = new Scalper({ symbol: 'BTCUSDT', intervalMs: 60_000 });
  let n = 0;
  for (let i = 0; i < cs.length; i++) if (s.onCandle(cs[i]!, FLAT, cs[i]!.ts + 60_000) !== null) n++;
  return n;
});
figures.push({ name: 'Scalper.onCandle (intents built)', value: strategyNs, unit: 'ns/candle' });

const makerNs = measure((cs) => {
  const m = new Maker({ symbol: 'BTCUSDT' });
  let n = 0;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    m.onCandle(c, FLAT, c.ts + 60_000);
    if (m.onBook({ bidPrice: c.close - 0.1, bidQty: 1, askPrice: c.close, askQty: 1, ts: c.ts + 60_000 }, FLAT, c.ts + 60_000) !== null) n++;
  }
  return n;
}, 10);
figures.push({ name: 'Maker.onCandle + onBook (quote built)', value: makerNs, unit: 'ns/candle' });

process.stdout.write(`indicators: ${N} real BTCUSDT 1m candles per pass (checksum ${sink.toPrecision(6)})\n`);
report('indicators', figures);
