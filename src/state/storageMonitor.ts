/**
 * Storage outages of the state directory (issue 22: "a full or read-only phone storage: stop
 * opening, keep every position protected, say it once, resume by itself").
 *
 * The state store and the journal report a write that failed because the storage cannot take writes
 * (`report`); the first report starts an outage, told once (`onDown`). While it lasts, a small write
 * probes the directory every 30 s; when one succeeds, `recover` writes what was held in memory (the
 * journal's records in order, then the state) and the outage ends, told once (`onUp`, with how many
 * records were written late). A still-failing storage is recalled at most every 10 minutes
 * (`onReminder`), never per event.
 */
import { isStorageError } from '../util/writeFault.js';
import { probeWritable } from './durableFile.js';

export interface StorageOutage {
  readonly sinceMs: number;
  /** errno code: ENOSPC, EROFS, EACCES, EIO, ... */
  readonly code: string;
  /** The error as the system gave it. */
  readonly message: string;
}

export interface StorageMonitorOptions {
  readonly nowMs?: () => number;
  /** Default 30 s. */
  readonly probeEveryMs?: number;
  /** Default 10 min. */
  readonly remindEveryMs?: number;
  /** Writes what was held; resolves with how many records were written late; throws while it still fails. */
  readonly recover: () => Promise<number>;
  readonly onDown: (outage: StorageOutage) => void;
  readonly onReminder: (outage: StorageOutage) => void;
  readonly onUp: (outage: StorageOutage, lateRecords: number) => void;
}

export class StorageMonitor {
  readonly dir: string;
  readonly #o: StorageMonitorOptions;
  readonly #nowMs: () => number;
  #outage: StorageOutage | null = null;
  #lastSaidMs = 0;
  #timer: NodeJS.Timeout | null = null;
  #probing: Promise<boolean> | null = null;
  #stopped = false;

  constructor(dir: string, options: StorageMonitorOptions) {
    this.dir = dir;
    this.#o = options;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  /** The outage in progress, or null while the directory takes writes. */
  get outage(): StorageOutage | null {
    return this.#outage;
  }

  /** A write failed: starts an outage for a storage error (false for any other error, left to the caller). */
  report(err: unknown): boolean {
    if (!isStorageError(err)) return false;
    if (this.#outage !== null || this.#stopped) return true;
    const outage: StorageOutage = { sinceMs: this.#nowMs(), code: err.code ?? 'EIO', message: err.message };
    this.#outage = outage;
    this.#lastSaidMs = outage.sinceMs;
    this.#timer = setInterval(() => void this.probe(), this.#o.probeEveryMs ?? 30_000);
    this.#timer.unref();
    this.#o.onDown(outage);
    return true;
  }

  /** One probe now (the timer calls it); true when the directory takes writes again (or never stopped). */
  probe(): Promise<boolean> {
    return (this.#probing ??= this.#probeOnce().finally(() => (this.#probing = null)));
  }

  /** Stops probing (shutdown). */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  async #probeOnce(): Promise<boolean> {
    const outage = this.#outage;
    if (outage === null) return true;
    let late: number;
    try {
      await probeWritable(this.dir);
      late = await this.#o.recover();
    } catch {
      // Still failing (whatever the error says now): remind at most every remindEveryMs.
      const now = this.#nowMs();
      if (now - this.#lastSaidMs >= (this.#o.remindEveryMs ?? 600_000)) {
        this.#lastSaidMs = now;
        this.#o.onReminder(outage);
      }
      return false;
    }
    this.#outage = null;
    this.#clearTimer();
    this.#o.onUp(outage, late);
    return true;
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
