/**
 * How full the state directory's filesystem is and what the bot's own files take there (issue 22):
 * what the owner needs to free space (the journal, the backups and the log file are the bot's
 * growing files), and `doctor`'s free-space check. Reading sizes needs no free space, so this works
 * on a full disk; anything unreadable counts as 0 and free space as unknown.
 */
import { readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_DIR_NAME } from './backups.js';
import { JOURNAL_DIR_NAME } from './journal.js';

/** `doctor` warns below this much free space in the state directory. */
export const LOW_FREE_BYTES = 50_000_000;

export interface StorageUsage {
  /** Bytes an unprivileged process may still write there; null when the system does not say. */
  readonly freeBytes: number | null;
  readonly journalBytes: number;
  readonly backupBytes: number;
  /** bot.log and its rotated files. */
  readonly logBytes: number;
}

export async function storageUsage(stateDir: string): Promise<StorageUsage> {
  let freeBytes: number | null = null;
  try {
    const fs = await statfs(stateDir);
    freeBytes = fs.bavail * fs.bsize;
  } catch {
    // Unknown (no such directory yet, or a platform without statfs).
  }
  return {
    freeBytes,
    journalBytes: await folderBytes(join(stateDir, JOURNAL_DIR_NAME), () => true),
    backupBytes: await folderBytes(join(stateDir, BACKUP_DIR_NAME), () => true),
    logBytes: await folderBytes(stateDir, (name) => /^bot\.log(\.\d+)?$/.test(name)),
  };
}

/** `12.3 MB` (decimal megabytes, as phones show storage). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}

/** "journal 12.3 MB, backups 1.0 MB, bot.log 5.2 MB, 0 kB free": what to look at to free space. */
export function describeUsage(u: StorageUsage): string {
  const free = u.freeBytes === null ? '' : `, ${formatBytes(u.freeBytes)} free`;
  return `journal ${formatBytes(u.journalBytes)}, backups ${formatBytes(u.backupBytes)}, bot.log ${formatBytes(u.logBytes)}${free}`;
}

async function folderBytes(dir: string, keep: (name: string) => boolean): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let total = 0;
  for (const name of names) {
    if (!keep(name)) continue;
    try {
      const s = await stat(join(dir, name));
      if (s.isFile()) total += s.size;
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}
