/**
 * Reading a REST route's parameters (query string or JSON body) the way Bybit judges them: a missing
 * required field answers MISSING, a present but malformed one `params error: NAME invalid`, both with
 * retCode 10001 (reference section 3). The readers throw ParamError; RestApi turns it into the envelope.
 */
import { dec, type Dec } from '../domain/money.js';
import type { Instrument } from '../domain/types.js';

/** The parameters of one request: the query string's pairs, or the parsed JSON body. */
export type Params = Record<string, unknown>;

export class ParamError extends Error {
  override name = 'ParamError';
  constructor(
    message: string,
    readonly code = 10001,
  ) {
    super(message);
  }
}

export const MISSING = 'Missing some parameters that must be filled in, please check your parameters';

/** The one thing about the simulator the instrument reader needs. */
export interface SymbolBook {
  hasSymbol(symbol: string): boolean;
  instrument(symbol: string): Instrument;
}

export function str(p: Params, name: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ParamError(`params error: ${name} invalid`);
}

export function need(p: Params, name: string): string {
  const v = str(p, name);
  if (v === undefined) throw new ParamError(MISSING);
  return v;
}

export function bool(p: Params, name: string): boolean {
  const v = p[name];
  return v === true || v === 'true' || v === 1 || v === '1';
}

export function int(p: Params, name: string, def: number, min: number, max: number): number {
  const v = str(p, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ParamError(`params error: ${name} invalid`);
  return n;
}

export function decimal(p: Params, name: string): Dec | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new ParamError(`params error: ${name} invalid`);
  return dec(v);
}

/** Price fields where "0" means "clear" (reference section 3). */
export function clearable(p: Params, name: string): Dec | null | undefined {
  const d = decimal(p, name);
  if (d === undefined) return undefined;
  return d.isZero() ? null : d;
}

/** `category` must be present and `linear`, the only category the sandbox trades. */
export function linear(p: Params): void {
  const c = str(p, 'category');
  if (c === undefined) throw new ParamError(MISSING);
  if (c !== 'linear') throw new ParamError('Illegal category');
}

/** The required `symbol`, as one of the simulator's instruments. */
export function instrumentOf(p: Params, book: SymbolBook): Instrument {
  const symbol = need(p, 'symbol');
  if (!book.hasSymbol(symbol)) throw new ParamError('params error: symbol invalid');
  return book.instrument(symbol);
}

/** One page of `items` by `limit` and the `cursor` of the previous page (`p<offset>`). */
export function page<T>(items: readonly T[], p: Params, defLimit: number, maxLimit: number): { list: T[]; nextPageCursor: string } {
  const limit = int(p, 'limit', defLimit, 1, maxLimit);
  const cursor = str(p, 'cursor');
  let offset = 0;
  if (cursor !== undefined) {
    const m = /^p(\d+)$/.exec(cursor);
    if (!m) throw new ParamError('params error: cursor invalid');
    offset = Number(m[1]);
  }
  const list = items.slice(offset, offset + limit);
  return { list, nextPageCursor: offset + limit < items.length ? `p${offset + limit}` : '' };
}
