/**
 * `<stateDir>/storage.status`: whether the running bot can write its state directory, for `status`
 * (issue 22: "status shows storage: not writable since …"). The state file cannot say so (it is
 * the very thing that cannot be written), so this small file is created at full size while the
 * storage works and later only overwritten in place: rewriting blocks a file already owns needs no
 * free space, which is why it still works on a full disk (not on a read-only one; then `status`
 * cannot tell). Best effort: a failure here never affects trading.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';

export const STORAGE_MARK_FILE = 'storage.status';
/** Fixed size, padded with spaces: every overwrite stays within the blocks written at start-up. */
const MARK_BYTES = 512;

export interface StorageMarkState {
  readonly notWritableSinceMs: number;
  readonly error: string;
}

const MarkSchema = v.object({ notWritableSinceMs: v.number(), error: v.string() });

export class StorageMark {
  readonly #fd: number;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** Creates the file (storage writable) at full size; null when that fails (nothing is shown then). */
  static open(stateDir: string): StorageMark | null {
    let fd: number | null = null;
    try {
      fd = openSync(join(stateDir, STORAGE_MARK_FILE), 'w', 0o600);
      const mark = new StorageMark(fd);
      mark.set(null);
      return mark;
    } catch {
      if (fd !== null) closeSync(fd);
      return null;
    }
  }

  /** Records an outage (or its end), in place. Errors are ignored (see the file comment). */
  set(state: StorageMarkState | null): void {
    const text = state === null ? '{}' : JSON.stringify({ notWritableSinceMs: state.notWritableSinceMs, error: state.error.slice(0, 400) });
    const bytes = Buffer.alloc(MARK_BYTES, ' ');
    bytes.write(text, 0, 'utf8');
    bytes[MARK_BYTES - 1] = 0x0a;
    try {
      writeSync(this.#fd, bytes, 0, MARK_BYTES, 0);
      fdatasyncSync(this.#fd);
    } catch {
      // Best effort.
    }
  }

  /** Marks the storage writable (a clean stop leaves no outage behind) and closes the file. */
  close(): void {
    this.set(null);
    closeSync(this.#fd);
  }
}

/** The outage the running bot recorded, or null (writable, no file, or unreadable). */
export function readStorageMark(stateDir: string): StorageMarkState | null {
  try {
    const parsed = v.safeParse(MarkSchema, JSON.parse(readFileSync(join(stateDir, STORAGE_MARK_FILE), 'utf8')));
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}
