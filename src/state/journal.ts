/**
 * The trade journal (issue 6, part 2): append-only JSON Lines under `<stateDir>/journal/`, one file
 * per UTC month (`journal/2026-11.jsonl`): the month of the run's market clock when the journal is
 * given one (`monthClock`), else of the record's `ts`. A replay's records carry two clocks (orders
 * the candles' time, the sandbox's fills today's date); filing by the market clock keeps one run's
 * records in one month file. A record keeps the `ts` it carries either way.
 *
 * Durability: `append()` resolves only after the line is written and, by default, fdatasync'd
 * (`durability: 'fsync'`), so an acknowledged record survives SIGKILL and power loss. With
 * `durability: 'write'` it resolves after write(2): that survives SIGKILL (the kernel has the bytes)
 * but not a power cut. Appends that arrive while a sync is in flight are written together and
 * share the next sync (group commit), so a burst costs one sync, not one each.
 *
 * Cost does not grow with the journal: the month file stays open in append mode; nothing is read
 * or rewritten on append. On opening a month file, a torn last line (the process was killed in the
 * middle of a write, so the record was never acknowledged) is cut off and kept, verbatim, in
 * `<month>.jsonl.torn`, so the next record starts on a line of its own and nothing is lost.
 *
 * A storage that cannot take writes (issue 22: ENOSPC, EROFS, EACCES, EIO; see util/writeFault.ts)
 * does not lose records when the journal has an `onStorageError` listener: the failed batch and every later append are held in memory, in order, and
 * their appends resolve at once (the journal owns them now); `onStorageError` is told once per
 * outage. `retry()` writes the held records when the storage works again; a partial line a failed
 * write left is cut back first, so nothing is written twice.
 */
