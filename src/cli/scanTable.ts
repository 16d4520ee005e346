/**
 * The scanner's table for a phone in portrait (48 columns): one line per symbol, the USDT suffix
 * left out (every row is a USDT perpetual), numbers right-aligned under short headers, and a key
 * below saying what each column holds.
 */
import { wrapText } from './prompt.js';
import type { ScanResult, ScanRow } from './scanMarket.js';

const WIDTH = 48;

/** 1234 → "1.2K", 7939403499 → "7.9B". */
export function shortAmount(n: number): string {
  const units: readonly [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, unit] of units) if (n >= size) return `${(n / size).toFixed(n / size >= 100 ? 0 : 1)}${unit}`;
  return n.toFixed(0);
}

function num(n: number | null, decimals: number): string {
  return n === null ? '-' : n.toFixed(decimals);
}

function coin(symbol: string): string {
  const base = symbol.endsWith('USDT') ? symbol.slice(0, -4) : symbol;
  return base.length > 9 ? `${base.slice(0, 8)}~` : base;
}

/** Column: header, width, cell. */
const COLUMNS: readonly [string, number, (r: ScanRow) => string][] = [
  ['coin', 9, (r) => coin(r.symbol)],
  ['turn', 6, (r) => shortAmount(r.turnover24h)],
  ['sprd', 5, (r) => num(r.spreadBps, r.spreadBps < 1 ? 3 : r.spreadBps < 10 ? 2 : 1)],
  ['atr1', 5, (r) => num(r.atr1mPct, 2)],
  ['atr5', 5, (r) => num(r.atr5mPct, 2)],
  ['fund', 7, (r) => num(r.fundingRatePct, 4)],
  ['min$', 4, (r) => shortAmount(r.minOrderValue)],
];

function line(cells: readonly string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(COLUMNS[i]![1]) : c.padStart(COLUMNS[i]![1]))).join(' ');
}

export function renderScanTable(result: ScanResult, filter: { maxSpreadPct: number; minTurnover24h: number }): string {
  const out: string[] = [];
  out.push(`${result.passed} of ${result.perpetuals} USDT perpetuals pass`);
  out.push(`(spread <= ${filter.maxSpreadPct} %, 24 h turnover >= ${shortAmount(filter.minTurnover24h)})`);
  if (result.rows.length === 0) {
    out.push('no symbol passes: raise scanner.maxSpreadPct or lower scanner.minTurnover24h');
    return out.join('\n') + '\n';
  }
  out.push(`top ${result.rows.length} by 24 h turnover:`);
  out.push(line(COLUMNS.map((c) => c[0])));
  for (const r of result.rows) out.push(line(COLUMNS.map((c) => c[2](r))));
  out.push('-'.repeat(WIDTH));
  out.push('turn: 24 h turnover, USDT  sprd: spread, bps');
  out.push('atr1/atr5: ATR(14) % of price, 1m/5m candles');
  out.push('fund: funding rate, %    min$: min order, USDT');
  for (const p of result.problems) out.push(...wrapText(`note: ${p}`, WIDTH));
  return out.join('\n') + '\n';
}
