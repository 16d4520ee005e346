/**
 * The bot's resumable state (issue 6, part 1): lowdb over `<stateDir>/state.json`, held under the
 * directory's lock, validated on load and on every update, written atomically and durably.
 *
 * Writes are coalesced: `update()` changes the state in memory and schedules one write on the next
 * turn of the event loop (or after `coalesceMs`), so a burst of events costs one write. `flush()`
 * resolves only when everything updated so far is on disk; the engine awaits it before sending an
 * order, so that a restart always knows what it sent (DESIGN section 1).
 *
 * A storage that cannot take writes (issue 22: ENOSPC, EROFS, EACCES, EIO), when the owner listens
 * (`onStorageError`): the store stops writing and keeps the state in memory; `flush()` rejects at
 * once with that error, so no order goes out whose plan is not durable; `retry()` (after a probe
 * write succeeded) writes the newest state and lifts the hold.
 */
import { mkdir } from 'node:fs/promises';
import { Low } from 'lowdb';
import * as v from 'valibot';
import { backupDir, listBackups, restoreBackupLocked, writeBackup } from './backups.js';
import { removeLeftoverTempFiles } from './durableFile.js';
import { isStorageError } from '../util/writeFault.js';
import type { RestoreResult } from './backups.js';
import { DurableJsonAdapter } from './durableJsonAdapter.js';
import { InvalidStateUpdateError, StateFileError } from './stateErrors.js';
import { StateLock } from './stateLock.js';
import { PersistedStateSchema, STATE_SCHEMA_VERSION, emptyState } from '../domain/persistedState.js';
import type { DeepReadonly, PersistedState } from '../domain/persistedState.js';

export interface StateStoreOptions {
  /** Injected clock (tests); default `Date.now`. */
  readonly nowMs?: () => number;
  /** Debounce of writes after an update; 0 (default) = the next turn of the event loop. */
  readonly coalesceMs?: number;
  /** Take a rolling backup after a write when the newest is at least this old. Default 1 h. */
  readonly backupEveryMs?: number;
  /** Rolling backups kept (tagged pre-migration backups are extra). Default 48. */
  readonly backupKeep?: number;
  /** Take the directory lock (default true). Only tests and tools that never write pass false. */
  readonly lock?: boolean;
  /**
   * `run --restore-backup`: when `state.json` is damaged, move it aside and restore the newest valid
   * backup before loading. A valid `state.json` is loaded as it is.
   */
  readonly restoreBackup?: boolean;
  /** Called when a background write or backup fails (the engine alerts); flush() also rejects. */
  readonly onWriteError?: (err: unknown) => void;
  /** A write or backup failed because the storage cannot take writes: writes are held (see the file comment). */
  readonly onStorageError?: (err: NodeJS.ErrnoException) => void;
}

