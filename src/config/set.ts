/**
 * `--set key.path=value` overrides (DESIGN section 4). The value is read as JSON when it parses
 * (numbers, booleans, null, arrays, objects), otherwise as a plain string, so `--set mode=testnet`
 * and `--set risk.maxDailyLossPct=3` both work. Path segments that are whole numbers index arrays.
 */
import { UsageError } from '../util/errors.js';

export interface SetOverride {
  readonly path: readonly string[];
  readonly value: unknown;
  /** The argument as given, for messages. */
  readonly raw: string;
}

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$|^\d+$/;

export function parseSetArg(arg: string): SetOverride {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set expects key.path=value, got "${arg}"`);
  const key = arg.slice(0, eq);
  const text = arg.slice(eq + 1);
  const path = key.split('.');
  for (const seg of path) {
    if (!SEGMENT.test(seg)) throw new UsageError(`--set "${arg}": "${seg}" is not a valid key segment (letters, digits, _)`);
  }
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: keep the plain string.
  }
  return { path, value, raw: arg };
}

/**
 * Splits `--set key=v1,v2,v3` into its values, for parameter sweeps. A value that is itself a JSON
 * array (starts with "[") is one value, not a list.
 */
export function parseSweepArg(arg: string): SetOverride[] {
  const one = parseSetArg(arg);
  const text = arg.slice(arg.indexOf('=') + 1);
  if (text.startsWith('[') || text.startsWith('{') || !text.includes(',')) return [one];
  return text.split(',').map((part) => parseSetArg(`${one.path.join('.')}=${part}`));
}

/** Returns a deep copy of `target` with each override applied in order (later wins). */
export function applySets<T>(target: T, overrides: readonly SetOverride[]): T {
  const root: unknown = structuredClone(target);
  for (const o of overrides) {
    let node: unknown = root;
    for (let i = 0; i < o.path.length - 1; i++) {
      const seg = o.path[i]!;
      if (typeof node !== 'object' || node === null) throw new UsageError(`--set ${o.raw}: "${o.path.slice(0, i).join('.')}" is not an object`);
      const rec = node as Record<string, unknown>;
      if (rec[seg] === undefined) rec[seg] = /^\d+$/.test(o.path[i + 1]!) ? [] : {};
      node = rec[seg];
    }
    if (typeof node !== 'object' || node === null) throw new UsageError(`--set ${o.raw}: the parent of "${o.path.at(-1)}" is not an object`);
    (node as Record<string, unknown>)[o.path.at(-1)!] = o.value;
  }
  return root as T;
}
