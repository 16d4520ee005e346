/**
 * Storage errors, and the test seam that injects them (issue 22).
 *
 * A full or read-only phone storage cannot be made in CI, so the file layer (the state file, the
 * journal's append, backups, the storage probe and the log file) asks `injectedWriteFault` before
 * each write. TEST SEAM: when the environment variable `POCKET_TEST_WRITE_FAULT` names a file and
 * that file exists, every such write fails as the real one would, with the errno code the file
 * holds (`ENOSPC` when it is empty). Creating and deleting the file switches the fault on and off
 * while a bot runs. Without the variable (every real run) this costs one property read per write.
 */
import { existsSync, readFileSync } from 'node:fs';

export const WRITE_FAULT_ENV = 'POCKET_TEST_WRITE_FAULT';

/** Codes that mean "this storage cannot take writes now": full, read-only, refused, or failing. */
const STORAGE_CODES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'i/o error',
};

/** True for an error whose code says the storage cannot be written (see STORAGE_CODES). */
export function isStorageError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  return typeof code === 'string' && code in STORAGE_CODES;
}

/** A full disk may free up by itself; a read-only or refused directory needs the owner. */
export function isReadOnlyError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
}

/** The error a write of `target` must fail with now (the seam is switched on), or null. */
export function injectedWriteFault(target: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ErrnoException | null {
  const switchFile = env[WRITE_FAULT_ENV];
  if (switchFile === undefined || switchFile === '' || !existsSync(switchFile)) return null;
  let code = 'ENOSPC';
  try {
    code = readFileSync(switchFile, 'utf8').trim() || 'ENOSPC';
  } catch {
    // Deleted between the two calls: the default code.
  }
  const err: NodeJS.ErrnoException = new Error(`${code}: ${STORAGE_CODES[code] ?? 'injected write failure'}, write '${target}'`);
  err.code = code;
  err.syscall = 'write';
  err.path = target;
  return err;
}

/** Throws the injected fault for `target`, if any (see the file comment). */
export function throwIfWriteFault(target: string): void {
  const err = injectedWriteFault(target);
  if (err !== null) throw err;
}
