/**
 * `backtest --data` checks the whole file before it reports anything (issue 18): a bad line anywhere,
 * even after `--to` or near the end of a long file, and a smallest step between candles that shows
 * only late in the file, give the same answer as a file that is wrong from its first lines: the
 * message naming the line (or the interval), exit 2, and no JSON or HTML written. A single run
 * reads its file once, so these are the cases where it must notice late that its first figures
 * were wrong. Through the real bundle, on real candles (data/bybit-BTCUSDT-*.csv.gz).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../src/backtest/backtestReport.js';
import { formatCandleCsv, readCandleFile } from '../../src/domain/candleCsv.js';
import type { Candle } from '../../src/domain/types.js';
import { runBot } from '../helpers/cli.js';

const BTC_1M = readCandleFile(fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url)));
const BTC_5M = readCandleFile(fileURLToPath(new URL('../../data/bybit-BTCUSDT-5m.csv.gz', import.meta.url)));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-backtest-checks-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function backtest(args: string[]) {
  return runBot(['backtest', ...args, '--state-dir', 'st', '--json', 'out.json', '--html', 'out.html'], { cwd: dir, env: { NO_COLOR: '1' }, timeoutMs: 120_000 });
}

/** The CSV text of `candles` with data line `lineNo` (2 = the first candle) replaced by `line`. */
function withLine(candles: readonly Candle[], lineNo: number, line: string): string {
  const lines = formatCandleCsv(candles).split('\n');
  lines[lineNo - 1] = line;
  return lines.join('\n');
}

function expectRefused(r: { code: number | null; stdout: string; stderr: string }, message: string): void {
  expect(r.code, r.stderr).toBe(2);
  // The message, then the usage: nothing of a run is printed.
  expect(r.stderr.slice(0, r.stderr.indexOf('\n\nUsage: '))).toBe(message);
  expect(r.stdout).toBe('');
  expect(existsSync(join(dir, 'out.json'))).toBe(false);
  expect(existsSync(join(dir, 'out.html'))).toBe(false);
}

describe('a bad line is reported as the whole command\'s answer, wherever it is in the file', () => {
  const last = BTC_1M.length + 1;
  const bad = BTC_1M.at(-3)!;
  const badLine = `${bad.ts},${bad.open},${bad.high},oops,${bad.close},${bad.volume}`;

  it('near the end of a plain file', async () => {
    writeFileSync(join(dir, 'bybit-BTCUSDT-1m.csv'), withLine(BTC_1M, last - 2, badLine));
    const r = await backtest(['--data', 'bybit-BTCUSDT-1m.csv']);
    expectRefused(r, `cannot read --data bybit-BTCUSDT-1m.csv: ${join(dir, 'bybit-BTCUSDT-1m.csv')}: line ${last - 2} has a field that is not a number: "${badLine}"`);
  });

  it('near the end of a .csv.gz file, after the --to of the window', async () => {
    writeFileSync(join(dir, 'bybit-BTCUSDT-1m.csv.gz'), gzipSync(withLine(BTC_1M, last - 2, badLine)));
    const r = await backtest(['--data', 'bybit-BTCUSDT-1m.csv.gz', '--from', '2025-06-05', '--to', '2025-06-06']);
    expectRefused(r, `cannot read --data bybit-BTCUSDT-1m.csv.gz: ${join(dir, 'bybit-BTCUSDT-1m.csv.gz')}: line ${last - 2} has a field that is not a number: "${badLine}"`);
  });

  it('out of order on the last line, which has no newline', async () => {
    const text = formatCandleCsv(BTC_1M).trimEnd();
    const lastLine = text.slice(text.lastIndexOf('\n') + 1);
    const early = `${BTC_1M[5]!.ts}${lastLine.slice(lastLine.indexOf(','))}`;
    writeFileSync(join(dir, 'bybit-BTCUSDT-1m.csv'), `${text.slice(0, text.lastIndexOf('\n') + 1)}${early}`);
    const r = await backtest(['--data', 'bybit-BTCUSDT-1m.csv']);
    expectRefused(r, `cannot read --data bybit-BTCUSDT-1m.csv: ${join(dir, 'bybit-BTCUSDT-1m.csv')}: line ${last}: ts ${BTC_1M[5]!.ts} is not after the previous row's ${BTC_1M.at(-2)!.ts}`);
  });

  it('in the first lines, as before', async () => {
    writeFileSync(join(dir, 'bybit-BTCUSDT-1m.csv'), withLine(BTC_1M, 3, '1,2,3'));
    const r = await backtest(['--data', 'bybit-BTCUSDT-1m.csv']);
    expectRefused(r, `cannot read --data bybit-BTCUSDT-1m.csv: ${join(dir, 'bybit-BTCUSDT-1m.csv')}: line 3 has 3 fields, expected 6`);
  });
});

describe('the interval is the smallest step of the whole file', () => {
  /** The 5m candles with one candle a minute after a late one (a flat candle at its close). */
  function lateOneMinuteStep(): Candle[] {
    const at = BTC_5M.length - 20;
    const c = BTC_5M[at]!;
    return [...BTC_5M.slice(0, at + 1), { ts: c.ts + 60_000, open: c.close, high: c.close, low: c.close, close: c.close, volume: 0 }, ...BTC_5M.slice(at + 1)];
  }

  it('a file named 5m whose one 1-minute step comes late is refused', async () => {
    writeFileSync(join(dir, 'bybit-BTCUSDT-5m.csv'), formatCandleCsv(lateOneMinuteStep()));
    const r = await backtest(['--data', 'bybit-BTCUSDT-5m.csv']);
    expectRefused(r, 'bybit-BTCUSDT-5m.csv: the candles are 1 minutes apart, not 5');
  });

  it('--interval 5 on such a file is refused', async () => {
    writeFileSync(join(dir, 'candles.csv'), formatCandleCsv(lateOneMinuteStep()));
    const r = await backtest(['--data', 'candles.csv', '--interval', '5']);
    expectRefused(r, 'candles.csv: the candles are 1 minutes apart, not 5');
  });

  it('a file whose name does not say is run at the smallest step, found late', async () => {
    const candles = lateOneMinuteStep();
    writeFileSync(join(dir, 'candles.csv'), formatCandleCsv(candles));
    const r = await backtest(['--data', 'candles.csv']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as BacktestReport;
    expect(report.data.interval).toBe(1);
    expect(r.stderr).toMatch(/^BTCUSDT scalper 1m, /m);
    // The same file named for its true interval (1m) gives the same report, apart from the name.
    writeFileSync(join(dir, 'bybit-BTCUSDT-1m.csv'), formatCandleCsv(candles));
    const named = await backtest(['--data', 'bybit-BTCUSDT-1m.csv']);
    expect(named.code, named.stderr).toBe(0);
    const { perf: _a, data: da, ...a } = report as BacktestReport & { perf?: unknown };
    const { perf: _b, data: db, ...b } = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as BacktestReport & { perf?: unknown };
    expect(a).toEqual(b);
    expect({ ...da, file: '' }).toEqual({ ...db, file: '' });
  });
});