interface Waiter {
  readonly version: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class StateStore {
  readonly dir: string;
  /** Schema version `state.json` had on disk when opened (it is now migrated and rewritten). */
  readonly openedFromVersion: number | null;
  /** Set when `restoreBackup` restored a backup while opening. */
  readonly restored: RestoreResult | null;
  readonly #db: Low<PersistedState>;
  readonly #adapter: DurableJsonAdapter;
  readonly #lock: StateLock | null;
  readonly #nowMs: () => number;
  readonly #coalesceMs: number;
  readonly #backupEveryMs: number;
  readonly #backupKeep: number;
  readonly #onWriteError: ((err: unknown) => void) | undefined;
  readonly #onStorageError: ((err: NodeJS.ErrnoException) => void) | undefined;
  /** Set while the storage refuses writes: nothing is written until retry(). */
  #held: NodeJS.ErrnoException | null = null;
  #version = 0;
  #durableVersion = 0;
  #writing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #waiters: Waiter[] = [];
  #lastBackupMs = Number.NEGATIVE_INFINITY;
  #closed = false;
  #updates = 0;

  private constructor(
    dir: string,
    db: Low<PersistedState>,
    adapter: DurableJsonAdapter,
    lock: StateLock | null,
    options: StateStoreOptions,
    openedFromVersion: number | null,
    restored: RestoreResult | null,
  ) {
    this.dir = dir;
    this.#db = db;
    this.#adapter = adapter;
    this.#lock = lock;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#coalesceMs = options.coalesceMs ?? 0;
    this.#backupEveryMs = options.backupEveryMs ?? 3_600_000;
    this.#backupKeep = options.backupKeep ?? 48;
    this.#onWriteError = options.onWriteError;
    this.#onStorageError = options.onStorageError;
    this.openedFromVersion = openedFromVersion;
    this.restored = restored;
  }

  /**
   * Opens (creating when absent) the state of `stateDir`. Throws `StateLockedError` when another
   * instance runs there, and `StateFileError` when `state.json` is damaged (left untouched).
   */
  static async open(stateDir: string, options: StateStoreOptions = {}): Promise<StateStore> {
    const nowMs = options.nowMs ?? Date.now;
    await mkdir(stateDir, { recursive: true });
    const lock = options.lock === false ? null : StateLock.acquire(stateDir, nowMs);
    try {
      if (lock !== null) {
        await removeLeftoverTempFiles(stateDir);
        await removeLeftoverTempFiles(backupDir(stateDir));
      }
      const adapter = new DurableJsonAdapter(stateDir);
      const db = new Low<PersistedState>(adapter, emptyState(nowMs()));
      let restored: RestoreResult | null = null;
      try {
        await db.read();
      } catch (err) {
        if (!(err instanceof StateFileError) || options.restoreBackup !== true || err.newestBackup === null) throw err;
        restored = await restoreBackupLocked(stateDir, { nowMs });
        await db.read();
      }
      const loaded = adapter.lastLoad;
      const store = new StateStore(stateDir, db, adapter, lock, options, loaded?.fromVersion ?? null, restored);
      await store.#afterOpen();
      return store;
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  async #afterOpen(): Promise<void> {
    const loaded = this.#adapter.lastLoad;
    const backups = await listBackups(this.dir);
    this.#lastBackupMs = backups.find((b) => b.tag === null)?.takenMs ?? Number.NEGATIVE_INFINITY;
    if (loaded === null) {
      // A fresh directory: make the file exist at once, so its absence later always means loss.
      this.#version++;
      await this.flush();
    } else if (loaded.fromVersion !== STATE_SCHEMA_VERSION) {
      // Keep the file exactly as the older version wrote it before replacing it.
      await writeBackup(this.dir, loaded.text, this.#nowMs(), { keep: this.#backupKeep, tag: `pre-migration-v${loaded.fromVersion}` });
      this.#version++;
      await this.flush();
    }
    await this.idle();
    await this.#backupIfDue();
  }

  /** The current state (in memory; what `flush()` makes durable). Do not mutate: use `update`. */
  get state(): DeepReadonly<PersistedState> {
    return this.#db.data;
  }

  /**
   * Applies `mutate` to a copy of the state, validates the result and, when valid, makes it current
   * and schedules a coalesced write. An invalid result or a throw in `mutate` leaves the state as it
   * was (throws `InvalidStateUpdateError` / the mutator's error).
   */
  update(mutate: (draft: PersistedState) => void): void {
    if (this.#closed) throw new Error('StateStore is closed');
    const draft = structuredClone(this.#db.data);
    mutate(draft);
    draft.updatedMs = this.#nowMs();
    const checked = v.safeParse(PersistedStateSchema, draft);
    if (!checked.success) {
      const issue = checked.issues[0];
      throw new InvalidStateUpdateError(`state update rejected at "${v.getDotPath(issue) ?? '(root)'}": ${issue.message}`);
    }
    this.#db.data = checked.output;
    this.#version++;
    this.#updates++;
    this.#schedule();
  }

  /** Resolves once every update made before this call is durable in `state.json`. */
  flush(): Promise<void> {
    const target = this.#version;
    if (this.#durableVersion >= target) return Promise.resolve();
    if (this.#held !== null) return Promise.reject(this.#held);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ version: target, resolve, reject }));
    this.#cancelTimer();
    if (this.#writing === null) this.#startWrite();
    return done;
  }

  /** The storage error writes are held for, or null. */
  get heldError(): NodeJS.ErrnoException | null {
    return this.#held;
  }

  /** Lifts a hold and writes the newest state; rejects (and holds again) when the storage still fails. */
  async retry(): Promise<void> {
    if (this.#held === null) return;
    this.#held = null;
    await this.flush();
  }

  /** Resolves when no write or backup is in progress (tests, benchmarks, shutdown). */
  async idle(): Promise<void> {
    while (this.#writing !== null) await this.#writing;
  }

  /** Writes a backup of the durable state now (after a flush); returns its path. */
  async backupNow(): Promise<string> {
    await this.flush();
    const text = this.#adapter.lastWrittenText ?? `${JSON.stringify(this.#db.data, null, 2)}\n`;
    const file = await writeBackup(this.dir, text, this.#nowMs(), { keep: this.#backupKeep });
    this.#lastBackupMs = this.#nowMs();
    return file;
  }

  /** Flushes, then releases the lock. The store cannot be updated afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
      await this.idle();
    } finally {
      this.#closed = true;
      this.#cancelTimer();
      this.#lock?.release();
    }
  }

  /** Counters for tests and the benchmark: updates accepted and file writes started. */
  get counters(): { readonly updates: number; readonly writes: number } {
    return { updates: this.#updates, writes: this.#adapter.writeCount };
  }

  #schedule(): void {
    if (this.#timer !== null || this.#writing !== null || this.#held !== null) return;
    const fire = (): void => {
      this.#timer = null;
      this.#startWrite();
    };
    this.#timer = this.#coalesceMs > 0 ? setTimeout(fire, this.#coalesceMs) : setImmediate(fire);
  }

  #cancelTimer(): void {
    if (this.#timer === null) return;
    if (this.#coalesceMs > 0) clearTimeout(this.#timer as NodeJS.Timeout);
    else clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = null;
  }

  #startWrite(): void {
    if (this.#writing !== null || this.#durableVersion >= this.#version) return;
    const version = this.#version;
    // Low.write calls the adapter synchronously, which serialises the state as of `version`.
    const written = this.#db.write();
    this.#writing = (async () => {
      let failed = false;
      try {
        await written;
        this.#durableVersion = version;
        this.#settle(version, null);
        await this.#backupIfDue();
      } catch (err) {
        failed = true;
        this.#settle(version, err);
        if (isStorageError(err) && this.#onStorageError !== undefined) {
          this.#held = err;
          this.#settle(Number.POSITIVE_INFINITY, err);
          this.#onStorageError(err);
        } else this.#onWriteError?.(err);
      } finally {
        this.#writing = null;
        if (this.#version > this.#durableVersion && this.#held === null) {
          // More updates arrived meanwhile: write them (at once if someone waits). After a failure,
          // retry only for new updates or a new flush(), never in a loop on a broken disk.
          if (this.#waiters.length > 0) this.#startWrite();
          else if (!failed || this.#version > version) this.#schedule();
        }
      }
    })();
  }

  #settle(version: number, err: unknown): void {
    const keep: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.version > version) keep.push(w);
      else if (err === null) w.resolve();
      else w.reject(err);
    }
    this.#waiters = keep;
  }

  async #backupIfDue(): Promise<void> {
    const now = this.#nowMs();
    const text = this.#adapter.lastWrittenText;
    // A newest backup "in the future" means the clock was wrong then or is now: take one anyway.
    if (text === null || (now - this.#lastBackupMs < this.#backupEveryMs && now >= this.#lastBackupMs)) return;
    try {
      await writeBackup(this.dir, text, now, { keep: this.#backupKeep });
      this.#lastBackupMs = now;
    } catch (err) {
      if (isStorageError(err) && this.#onStorageError !== undefined) this.#onStorageError(err);
      else this.#onWriteError?.(err);
    }
  }
}
