/**
 * The canonical candle CSV (DESIGN section 4): header `ts,open,high,low,close,volume`, ts = candle
 * open in Unix ms UTC, ascending. `.csv.gz` files are accepted too.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Candle } from './types.js';

export class CandleCsvError extends Error {
  override name = 'CandleCsvError';
}

const HEADER = 'ts,open,high,low,close,volume';

/** Parses CSV text; throws CandleCsvError naming the line for any malformed or out-of-order row. */
export function parseCandleCsv(text: string, source = 'input'): Candle[] {
  const lines = text.split(/\r?\n/);
  if ((lines[0] ?? '').trim() !== HEADER) {
    throw new CandleCsvError(`${source}: line 1 must be the header "${HEADER}", found "${(lines[0] ?? '').slice(0, 60)}"`);
  }
  const candles: Candle[] = [];
  let prevTs = -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (cells.length !== 6) throw new CandleCsvError(`${source}: line ${i + 1} has ${cells.length} fields, expected 6`);
    const [ts, open, high, low, close, volume] = cells.map(Number) as [number, number, number, number, number, number];
    if (![ts, open, high, low, close, volume].every(Number.isFinite)) {
      throw new CandleCsvError(`${source}: line ${i + 1} has a field that is not a number: "${line}"`);
    }
    if (!Number.isInteger(ts)) throw new CandleCsvError(`${source}: line ${i + 1}: ts must be integer milliseconds`);
    if (ts <= prevTs) throw new CandleCsvError(`${source}: line ${i + 1}: ts ${ts} is not after the previous row's ${prevTs}`);
    if (high < Math.max(open, close, low) || low > Math.min(open, close) || volume < 0) {
      throw new CandleCsvError(`${source}: line ${i + 1}: inconsistent OHLCV "${line}"`);
    }
    prevTs = ts;
    candles.push({ ts, open, high, low, close, volume });
  }
  return candles;
}

/** Reads a `.csv` or `.csv.gz` candle file. */
export function readCandleFile(path: string): Candle[] {
  const raw = readFileSync(path);
  const text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  return parseCandleCsv(text, path);
}

/** Writes candles in the canonical format. */
export function formatCandleCsv(candles: readonly Candle[]): string {
  let out = HEADER + '\n';
  for (const c of candles) out += `${c.ts},${c.open},${c.high},${c.low},${c.close},${c.volume}\n`;
  return out;
}

/**
 * Symbol and interval from a file name such as `bybit-BTCUSDT-1m.csv(.gz)` (DESIGN section 4):
 * the symbol is the first all-capitals token; the interval, if present, `<n>m`, `<n>h` or `<n>d`.
 */
export function describeCandleFile(path: string): { symbol: string | null; intervalMinutes: number | null } {
  const name = basename(path).replace(/\.gz$/, '').replace(/\.csv$/, '');
  const tokens = name.split(/[-_.]/);
  const symbol = tokens.find((t) => /^[A-Z0-9]{2,}USDT?$|^[A-Z0-9]{2,}USDC$/.test(t)) ?? null;
  let intervalMinutes: number | null = null;
  for (const t of tokens) {
    const m = /^(\d+)([mhd])$/.exec(t);
    if (m) intervalMinutes = Number(m[1]) * (m[2] === 'm' ? 1 : m[2] === 'h' ? 60 : 1440);
  }
  return { symbol, intervalMinutes };
}

/** Interval of a candle series in minutes, from the smallest step between rows. */
export function inferIntervalMinutes(candles: readonly Candle[]): number | null {
  let step = Infinity;
  for (let i = 1; i < candles.length; i++) step = Math.min(step, candles[i]!.ts - candles[i - 1]!.ts);
  return Number.isFinite(step) && step % 60_000 === 0 ? step / 60_000 : null;
}
