/**
 * Rolling backups of `state.json` in `<stateDir>/backups/` (issue 6, part 3). Only contents that
 * parsed and validated are ever backed up, so any backup is a state the bot once trusted. Restoring
 * never deletes: the damaged file is moved aside to a timestamped name first.
 */
import { readFile, readdir, rename, mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory, writeFileDurable } from './durableFile.js';
import { parseStateText } from './parseStateText.js';
import { RestoreBackupError } from './stateErrors.js';
import { StateLock } from './stateLock.js';

export const STATE_FILE_NAME = 'state.json';
export const BACKUP_DIR_NAME = 'backups';

/** `state-20261105T120000123Z.json`, or with a tag: `state-20261105T120000123Z-pre-migration-v1.json`. */
const BACKUP_NAME = /^state-(\d{8}T\d{9}Z)(?:-([a-z0-9-]+))?\.json$/;

export interface BackupInfo {
  readonly file: string;
  /** When it was taken (from its name). */
  readonly takenMs: number;
  /** Tagged backups (e.g. before a migration) are kept out of rotation. */
  readonly tag: string | null;
}

export function backupDir(stateDir: string): string {
  return join(stateDir, BACKUP_DIR_NAME);
}

/** Every backup, newest first. */
export async function listBackups(stateDir: string): Promise<BackupInfo[]> {
  let names: string[];
  try {
    names = await readdir(backupDir(stateDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: BackupInfo[] = [];
  for (const name of names) {
    const m = BACKUP_NAME.exec(name);
    if (m === null) continue;
    out.push({ file: join(backupDir(stateDir), name), takenMs: parseStamp(m[1]!), tag: m[2] ?? null });
  }
  return out.sort((a, b) => b.takenMs - a.takenMs || b.file.localeCompare(a.file));
}

/** The newest backup that parses and validates (older layouts count: they migrate), or null. */
export async function newestValidBackup(stateDir: string): Promise<string | null> {
  for (const b of await listBackups(stateDir)) {
    try {
      if (parseStateText(await readFile(b.file, 'utf8')).ok) return b.file;
    } catch {
      // Unreadable backup: try the next one.
    }
  }
  return null;
}

/**
 * Writes `text` (already validated by the caller) as a new backup, durably, and prunes untagged
 * backups beyond the newest `keep`. Returns the backup's path.
 */
export async function writeBackup(stateDir: string, text: string, nowMs: number, options: { readonly keep: number; readonly tag?: string }): Promise<string> {
  await mkdir(backupDir(stateDir), { recursive: true });
  const file = join(backupDir(stateDir), `state-${stamp(nowMs)}${options.tag === undefined ? '' : `-${options.tag}`}.json`);
  await writeFileDurable(file, text);
  const rotating = (await listBackups(stateDir)).filter((b) => b.tag === null);
  for (const old of rotating.slice(Math.max(1, options.keep))) await unlink(old.file).catch(() => undefined);
  return file;
}

export interface RestoreResult {
  /** The backup that was copied into place. */
  readonly restored: string;
  /** Where the previous `state.json` now is, or null when there was none. */
  readonly movedAside: string | null;
}

export interface RestoreOptions {
  /** A specific backup to restore; default the newest valid one. */
  readonly backup?: string;
  /** Restore even though the current `state.json` is valid (it is still moved aside, not lost). */
  readonly force?: boolean;
  readonly nowMs?: () => number;
}

/**
 * `run --restore-backup`: moves the current `state.json` aside to `state.json.corrupt-<time>` and
 * copies the newest valid backup into its place. Takes the directory's lock for the duration (throws
 * `StateLockedError` when a bot is running on it). Refuses, without touching anything, when there is
 * no valid backup, or when the current file is valid and `force` is not set.
 */
export async function restoreBackup(stateDir: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const lock = StateLock.acquire(stateDir, options.nowMs);
  try {
    return await restoreBackupLocked(stateDir, options);
  } finally {
    lock.release();
  }
}

/** {@link restoreBackup} for a caller that already holds the directory's lock. */
export async function restoreBackupLocked(stateDir: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const nowMs = options.nowMs ?? Date.now;
  const target = join(stateDir, STATE_FILE_NAME);
  let current: string | null = null;
  try {
    current = await readFile(target, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (current !== null && parseStateText(current).ok && options.force !== true) {
    throw new RestoreBackupError(`${target} is valid; nothing to restore (use force to replace it anyway).`);
  }
  const chosen = options.backup ?? (await newestValidBackup(stateDir));
  if (chosen === null) throw new RestoreBackupError(`No valid backup in ${backupDir(stateDir)}; ${target} was left as it is.`);
  const text = await readFile(chosen, 'utf8');
  const check = parseStateText(text);
  if (!check.ok) throw new RestoreBackupError(`${chosen} is not a valid state file (${check.problem}: ${check.detail}); nothing was changed.`);
  let movedAside: string | null = null;
  if (current !== null) {
    movedAside = `${target}.corrupt-${stamp(nowMs())}`;
    await rename(target, movedAside);
    await fsyncDirectory(stateDir);
  }
  await writeFileDurable(target, text);
  return { restored: chosen, movedAside };
}

/** Compact, sortable, filename-safe UTC time: 20261105T120000123Z. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '');
}

function parseStamp(s: string): number {
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`;
  return Date.parse(iso);
}
