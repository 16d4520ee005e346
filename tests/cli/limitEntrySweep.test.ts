/**
 * Market against limit entries from the command line (issue 24 item 5): `backtest --set
 * entry.type=market,limit` through the real bundle sweeps the two, ranks them and saves both; the
 * market run is today's backtest unchanged, the limit run is the one a config with a limit entry
 * gives, and its entries are priced and charged as resting limits.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../src/backtest/backtestReport.js';
import { readCandleFile } from '../../src/domain/candleCsv.js';
import { ROOT, runBot } from '../helpers/cli.js';

const DATA = join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz');
const WINDOW = ['--data', DATA, '--from', '2025-06-05', '--to', '2025-06-12'];
const candleAt = new Map(readCandleFile(DATA).map((c) => [c.ts, c]));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-limit-sweep-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Summary = { runs: { set: string; file: string; metrics: BacktestReport['metrics'] }[] };
const run = (args: string[]) => runBot(['backtest', ...WINDOW, '--state-dir', 'st', ...args], { cwd: dir, env: { NO_COLOR: '1' }, timeoutMs: 180_000 });
const tradesOf = (r: { stdout: string }) => (JSON.parse(r.stdout) as BacktestReport).trades;

describe('backtest sweep: market against limit entries', () => {
  it('compares the two in one ranked table; each run is the one its config alone gives', async () => {
    const sweep = await run(['--set', 'entry.type=market,limit', '--set', 'entry.offsetPct=0.02', '--json', '-']);
    expect(sweep.code, sweep.stderr).toBe(0);
    expect(sweep.stderr).toContain('Sweep: 2 runs, best netPnl first');
    expect(sweep.stderr).toMatch(/entry\.type=market/);
    expect(sweep.stderr).toMatch(/entry\.type=limit/);
    const summary = JSON.parse(sweep.stdout) as Summary;
    const byType = new Map(summary.runs.map((r) => [r.set, JSON.parse(readFileSync(r.file, 'utf8')) as BacktestReport]));
    const market = byType.get('entry.type=market')!;
    const limit = byType.get('entry.type=limit')!;

    // Market is the default: the same trades as a backtest without any entry setting.
    const plain = await run(['--json', '-']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(market.trades).toEqual(tradesOf(plain));
    const single = await run(['--set', 'entry.type=limit', '--set', 'entry.offsetPct=0.02', '--json', '-']);
    expect(limit.trades).toEqual(tradesOf(single));

    expect(limit.trades.length, 'limit entries traded').toBeGreaterThan(5);
    expect(limit.trades).not.toEqual(market.trades);
    for (const t of limit.trades) {
      // A resting limit fills only where the candle traded strictly beyond it.
      const c = candleAt.get(Math.floor(t.entryTs / 60_000) * 60_000)!;
      if (t.side === 'long') expect(c.low, `long filled at ${t.entryPrice}`).toBeLessThan(t.entryPrice);
      else expect(c.high, `short filled at ${t.entryPrice}`).toBeGreaterThan(t.entryPrice);
    }
    // The maker fee on the way in: less paid per unit traded than with market entries.
    const feeRate = (r: BacktestReport) => r.metrics.fees / r.trades.reduce((s, t) => s + t.qty * (t.entryPrice + t.exitPrice), 0);
    expect(feeRate(limit)).toBeLessThan(feeRate(market));
  }, 300_000);
});