import { mkdir, open, readFile, readdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import { throwIfWriteFault, isStorageError } from '../util/writeFault.js';
import { fsyncDirectory } from './durableFile.js';
import { JournalRecordSchema } from '../domain/journalRecord.js';
import type { JournalRecord } from '../domain/journalRecord.js';
import { InvalidJournalRecordError } from './stateErrors.js';

export const JOURNAL_DIR_NAME = 'journal';
const MONTH_FILE = /^(\d{4})-(\d{2})\.jsonl$/;

export type JournalDurability = 'fsync' | 'write';

export interface JournalOptions {
  /** Default 'fsync' (see the file comment). */
  readonly durability?: JournalDurability;
  /** The run's market time in Unix ms; every record is filed under its month at append time (see the file comment). */
  readonly monthClock?: () => number;
  /** A write failed because the storage cannot take writes: records are held from now on (see the file comment). */
  readonly onStorageError?: (err: NodeJS.ErrnoException) => void;
}

/** A torn last line found when a month file was opened for appending, cut off and kept aside. */
export interface JournalRepair {
  readonly file: string;
  /** 1-based line number the torn fragment had. */
  readonly line: number;
  readonly bytes: number;
  /** Where the fragment was kept. */
  readonly keptIn: string;
}

interface Pending {
  readonly month: string;
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export function journalDir(stateDir: string): string {
  return join(stateDir, JOURNAL_DIR_NAME);
}

/** `2026-11` for a time in November 2026 (UTC). */
export function journalMonth(ts: number): string {
  return new Date(ts).toISOString().slice(0, 7);
}

const accepted = (): void => {};

export class Journal {
  readonly dir: string;
  readonly #durability: JournalDurability;
  readonly #monthClock: (() => number) | null;
  readonly #onStorageError: ((err: NodeJS.ErrnoException) => void) | null;
  /** Set while the storage refuses writes: appends are held in #queue, not written. */
  #held: NodeJS.ErrnoException | null = null;
  /** Bytes the open month file had after its last complete write (where a failed write is cut back to). */
  #size = 0;
  readonly #repairs: JournalRepair[] = [];
  #handle: FileHandle | null = null;
  #handleMonth: string | null = null;
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;
  #closed = false;
  #appends = 0;
  #syncs = 0;

  constructor(stateDir: string, options: JournalOptions = {}) {
    this.dir = journalDir(stateDir);
    this.#durability = options.durability ?? 'fsync';
    this.#monthClock = options.monthClock ?? null;
    this.#onStorageError = options.onStorageError ?? null;
  }

  /**
   * Validates and appends one record; resolves once it is durable (see the file comment). Rejects
   * with `InvalidJournalRecordError` for a record that does not match the schema (nothing written).
   */
  append(record: JournalRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('Journal is closed'));
    const checked = v.safeParse(JournalRecordSchema, record);
    if (!checked.success) {
      const issue = checked.issues[0];
      return Promise.reject(new InvalidJournalRecordError(`journal record rejected at "${v.getDotPath(issue) ?? '(root)'}": ${issue.message}`));
    }
    const line = `${JSON.stringify(checked.output)}\n`;
    const month = journalMonth(this.#monthClock?.() ?? record.ts);
    if (this.#held !== null) {
      this.#queue.push({ month, line, resolve: accepted, reject: accepted });
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ month, line, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  /** Torn lines cut off (and kept) since this journal was opened; the engine alerts on them. */
  get repairs(): readonly JournalRepair[] {
    return this.#repairs;
  }

  get counters(): { readonly appends: number; readonly syncs: number } {
    return { appends: this.#appends, syncs: this.#syncs };
  }

  /** The storage error records are held for, or null when writes go through. */
  get heldError(): NodeJS.ErrnoException | null {
    return this.#held;
  }

  /** Records held in memory, in order (JSON lines), waiting for the storage. */
  get heldLines(): readonly string[] {
    return this.#held === null ? [] : this.#queue.map((p) => p.line);
  }

  /**
   * Writes the held records now, in order; resolves with how many were written late (0 when none
   * were held). Rejects with the storage error when it still fails (they stay held).
   */
  async retry(): Promise<number> {
    if (this.#held === null) return 0;
    const late = this.#queue.length;
    this.#held = null;
    await (this.#draining ??= this.#drain());
    if (this.#held !== null) throw this.#held;
    return late;
  }

  /** Waits for queued appends (one last try for held ones), then closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#draining;
    await this.retry().catch(() => undefined);
    await this.#handle?.close();
    this.#handle = null;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0 && this.#held === null) {
        const month = this.#queue[0]!.month;
        // One batch: everything queued for the same month, in order.
        let n = 0;
        while (n < this.#queue.length && this.#queue[n]!.month === month) n++;
        const batch = this.#queue.splice(0, n);
        try {
          const handle = await this.#handleFor(month);
          const text = batch.map((p) => p.line).join('');
          throwIfWriteFault(join(this.dir, `${month}.jsonl`));
          await handle.write(text);
          if (this.#durability === 'fsync') {
            await handle.datasync();
            this.#syncs++;
          }
          this.#size += Buffer.byteLength(text);
          this.#appends += batch.length;
          for (const p of batch) p.resolve();
        } catch (err) {
          // Cut back what the failed write may have left (a partial line, or lines whose sync
          // failed), so a retry writes them once; if that fails too, the reopen repairs the tail.
          await this.#handle?.truncate(this.#size).catch(() => undefined);
          if (isStorageError(err) && this.#onStorageError !== null) {
            // Keep them, in order, ahead of everything queued since; they are the journal's to write now.
            for (const p of [...batch, ...this.#queue]) p.resolve();
            this.#queue = [...batch, ...this.#queue].map((p) => ({ ...p, resolve: accepted, reject: accepted }));
            this.#held = err;
            this.#onStorageError?.(err);
          } else {
            for (const p of batch) p.reject(err);
          }
          await this.#handle?.close().catch(() => undefined);
          this.#handle = null;
          this.#handleMonth = null;
        }
      }
    } finally {
      this.#draining = null;
    }
  }

  async #handleFor(month: string): Promise<FileHandle> {
    if (this.#handle !== null && this.#handleMonth === month) return this.#handle;
    await this.#handle?.close();
    this.#handle = null;
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${month}.jsonl`);
    await this.#repairTornTail(file);
    const handle = await open(file, 'a', 0o600);
    try {
      this.#size = (await handle.stat()).size;
      // A new file's directory entry must be durable too, or a power cut could lose the whole month.
      await fsyncDirectory(this.dir);
    } catch (err) {
      await handle.close();
      throw err;
    }
    this.#handle = handle;
    this.#handleMonth = month;
    return handle;
  }

  async #repairTornTail(file: string): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const size = (await handle.stat()).size;
      if (size === 0) return;
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] === 0x0a) return;
      // Walk back to the previous newline; a torn tail is at most one record long.
      let cut = 0;
      const chunk = Buffer.alloc(64 * 1024);
      for (let end = size; end > 0; ) {
        const start = Math.max(0, end - chunk.length);
        await handle.read(chunk, 0, end - start, start);
        const nl = chunk.subarray(0, end - start).lastIndexOf(0x0a);
        if (nl >= 0) {
          cut = start + nl + 1;
          break;
        }
        end = start;
      }
      const fragment = Buffer.alloc(size - cut);
      await handle.read(fragment, 0, fragment.length, cut);
      const keptIn = `${file}.torn`;
      const line = (await countNewlines(handle, cut)) + 1;
      const kept = await open(keptIn, 'a', 0o600);
      try {
        await kept.write(`${JSON.stringify({ line, fragment: fragment.toString('utf8') })}\n`);
        await kept.sync();
      } finally {
        await kept.close();
      }
      await handle.truncate(cut);
      await handle.sync();
      this.#repairs.push({ file, line, bytes: fragment.length, keptIn });
    } finally {
      await handle.close();
    }
  }
}

async function countNewlines(handle: FileHandle, upTo: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  let count = 0;
  for (let pos = 0; pos < upTo; ) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, upTo - pos), pos);
    if (bytesRead === 0) break;
    for (let i = 0; i < bytesRead; i++) if (chunk[i] === 0x0a) count++;
    pos += bytesRead;
  }
  return count;
}

/** A line that could not be used, with where it is. */
export interface JournalProblem {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /**
   * `torn`: the last line of a file, without its newline: a write cut short by a kill; the record was
   * never acknowledged. `syntax` / `schema`: damage anywhere else, which should not happen.
   */
  readonly kind: 'torn' | 'syntax' | 'schema';
  readonly detail: string;
}

export interface JournalReadResult {
  /** Valid records, in file order (months ascending). */
  readonly records: JournalRecord[];
  readonly problems: JournalProblem[];
}

export interface JournalReadOptions {
  /** Keep records with `fromMs <= ts < toMs`. */
  readonly fromMs?: number;
  readonly toMs?: number;
}

/** Reads every month file of the journal; never throws on bad lines, reports them. */
export async function readJournal(stateDir: string, options: JournalReadOptions = {}): Promise<JournalReadResult> {
  const dir = journalDir(stateDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], problems: [] };
    throw err;
  }
  // Every file is read: a file's month is the market month its records were filed under, which
  // need not be the month of each record's own `ts` (see the file comment).
  const months = names.filter((n) => MONTH_FILE.test(n)).sort();
  const records: JournalRecord[] = [];
  const problems: JournalProblem[] = [];
  for (const name of months) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8');
    const lines = text.split('\n');
    // After split, a file ending in "\n" has an empty last element; anything else there is torn.
    const tail = lines.pop() ?? '';
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (err) {
        problems.push({ file, line: i + 1, kind: 'syntax', detail: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const checked = v.safeParse(JournalRecordSchema, raw);
      if (!checked.success) {
        const issue = checked.issues[0];
        problems.push({ file, line: i + 1, kind: 'schema', detail: `at "${v.getDotPath(issue) ?? '(root)'}": ${issue.message}` });
        continue;
      }
      const r = checked.output;
      if ((options.fromMs !== undefined && r.ts < options.fromMs) || (options.toMs !== undefined && r.ts >= options.toMs)) continue;
      records.push(r);
    }
    if (tail !== '') problems.push({ file, line: lines.length + 1, kind: 'torn', detail: `last line has no newline (${Buffer.byteLength(tail)} bytes): a write cut short; skipped` });
  }
  return { records, problems };
}
