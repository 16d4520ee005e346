/**
 * Crash-safe whole-file replacement (issue 6: "writes are atomic: write a temporary file, fsync,
 * rename"). After a SIGKILL or a power cut the target holds either the old or the new complete
 * contents, never a mix: the new bytes are made durable in a temporary file in the same directory
 * (same filesystem, so rename(2) is atomic), renamed over the target, and the directory entry is
 * then fsynced so the rename itself survives power loss (rename alone only orders the metadata
 * in memory; ext4 and f2fs, the filesystems of Termux's home, need the directory fsync).
 *
 * lowdb's stock `JSONFile` (through steno's `Writer`) writes and renames but never fsyncs, which is
 * why the store uses its own adapter built on this.
 *
 * Every write here first asks the storage test seam (src/util/writeFault.ts, issue 22), so a test
 * can make the state directory "full" or "read-only" while a real bot runs.
 *
 * Only the two fsyncs leave the main thread (issue 18). An entry waits for this write before its
 * order leaves, and every asynchronous fs call is a round trip to libuv's thread pool: with the
 * main thread busy, each cost 2-3 ms in bench/engineLatency (BENCHMARKS.md, Latency). Creating,
 * writing (a few kB into the page cache), closing and renaming are quick system calls and are
 * made in place; the fsyncs, which wait for the storage, run in the pool so the event loop keeps
 * serving other symbols meanwhile. The order of the steps, and that each fsync has finished before
 * the next step, are as before.
 */
import { readdir, unlink } from 'node:fs/promises';
import { closeSync, fsync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { throwIfWriteFault } from '../util/writeFault.js';

/** Counter so that two writes from one process never share a temporary name. */
let tempSerial = 0;

/** Replaces `file` with `text`, durably; resolves once the new contents survive power loss. */
export async function writeFileDurable(file: string, text: string): Promise<void> {
  throwIfWriteFault(file);
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${tempSerial++}.tmp`);
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeAll(fd, Buffer.from(text, 'utf8'));
    await fsyncInPool(fd);
  } catch (err) {
    closeSync(fd);
    removeQuietly(temp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(temp, file);
  } catch (err) {
    removeQuietly(temp);
    throw err;
  }
  await fsyncDirectory(dirname(file));
}

/** write(2) until every byte is taken (a regular file takes them at once but for a full disk, which throws). */
function writeAll(fd: number, bytes: Buffer): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** fsync(2) on libuv's thread pool: the one step of a durable write that waits for the storage. */
function fsyncInPool(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or the storage refuses: a leftover temporary file is removed at the next start.
  }
}

/**
 * Whether `dir` takes a small durable write now (issue 22: the storage probe, and the check before
 * start-up): writes a temporary file of {@link writeFileDurable}'s kind, then removes it. Throws
 * the write's error (ENOSPC, EROFS, ...) when it does not.
 */
export async function probeWritable(dir: string): Promise<void> {
  const file = join(dir, `.probe.${process.pid}.${tempSerial++}.tmp`);
  try {
    await writeFileDurable(file, 'probe\n');
  } finally {
    await unlink(file).catch(() => undefined);
  }
}

/** Temporary files of {@link writeFileDurable}: `.<name>.<pid>.<serial>.tmp`. */
const TEMP_NAME = /^\..+\.\d+\.\d+\.tmp$/;

/**
 * Deletes temporary files a killed writer left in `dir` (they never replaced anything). Only safe
 * while holding the directory's lock, when no other process can be mid-write. Returns how many.
 */
export async function removeLeftoverTempFiles(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    if (!TEMP_NAME.test(name)) continue;
    await unlink(join(dir, name)).catch(() => undefined);
    removed++;
  }
  return removed;
}

/**
 * fsync of a directory makes a rename or a new entry in it durable. Some platforms refuse to open
 * or sync a directory (Windows: EISDIR/EPERM, some FUSE mounts: EINVAL); there the rename is as
 * durable as the platform allows, so those codes are tolerated.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    await fsyncInPool(fd);
  } catch (err) {
    if (!isTolerableDirSyncError(err)) throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Synchronous twin of {@link fsyncDirectory}, for the lock file and exit handlers. */
export function fsyncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    if (!isTolerableDirSyncError(err)) throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function isTolerableDirSyncError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'ENOTSUP';
}
