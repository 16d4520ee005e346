/**
 * lowdb adapter for `state.json` that survives SIGKILL and power loss. lowdb 7's `JSONFile` goes
 * through steno's `Writer`, which writes a temporary file and renames it but never fsyncs (see
 * node_modules/steno/lib/index.js): after a power cut the rename can be on disk while the data is
 * not, leaving an empty or partial file. This adapter writes through `writeFileDurable` (temp file,
 * fsync, rename, fsync of the directory) and validates on read (via `readStateFile`).
 */
import type { Adapter } from 'lowdb';
import { writeFileDurable } from './durableFile.js';
import { readStateFile, stateFilePath } from './stateFile.js';
import type { LoadedState } from './stateFile.js';
import type { PersistedState } from '../domain/persistedState.js';

export class DurableJsonAdapter implements Adapter<PersistedState> {
  readonly stateDir: string;
  readonly file: string;
  #lastLoad: LoadedState | null = null;
  #lastWrittenText: string | null = null;
  #writes = 0;

  constructor(stateDir: string) {
    this.stateDir = stateDir;
    this.file = stateFilePath(stateDir);
  }

  /** The validated state, null for a fresh directory; throws `StateFileError` otherwise. */
  async read(): Promise<PersistedState | null> {
    this.#lastLoad = await readStateFile(this.stateDir);
    if (this.#lastLoad !== null) this.#lastWrittenText = this.#lastLoad.text;
    return this.#lastLoad?.state ?? null;
  }

  /**
   * Serialises `data` before the first `await`, so the bytes written are the state as it was when
   * the write was requested, whatever happens to the object meanwhile.
   */
  write(data: PersistedState): Promise<void> {
    const text = `${JSON.stringify(data, null, 2)}\n`;
    this.#writes++;
    return writeFileDurable(this.file, text).then(() => {
      this.#lastWrittenText = text;
    });
  }

  /** What the last `read()` found (text and original schema version), or null. */
  get lastLoad(): LoadedState | null {
    return this.#lastLoad;
  }

  /** The text now durable in `state.json` as far as this adapter knows (what backups copy). */
  get lastWrittenText(): string | null {
    return this.#lastWrittenText;
  }

  /** Writes started since construction (for the coalescing benchmark and tests). */
  get writeCount(): number {
    return this.#writes;
  }
}
