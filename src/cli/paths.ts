import { isAbsolute, resolve } from 'node:path';
import { fileCandleSource, type CandleSource } from '../backtest/candleSource.js';
import { CandleCsvError } from '../domain/candleCsv.js';
import { UsageError } from '../util/errors.js';
import type { CommandIo } from './command.js';

/** `--config` wins; then POCKET_CONFIG; then config.json in the working directory. */
export function defaultConfigPath(io: CommandIo, flag?: string): string {
  if (flag) return resolve(io.cwd, flag);
  if (io.env.POCKET_CONFIG) return resolve(io.cwd, io.env.POCKET_CONFIG);
  return resolve(io.cwd, 'config.json');
}

/**
 * The candle file named by `--data` (relative to the working directory) as a source read in
 * batches (issue 21: never held whole), checked through once first; UsageError saying why not.
 */
export async function openDataArg(arg: string, io: CommandIo): Promise<{ path: string; source: CandleSource }> {
  const path = dataPath(arg, io);
  try {
    return { path, source: await fileCandleSource(path) };
  } catch (error) {
    throw dataError(arg, error);
  }
}

/** The path `--data` names (relative to the working directory). */
export function dataPath(arg: string, io: CommandIo): string {
  return isAbsolute(arg) ? arg : resolve(io.cwd, arg);
}

function dataError(arg: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : error instanceof CandleCsvError ? error.message : String((error as Error).message);
  return new UsageError(`cannot read --data ${arg}: ${why}`);
}
