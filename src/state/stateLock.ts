/**
 * One bot per state directory (issue 6, part 4). `bot.lock` holds the owner's PID, start time, boot
 * id and kernel start tick. It is created with `wx` (O_CREAT|O_EXCL), so of two processes racing for
 * a free lock exactly one wins.
 *
 * A lock left by a killed process is stale when its PID is gone (kill(pid, 0) → ESRCH), when it was
 * written in an earlier boot (different /proc boot id), or when the PID now belongs to a different
 * process (its /proc start tick differs: PID reuse, common on Android after a few days). Taking over
 * renames the stale file away first and checks that what it renamed is the very lock it judged
 * stale, so two instances taking over at once cannot both win.
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncDirectorySync } from './durableFile.js';
import { StateLockedError } from './stateErrors.js';

export const LOCK_FILE_NAME = 'bot.lock';

export interface LockOwner {
  readonly pid: number;
  readonly startedMs: number;
  /** /proc/sys/kernel/random/boot_id, when readable. */
  readonly bootId: string | null;
  /** Field 22 of /proc/PID/stat (start time in clock ticks after boot), when readable. */
  readonly procStartTicks: string | null;
}

/** A lock whose content is still empty or torn is being written; younger than this it is in use. */
const YOUNG_LOCK_MS = 5_000;

export class StateLock {
  readonly file: string;
  readonly owner: LockOwner;
  #held = true;
  readonly #onExit: () => void;

  private constructor(file: string, owner: LockOwner) {
    this.file = file;
    this.owner = owner;
    // A clean `process.exit()` elsewhere still releases the lock (issue 6: "released on clean exit").
    this.#onExit = () => this.release();
    process.once('exit', this.#onExit);
  }

  /**
   * Takes the lock of `stateDir` (which must exist) or throws `StateLockedError` naming the PID
   * that holds it. A stale lock is taken over.
   */
  static acquire(stateDir: string, nowMs: () => number = Date.now): StateLock {
    const file = join(stateDir, LOCK_FILE_NAME);
    const owner: LockOwner = { pid: process.pid, startedMs: nowMs(), bootId: readBootId(), procStartTicks: readProcStartTicks(process.pid) };
    for (let attempt = 0; attempt < 5; attempt++) {
      if (tryCreate(file, owner)) return new StateLock(file, owner);
      const seen = readLock(file);
      if (seen === 'gone') continue;
      if (seen === 'torn') {
        if (ageMs(file) < YOUNG_LOCK_MS) throw new StateLockedError(file, null, null);
        takeOver(file, null);
        continue;
      }
      if (isAlive(seen)) throw new StateLockedError(file, seen.pid, seen.startedMs);
      takeOver(file, seen);
    }
    throw new StateLockedError(file, null, null);
  }

  get held(): boolean {
    return this.#held;
  }

  /** Removes the lock if it is still ours. Idempotent. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    process.removeListener('exit', this.#onExit);
    const seen = readLock(this.file);
    if (typeof seen === 'object' && sameOwner(seen, this.owner)) {
      try {
        unlinkSync(this.file);
      } catch {
        // Already gone: nothing to release.
      }
    }
  }
}

/** Reads the lock file without taking it (for `status` and messages). */
export function readLockOwner(stateDir: string): LockOwner | null {
  const seen = readLock(join(stateDir, LOCK_FILE_NAME));
  return typeof seen === 'object' ? seen : null;
}

/** Whether the owner recorded in a lock is still running (the same process, not a reused PID). */
export function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: the PID exists but belongs to someone else; it is alive, though not ours.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const bootId = readBootId();
  if (owner.bootId !== null && bootId !== null && owner.bootId !== bootId) return false;
  const ticks = readProcStartTicks(owner.pid);
  if (owner.procStartTicks !== null && ticks !== null && owner.procStartTicks !== ticks) return false;
  return true;
}

function tryCreate(file: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDirectorySync(dirname(file));
  return true;
}

/**
 * Moves a stale lock away. The rename is atomic, so only one contender moves any given file; the
 * mover then checks it moved the lock it judged stale (`expected`, or a still-torn file). If another
 * contender had meanwhile taken over and written a fresh lock, that one is put back with link(2),
 * which fails rather than overwrite.
 */
function takeOver(file: string, expected: LockOwner | null): void {
  const aside = `${file}.stale-${process.pid}-${Date.now()}`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = readLock(aside);
  const wasStale = expected === null ? moved === 'torn' && ageMs(aside) >= YOUNG_LOCK_MS : typeof moved === 'object' && sameOwner(moved, expected);
  const inUse = typeof moved === 'object' ? isAlive(moved) : moved === 'torn' && ageMs(aside) < YOUNG_LOCK_MS;
  if (!wasStale && inUse) {
    try {
      linkSync(aside, file);
    } catch {
      // Someone else holds the lock file now; the loop in `acquire` reports them.
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // Best effort: a leftover `.stale-*` file is harmless.
  }
}

function readLock(file: string): LockOwner | 'gone' | 'torn' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && Number.isInteger(o.pid) && o.pid > 0 && typeof o.startedMs === 'number') {
      return { pid: o.pid, startedMs: o.startedMs, bootId: typeof o.bootId === 'string' ? o.bootId : null, procStartTicks: typeof o.procStartTicks === 'string' ? o.procStartTicks : null };
    }
  } catch {
    // Torn: the owner was killed between creating and writing it, or is writing it right now.
  }
  return 'torn';
}

function sameOwner(a: LockOwner, b: LockOwner): boolean {
  return a.pid === b.pid && a.startedMs === b.startedMs && a.procStartTicks === b.procStartTicks;
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function readProcStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after ')' start at field 3, so field 22 is index 19.
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
