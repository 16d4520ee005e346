/**
 * `doctor`'s free-space check (issue 22 item 6): the state directory's storage, and what the bot's
 * own growing files take there. A phone that runs out of storage stops the bot from keeping its
 * books (it then stops opening positions), so under 50 MB is a warning.
 */
import { LOW_FREE_BYTES, describeUsage, formatBytes, storageUsage, type StorageUsage } from '../state/storageUsage.js';
import { check, type DoctorCheck } from './doctorChecks.js';

export async function checkFreeSpace(dir: string): Promise<DoctorCheck> {
  return freeSpaceCheck(dir, await storageUsage(dir));
}

export function freeSpaceCheck(dir: string, usage: StorageUsage): DoctorCheck {
  if (usage.freeBytes === null) return check('free-space', 'skip', `the system does not say how much space is free in ${dir}`);
  const files = `the bot's files: ${describeUsage({ ...usage, freeBytes: null })}`;
  if (usage.freeBytes < LOW_FREE_BYTES) {
    return check(
      'free-space',
      'warn',
      `only ${formatBytes(usage.freeBytes)} free in ${dir} (under ${formatBytes(LOW_FREE_BYTES)}; ${files}): when it is full the bot stops opening positions`,
      `Free space on that storage (old backups in ${dir}/backups and bot.log.N can go), or move stateDir to a storage with room.`,
    );
  }
  return check('free-space', 'ok', `${formatBytes(usage.freeBytes)} free in ${dir} (${files})`);
}
