/**
 * Reading `state.json` from a state directory: the validated, migrated state; null for a fresh
 * directory; or a `StateFileError` that names the file, what is wrong and the newest valid backup.
 * Never writes, so `status` can use it while a bot runs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STATE_FILE_NAME, newestValidBackup } from './backups.js';
import { parseStateText } from './parseStateText.js';
import { StateFileError } from './stateErrors.js';
import type { PersistedState } from '../domain/persistedState.js';

export interface LoadedState {
  readonly state: PersistedState;
  /** The schema version the file was written in (less than current when it was migrated in memory). */
  readonly fromVersion: number;
  /** The exact text read, for a pre-migration backup. */
  readonly text: string;
}

export function stateFilePath(stateDir: string): string {
  return join(stateDir, STATE_FILE_NAME);
}

export async function readStateFile(stateDir: string): Promise<LoadedState | null> {
  const file = stateFilePath(stateDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // A fresh directory has no backups either. Backups without a state file mean the file was
      // deleted or lost: starting from zero would forget positions (issue 6, "Why"), so refuse.
      const backup = await newestValidBackup(stateDir);
      if (backup === null) return null;
      throw new StateFileError({ file, problem: 'missing', detail: 'a bot ran here before, and starting empty could forget open positions', newestBackup: backup });
    }
    throw new StateFileError({ file, problem: 'unreadable', detail: `${code ?? 'error'}: ${(err as Error).message}`, newestBackup: await newestValidBackup(stateDir) });
  }
  const parsed = parseStateText(text);
  if (parsed.ok) return { state: parsed.state, fromVersion: parsed.fromVersion, text };
  const newestBackup = await newestValidBackup(stateDir);
  switch (parsed.problem) {
    case 'syntax':
      throw new StateFileError({ file, problem: 'syntax', detail: parsed.detail, line: parsed.line, column: parsed.column, newestBackup });
    case 'schema':
      throw new StateFileError({ file, problem: 'schema', detail: parsed.detail, path: parsed.path, newestBackup });
    case 'newer-version':
      throw new StateFileError({ file, problem: 'newer-version', detail: parsed.detail, newestBackup });
  }
}
