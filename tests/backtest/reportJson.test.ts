/**
 * The report written piece by piece (src/backtest/reportJson.ts) is byte for byte
 * `JSON.stringify(backtestReport(...)) + '\n'`, the slow path it replaces, for curves built to hit
 * the edges of its fast path (issue 18): a point repeated with its time moved on, across a time that
 * gains a digit, past the safe integers, across a gap, across the 64 KB pieces and the curves'
 * 4,096-number blocks, with -0, NaN, ±Infinity and long numbers in the curve.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { backtestReport, metricsOf, reportHead } from '../../src/backtest/backtestReport.js';
import { arrayCandleSource } from '../../src/backtest/candleSource.js';
import { CandleTimes } from '../../src/backtest/candleTimes.js';
import { CurveValues } from '../../src/backtest/curveValues.js';
import { writeReportFile, writeReportJson } from '../../src/backtest/reportJson.js';
import type { BacktestRun } from '../../src/backtest/runBacktest.js';
import { runConfiguredBacktest } from '../../src/cli/backtest.js';
import { parseConfigText } from '../../src/config/load.js';
import { readCandleFile } from '../../src/domain/candleCsv.js';

const BTC_1M = readCandleFile(fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url)));
const tmp = mkdtempSync(join(tmpdir(), 'report-json-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = parseConfigText(JSON.stringify({ symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }), 't.json').config;

/** Times from `start`, `step` apart, with the gaps given (index → extra ms before that candle). */
function timesOf(n: number, start: number, stepMs: number, gaps: Record<number, number> = {}): CandleTimes {
  const times = new CandleTimes(stepMs);
  let t = start;
  for (let i = 0; i < n; i++) {
    if (i > 0) t += stepMs + (gaps[i] ?? 0);
    times.push(t);
  }
  return times;
}

/** Long flat stretches with changes, -0, NaN, ±Infinity and long numbers here and there. */
function valuesOf(n: number): CurveValues {
  const odd = [-0, NaN, Infinity, -Infinity, 1e21, 5e-324, -1.2345678901234567e-300, 0.1 + 0.2, 1000.00000001];
  const values = new CurveValues();
  let v = 1000;
  for (let i = 0; i < n; i++) {
    if (i % 997 === 500) v = odd[((i / 997) | 0) % odd.length]!;
    else if (i % 997 === 520) v = 1000 + i / 8;
    else if (i >= 9000 && i < 9100) v = i % 3 === 0 ? 0 : -0;
    values.push(v);
  }
  return values;
}

describe('the backtest JSON written piece by piece', () => {
  it('is byte for byte JSON.stringify of the report object, at the edges of repeating a point with its time moved on', async () => {
    const base = await runConfiguredBacktest(config, { candles: arrayCandleSource(BTC_1M.slice(0, 300)), intervalMinutes: 1 });
    const meta = { file: 'dätä.csv', params: { a: 1 } };
    const n = 12_000;
    const cases: [string, CandleTimes][] = [
      ['1m times gaining a digit', timesOf(n, 1e11 - 5000 * 60_000, 60_000)],
      ['a small clock, a step without trailing zeros', timesOf(n, 0, 7)],
      ['times past the safe integers', timesOf(n, 2 ** 53 - 3000 * 60_000, 60_000)],
      ['an odd step past the safe integers', timesOf(n, 2 ** 53 - 3000 * 7, 7)],
      ['gaps inside flat stretches', timesOf(n, Date.UTC(2025, 5, 1), 60_000, { 700: 60_000, 4100: 1, 8000: 3_600_000 })],
      ['a step with many trailing zeros across a carry chain', timesOf(n, 999_999_999_000_000 - 7 * 86_400_000, 86_400_000)],
    ];
    for (const [what, times] of cases) {
      for (const strategy of ['scalper', 'maker'] as const) {
        const run: BacktestRun = { ...base, strategy, times, equity: valuesOf(n), inventory: valuesOf(n) };
        const want = JSON.stringify(backtestReport(run, meta, metricsOf(base))) + '\n';
        let text = '';
        writeReportJson(reportHead(run, meta, metricsOf(base)), run, { write: (s) => void (text += s) });
        expect(text === want, `${what}, ${strategy}: as text`).toBe(true);
        const out = join(tmp, 'r.json');
        writeReportFile(out, reportHead(run, meta, metricsOf(base)), run);
        expect(readFileSync(out, 'utf8') === want, `${what}, ${strategy}: as a file`).toBe(true);
      }
    }
  });
});
