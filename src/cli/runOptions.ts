/**
 * What `run` hands the running bot once config, secrets and flags are checked. Its own file so that
 * the command (run.ts) and the bot it starts (runBot.ts) both depend on it, not on each other.
 */
import type { LoadedConfig } from '../config/load.js';
import type { Secrets } from '../config/secrets.js';

export interface RunOptions {
  readonly loaded: LoadedConfig;
  readonly secrets: Secrets;
  readonly stateDir: string;
  readonly paper: boolean;
  /** `--replay`: the candle files, absolute, separated by commas. */
  readonly replay: string | null;
  /** Enabled symbols a replay has no data for: switched off for the run (run.ts says which). */
  readonly replaySkipped?: readonly string[];
  readonly speed: number;
  readonly restoreBackup: boolean;
  readonly sets: readonly string[];
}
