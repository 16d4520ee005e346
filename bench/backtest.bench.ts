/**
 * Backtest throughput (issue 9, "Done when"): the scalper over the real BTCUSDT 1m candles, through
 * the real engine and simulator, in candles per second of the candle loop (net of start-up: config,
 * engine start, warm-up). Goal: at least 1 million candles per second, applied to the steady state
 * (see measure); the first, JIT-cold run is reported beside it. The maker and a run with the protections relaxed (more trades) are informational.
 */
import { join } from 'node:path';
import { runBacktest, type BacktestRun } from '../src/backtest/runBacktest.js';
import { engineSettingsFrom, strategyFor } from '../src/cli/wiring.js';
import { parseConfigText } from '../src/config/load.js';
import { readCandleFile } from '../src/domain/candleCsv.js';
import { projectRoot, report, type Figure } from './harness.js';

const t0 = performance.now();
const candles = readCandleFile(join(projectRoot(), 'data', 'bybit-BTCUSDT-1m.csv.gz'));
const parseMs = performance.now() - t0;

/**
 * One process, one config, 15 runs over the month: the first is what a single `backtest` command
 * sees (the JIT still cold); the median of runs 11-15 is the steady state, after the JIT has
 * optimised the hot paths. Both exclude reading the file and the engine's start and warm-up.
 */
async function measure(config: Record<string, unknown>): Promise<{ cps: number; coldCps: number; startMs: number; run: BacktestRun }> {
  const cfg = parseConfigText(JSON.stringify(config), 'bench.json').config;
  const runs: BacktestRun[] = [];
  for (let i = 0; i < 15; i++) {
    runs.push(await runBacktest({ candles, intervalMinutes: 1, settings: engineSettingsFrom(cfg), strategy: strategyFor(cfg.symbols[0]!), costs: cfg.paper }));
  }
  const cold = runs[0]!;
  const timed = runs.slice(10).sort((a, b) => a.loopMs - b.loopMs);
  const mid = timed[Math.floor(timed.length / 2)]!;
  return { cps: (mid.candles * 1000) / mid.loopMs, coldCps: (cold.candles * 1000) / cold.loopMs, startMs: mid.wallMs - mid.loopMs, run: mid };
}

const scalper = await measure({ symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] });
const relaxed = await measure({ risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 20 } }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] });
const maker = await measure({ symbols: [{ symbol: 'BTCUSDT', strategy: 'maker' }] });

const figures: Figure[] = [
  { name: `scalper 1m, default config (${scalper.run.trades.length} trades)`, value: scalper.cps, unit: 'candles/s', goal: '>= 1,000,000', ok: scalper.cps >= 1_000_000 },
  { name: 'scalper 1m, default config, first run (JIT cold)', value: scalper.coldCps, unit: 'candles/s' },
  { name: `scalper 1m, protections relaxed (${relaxed.run.trades.length} trades)`, value: relaxed.cps, unit: 'candles/s' },
  { name: `maker 1m (${maker.run.trades.length} round trips)`, value: maker.cps, unit: 'candles/s' },
  { name: 'start-up: engine start + warm-up', value: scalper.startMs, unit: 'ms' },
  { name: `read ${candles.length} candles (.csv.gz)`, value: parseMs, unit: 'ms' },
];
report('backtest', figures);
