/**
 * A folder for a short `run --replay`: the first rows of the real BTCUSDT 1m candles
 * (data/bybit-BTCUSDT-1m.csv.gz) as a plain file, and a paper-mode config.json with the scalper on
 * BTCUSDT and no phone (no Termux notifications, no battery checks).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT } from './cli.js';

/** Writes the first `rows` candles and config.json into `home`; returns the candle file's path. */
export function writeReplayHome(home: string, rows: number): string {
  const lines = gunzipSync(readFileSync(join(ROOT, 'data', 'bybit-BTCUSDT-1m.csv.gz'))).toString('utf8').trim().split('\n');
  const file = join(home, 'bybit-BTCUSDT-1m.csv');
  writeFileSync(file, lines.slice(0, 1 + rows).join('\n') + '\n');
  writeFileSync(join(home, 'config.json'), JSON.stringify({ mode: 'paper', alerts: { termux: { enabled: false } }, battery: { enabled: false }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }));
  return file;
}
