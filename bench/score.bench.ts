/**
 * What the DESIGN 5b indicator set and signal score cost (issue 24 item 1): the scalper backtest
 * over the real BTCUSDT 1m candles with the score off (minScore unset: the set is not even built),
 * and on (minScore -1000, so every candidate is scored and passes, the same work as any minScore);
 * then the indicator set alone, per candle. Steady state: median of runs 6-9 in one process.
 */
import { join } from 'node:path';
import { runBacktest } from '../src/backtest/runBacktest.js';
import { engineSettingsFrom, strategyFor } from '../src/cli/wiring.js';
import { parseConfigText } from '../src/config/load.js';
import { readCandleFile } from '../src/domain/candleCsv.js';
import { ScalperSignals } from '../src/strategies/scalperSignals.js';
import { DEFAULT_SCALPER_PARAMS } from '../src/strategies/scalperParams.js';
import { SignalScore } from '../src/strategies/signalScore.js';
import { DEFAULT_SCORE_WEIGHTS } from '../src/strategies/scoreParams.js';
import { projectRoot, report, type Figure } from './harness.js';

const candles = readCandleFile(join(projectRoot(), 'data', 'bybit-BTCUSDT-1m.csv.gz'));
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function backtestCps(params: Record<string, unknown>): Promise<{ cps: number; trades: number }> {
  const cfg = parseConfigText(JSON.stringify({ symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper', params }] }), 'bench.json').config;
  const cps: number[] = [];
  let trades = 0;
  for (let i = 0; i < 9; i++) {
    const run = await runBacktest({ candles, intervalMinutes: 1, settings: engineSettingsFrom(cfg), strategy: strategyFor(cfg.symbols[0]!), costs: cfg.paper });
    if (i >= 5) cps.push((run.candles * 1000) / run.loopMs);
    trades = run.trades.length;
  }
  return { cps: median(cps), trades };
}

function nsPerCandle(make: () => { update(c: (typeof candles)[number]): unknown }): number {
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const x = make();
    const t0 = performance.now();
    for (const c of candles) x.update(c);
    if (i >= 5) times.push(((performance.now() - t0) * 1e6) / candles.length);
  }
  return median(times);
}

const off = await backtestCps({});
const on = await backtestCps({ score: { minScore: -1000 } });
const signalsOff = nsPerCandle(() => new ScalperSignals(DEFAULT_SCALPER_PARAMS));
const signalsOn = nsPerCandle(() => new ScalperSignals({ ...DEFAULT_SCALPER_PARAMS, score: { minScore: -1000, weights: { ...DEFAULT_SCORE_WEIGHTS } } }));
const set = nsPerCandle(() => new SignalScore({ weights: DEFAULT_SCORE_WEIGHTS, volumeFactor: 1.5, proximityPct: 0.3 }));

const figures: Figure[] = [
  { name: `scalper backtest, score off (${off.trades} trades)`, value: off.cps, unit: 'candles/s' },
  { name: `scalper backtest, score on, minScore -1000 (${on.trades} trades)`, value: on.cps, unit: 'candles/s' },
  { name: 'ScalperSignals per candle, score off', value: signalsOff, unit: 'ns' },
  { name: 'ScalperSignals per candle, score on', value: signalsOn, unit: 'ns' },
  { name: 'the indicator set alone (SignalScore.update) per candle', value: set, unit: 'ns' },
];
report('score', figures);
