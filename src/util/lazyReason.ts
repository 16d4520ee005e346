/**
 * Log fields whose `reason` text is worked out only when a logger prints it (a refused signal's
 * reason is mostly never read). An object literal's own getter, `{ get reason() { … } }`, did that,
 * but V8 gives every such object a hidden class of its own (its getter is a new closure each time):
 * about a microsecond per object, and garbage that lasted long enough to fill the old generation of
 * a backtest (issue 21). Here every object shares one getter function, so they share their hidden
 * classes; the text is made at the first read and kept. The property is what the literal made: own
 * and enumerable (a logger lists fields with `Object.entries`), configurable, a getter.
 */
class LazyReasonFields {
  #make: (() => string) | null;
  #text = '';

  constructor(make: () => string) {
    this.#make = make;
    Object.defineProperty(this, 'reason', REASON);
  }

  static read(fields: LazyReasonFields): string {
    const make = fields.#make;
    if (make !== null) {
      fields.#text = make();
      fields.#make = null;
    }
    return fields.#text;
  }
}

const REASON: PropertyDescriptor = {
  get(this: LazyReasonFields): string {
    return LazyReasonFields.read(this);
  },
  enumerable: true,
  configurable: true,
};

/** `{ reason }` for a logger, with `make()` called once, at the first read. */
export function lazyReasonFields(make: () => string): { readonly reason: string } {
  return new LazyReasonFields(make) as unknown as { readonly reason: string };
}
