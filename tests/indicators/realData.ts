/** Real Bybit candles shipped in data/ (DESIGN section 4), loaded once per test file. */
import { fileURLToPath } from 'node:url';
import { readCandleFile } from '../../src/domain/candleCsv.js';
import type { Candle } from '../../src/domain/types.js';

export type DataFile = 'bybit-BTCUSDT-1m.csv.gz' | 'bybit-ETHUSDT-1m.csv.gz' | 'bybit-BTCUSDT-5m.csv.gz';

const cache = new Map<DataFile, Candle[]>();

export function dataPath(file: DataFile): string {
  return fileURLToPath(new URL(`../../data/${file}`, import.meta.url));
}

export function realCandles(file: DataFile = 'bybit-BTCUSDT-1m.csv.gz'): Candle[] {
  let candles = cache.get(file);
  if (!candles) {
    candles = readCandleFile(dataPath(file));
    cache.set(file, candles);
  }
  return candles;
}
