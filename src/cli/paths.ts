import { resolve } from 'node:path';
import type { CommandIo } from './command.js';

/** `--config` wins; then POCKET_CONFIG; then config.json in the working directory. */
export function defaultConfigPath(io: CommandIo, flag?: string): string {
  if (flag) return resolve(io.cwd, flag);
  if (io.env.POCKET_CONFIG) return resolve(io.cwd, io.env.POCKET_CONFIG);
  return resolve(io.cwd, 'config.json');
}
