import { isAbsolute, resolve } from 'node:path';
import { CandleCsvError, readCandleFile } from '../domain/candleCsv.js';
import type { Candle } from '../domain/types.js';
import { UsageError } from '../util/errors.js';
import type { CommandIo } from './command.js';

/** `--config` wins; then POCKET_CONFIG; then config.json in the working directory. */
export function defaultConfigPath(io: CommandIo, flag?: string): string {
  if (flag) return resolve(io.cwd, flag);
  if (io.env.POCKET_CONFIG) return resolve(io.cwd, io.env.POCKET_CONFIG);
  return resolve(io.cwd, 'config.json');
}

/** Reads the candle file named by `--data` (relative to the working directory); UsageError saying why not. */
export function readDataArg(arg: string, io: CommandIo): { path: string; candles: Candle[] } {
  const path = isAbsolute(arg) ? arg : resolve(io.cwd, arg);
  try {
    return { path, candles: readCandleFile(path) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : error instanceof CandleCsvError ? error.message : String((error as Error).message);
    throw new UsageError(`cannot read --data ${arg}: ${why}`);
  }
}
