/**
 * In-memory implementations of the engine's store and journal, for the backtester (which must not
 * touch the state directory and must not pay an fsync per order) and for tests. They validate
 * nothing on write: the engine's own records are well-formed by construction, and the durable
 * store in src/state validates what reaches the disk.
 */
import type { FillRecord, JournalRecord } from '../domain/journalRecord.js';
import type { DeepReadonly, PersistedState } from '../domain/persistedState.js';
import { emptyState } from '../domain/persistedState.js';
import type { EngineJournal, EngineStore } from './ports.js';

export class MemoryStore implements EngineStore {
  #state: PersistedState;

  constructor(initial: PersistedState = emptyState(0)) {
    this.#state = initial;
  }

  get state(): DeepReadonly<PersistedState> {
    return this.#state;
  }

  update(mutate: (draft: PersistedState) => void): void {
    mutate(this.#state);
  }

  async flush(): Promise<void> {}
}

export class MemoryJournal implements EngineJournal {
  readonly records: JournalRecord[] = [];
  readonly #immediate: boolean;

  /**
   * `immediate`: append returns nothing, the record being in place already, so the engine has no
   * write in flight to wait for (the backtester: an hourly equity record then costs no promise).
   */
  constructor(options: { readonly immediate?: boolean } = {}) {
    this.#immediate = options.immediate ?? false;
  }

  append(record: JournalRecord): Promise<void> | void {
    this.records.push(record);
    return this.#immediate ? undefined : Promise.resolve();
  }

  async readFills(): Promise<readonly FillRecord[]> {
    return this.records.filter((r): r is FillRecord => r.type === 'fill');
  }
}
