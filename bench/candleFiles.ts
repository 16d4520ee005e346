/**
 * Long candle files for benchmarks, made from the real BTCUSDT month in data/ (data/SOURCES.md):
 * the month repeated, each copy shifted in time to follow the previous one, so the candles stay
 * ascending and one minute apart. Written to a benchmark's temporary directory, never committed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { projectRoot } from './harness.js';

/** Candles in the real month (data/bybit-BTCUSDT-1m.csv.gz). */
export const MONTH = 44_613;

/** Writes `n` candles of the repeated month to `dir/name` (and `name.gz` when `gz`); returns the path. */
export function writeRepeatedMonth(dir: string, name: string, n: number, gz = false): string {
  const lines = gunzipSync(readFileSync(join(projectRoot(), 'data', 'bybit-BTCUSDT-1m.csv.gz'))).toString('utf8').trim().split('\n').slice(1);
  const first = Number(lines[0]!.split(',')[0]);
  const spanMs = Number(lines.at(-1)!.split(',')[0]) - first + 60_000;
  const out: string[] = ['ts,open,high,low,close,volume'];
  for (let i = 0; i < n; i++) {
    const line = lines[i % lines.length]!;
    const comma = line.indexOf(',');
    out.push(`${Number(line.slice(0, comma)) + Math.floor(i / lines.length) * spanMs}${line.slice(comma)}`);
  }
  const path = join(dir, name);
  const text = out.join('\n') + '\n';
  writeFileSync(path, text);
  if (gz) writeFileSync(`${path}.gz`, gzipSync(text));
  return path;
}
