/** A bounded set of recently seen ids (execution ids for fill de-duplication); the oldest go first. */
export class RecentIds {
  readonly #ids = new Set<string>();
  readonly #cap: number;
  constructor(cap: number) {
    this.#cap = cap;
  }
  /** True when `id` is new. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.#cap) {
      const oldest = this.#ids.values().next();
      if (!oldest.done) this.#ids.delete(oldest.value);
    }
    return true;
  }
}
