/**
 * Issue 21: a backtest streamed from its file (never held whole) gives the same run as the same
 * candles held in memory, and the report written piece by piece is byte for byte the one
 * `JSON.stringify` makes of the whole report object.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { backtestReport, metricsOf, reportHead } from '../../src/backtest/backtestReport.js';
import { arrayCandleSource, fileCandleSource } from '../../src/backtest/candleSource.js';
import { CandleTimes } from '../../src/backtest/candleTimes.js';
import { writeReportFile, writeReportJson } from '../../src/backtest/reportJson.js';
import type { BacktestRun } from '../../src/backtest/runBacktest.js';
import { runConfiguredBacktest } from '../../src/cli/backtest.js';
import { parseConfigText } from '../../src/config/load.js';
import { formatCandleCsv, readCandleFile } from '../../src/domain/candleCsv.js';

const BTC_1M = readCandleFile(fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url)));
const tmp = mkdtempSync(join(tmpdir(), 'streamed-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function config(strategy: 'scalper' | 'maker') {
  const entry = strategy === 'maker' ? { strategy, params: { orderQty: 0.001 } } : { strategy };
  return parseConfigText(JSON.stringify({ risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 20 } }, symbols: [{ symbol: 'BTCUSDT', ...entry }] }), 't.json').config;
}

/** What a run reports, perf aside (wall time differs between any two runs). */
const comparable = (run: BacktestRun): unknown => {
  const { perf: _perf, ...rest } = backtestReport(run, { file: 'f', params: {} });
  return { ...rest, notes: run.notes, journal: run.journal, exposed: run.exposedCandles };
};

describe('a backtest streamed from its file', () => {
  const candles = BTC_1M.slice(0, 8000);
  const file = join(tmp, 'bybit-BTCUSDT-1m.csv.gz');
  writeFileSync(file, gzipSync(formatCandleCsv(candles)));

  it('counts and checks the file first: count, first and last time, smallest step', async () => {
    const source = await fileCandleSource(file);
    expect({ count: source.count, firstTs: source.firstTs, lastTs: source.lastTs, minStepMs: source.minStepMs }).toEqual({
      count: 8000,
      firstTs: candles[0]!.ts,
      lastTs: candles[7999]!.ts,
      minStepMs: 60_000,
    });
  });

  for (const strategy of ['scalper', 'maker'] as const) {
    it(`${strategy}: the same trades, curve, journal and notes as the candles held in memory, for the whole file and a --from/--to window`, async () => {
      const source = await fileCandleSource(file);
      const held = await runConfiguredBacktest(config(strategy), { candles, intervalMinutes: 1 });
      const streamed = await runConfiguredBacktest(config(strategy), { candles: source, intervalMinutes: 1 });
      expect(streamed.trades.length, 'enough trades to mean something').toBeGreaterThan(strategy === 'maker' ? 20 : 5);
      expect(comparable(streamed)).toEqual(comparable(held));
      const window = { fromMs: candles[3000]!.ts + 1, toMs: candles[6500]!.ts };
      expect(comparable(await runConfiguredBacktest(config(strategy), { candles: source, intervalMinutes: 1 }, window))).toEqual(
        comparable(await runConfiguredBacktest(config(strategy), { candles: arrayCandleSource(candles), intervalMinutes: 1 }, window)),
      );
    });

    it(`${strategy}: the report written piece by piece is byte for byte JSON.stringify of the report object`, async () => {
      const run = await runConfiguredBacktest(config(strategy), { candles: candles.slice(0, 4000), intervalMinutes: 1 });
      const meta = { file: 'dätä/ü.csv', params: { a: 1, b: undefined, c: 'x"y' } };
      const want = JSON.stringify(backtestReport(run, meta, metricsOf(run))) + '\n';
      let text = '';
      writeReportJson(reportHead(run, meta), run, { write: (s) => void (text += s) });
      expect(text).toBe(want);
      const out = join(tmp, `${strategy}.json`);
      writeReportFile(out, reportHead(run, meta), run);
      expect(readFileSync(out, 'utf8')).toBe(want);
    });
  }
});

describe('CandleTimes', () => {
  it('gives back every pushed time, across gaps and uneven steps', () => {
    const pushed = [0, 60_000, 120_000, 600_000, 660_000, 661_000, 10_000_000, 10_060_000];
    const times = new CandleTimes(60_000);
    for (const t of pushed) times.push(t);
    expect(times.length).toBe(pushed.length);
    expect(Array.from({ length: times.length }, (_, i) => times.at(i))).toEqual(pushed);
  });

  it('a gap-free year of 1m candles is exact at its last minute', () => {
    const times = new CandleTimes(60_000);
    const t0 = Date.UTC(2025, 0, 1);
    for (let i = 0; i < 525_600; i++) times.push(t0 + i * 60_000);
    expect(times.at(525_599)).toBe(t0 + 525_599 * 60_000);
  });
});
