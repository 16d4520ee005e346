/**
 * A `reason` text worked out only when something reads it (a refused signal's reason is mostly never
 * read). An object literal's own getter, `{ get reason() { … } }`, did that, but V8 gives every such
 * object a hidden class of its own (its getter is a new closure each time): about a microsecond per
 * object, and garbage that lasted long enough to fill the old generation of a backtest (issue 21).
 * Here every object shares one getter function, so they share their hidden classes; the text is
 * made at the first read and kept. The property is what the literal made: own, enumerable,
 * configurable, a getter (so `Object.entries`, a spread and the strategy guard see it as before).
 */
const MAKE = Symbol('reason text');

interface Pending {
  [MAKE]: { make: (() => string) | null; text: string };
}

function readReason(this: Pending): string {
  const slot = this[MAKE];
  if (slot.make !== null) {
    slot.text = slot.make();
    slot.make = null;
  }
  return slot.text;
}

const HIDDEN: PropertyDescriptor = { writable: true, enumerable: false, configurable: true };
const REASON: PropertyDescriptor = { get: readReason, enumerable: true, configurable: true };

/** Gives `target` a `reason` getter returning `make()`, called once at the first read. */
export function withLazyReason<T extends object>(target: T, make: () => string): T & { readonly reason: string } {
  HIDDEN.value = { make, text: '' };
  Object.defineProperty(target, MAKE, HIDDEN);
  HIDDEN.value = undefined;
  Object.defineProperty(target, 'reason', REASON);
  return target as T & { readonly reason: string };
}
