/**
 * Deterministic client order ids (Bybit `orderLinkId`: at most 36 of [A-Za-z0-9_-], unique per
 * account). The same intent always yields the same id, so after a crash and restart a repeated
 * attempt is refused by the exchange as a duplicate instead of opening a second position, and
 * reconciliation recognises the bot's own orders by the prefix and never touches anyone else's.
 *
 *   <prefix>-<symbol>-<kind>-<stamp>     e.g.  ps-BTCUSDT-EL-mhxk2p40   (entry, long)
 *
 * kind: EL/ES entry long/short, T1..T9 take-profit n of that entry, X<code> exit, QB<n>/QS<n>
 * quote at level n; stamp: the decision time in base 36 (an entry's targets reuse its stamp).
 */
import { createHash } from 'node:crypto';

export const ORDER_LINK_ID_MAX = 36;

/** Exit codes in orderLinkIds (`X<code>`) and the reasons they stand for in the journal. */
export const EXIT_CODES = { T: 'timeExit', S: 'signal', K: 'killSwitch', C: 'closeAll', L: 'stopLoss', M: 'mainClosed' } as const;
export type ExitCode = keyof typeof EXIT_CODES;
const PREFIX = /^[A-Za-z0-9]{1,6}$/;

export type OrderRole =
  | { readonly kind: 'entry'; readonly side: 'long' | 'short' }
  | { readonly kind: 'target'; readonly index: number }
  | { readonly kind: 'exit'; readonly code: string }
  | { readonly kind: 'quote'; readonly side: 'buy' | 'sell'; readonly level: number };

export function roleCode(role: OrderRole): string {
  switch (role.kind) {
    case 'entry':
      return role.side === 'long' ? 'EL' : 'ES';
    case 'target':
      if (!Number.isInteger(role.index) || role.index < 1 || role.index > 9) throw new RangeError('target index must be 1-9');
      return `T${role.index}`;
    case 'exit':
      if (!/^[A-Za-z0-9]{1,3}$/.test(role.code)) throw new RangeError('exit code must be 1-3 letters or digits');
      return `X${role.code}`;
    case 'quote':
      if (!Number.isInteger(role.level) || role.level < 0 || role.level > 9) throw new RangeError('quote level must be 0-9');
      return `Q${role.side === 'buy' ? 'B' : 'S'}${role.level}`;
  }
}

export function makeOrderLinkId(prefix: string, symbol: string, role: OrderRole, stampMs: number): string {
  if (!PREFIX.test(prefix)) throw new RangeError(`order id prefix must be 1-6 letters or digits, got "${prefix}"`);
  if (!Number.isSafeInteger(stampMs) || stampMs < 0) throw new RangeError('stamp must be a non-negative integer (ms)');
  const stamp = stampMs.toString(36);
  const code = roleCode(role);
  let id = `${prefix}-${symbol}-${code}-${stamp}`;
  if (id.length > ORDER_LINK_ID_MAX) {
    // A very long symbol: a short digest keeps the id unique and deterministic.
    const digest = createHash('sha256').update(symbol).digest('hex').slice(0, 8);
    id = `${prefix}-${digest}-${code}-${stamp}`;
  }
  return id;
}

/** True for ids this bot (with this prefix) created. */
export function isOwnOrderLinkId(prefix: string, orderLinkId: string): boolean {
  return orderLinkId.startsWith(`${prefix}-`);
}

/** The role of one of our ids, or null when it is not ours or not well formed. */
export function parseOrderLinkId(prefix: string, orderLinkId: string): { role: OrderRole; stampMs: number } | null {
  if (!isOwnOrderLinkId(prefix, orderLinkId)) return null;
  const parts = orderLinkId.split('-');
  if (parts.length !== 4) return null;
  const [, , code, stamp] = parts as [string, string, string, string];
  const stampMs = parseInt(stamp, 36);
  if (!Number.isSafeInteger(stampMs)) return null;
  let m: RegExpExecArray | null;
  if (code === 'EL' || code === 'ES') return { role: { kind: 'entry', side: code === 'EL' ? 'long' : 'short' }, stampMs };
  if ((m = /^T([1-9])$/.exec(code))) return { role: { kind: 'target', index: Number(m[1]) }, stampMs };
  if ((m = /^X([A-Za-z0-9]{1,3})$/.exec(code))) return { role: { kind: 'exit', code: m[1]! }, stampMs };
  if ((m = /^Q([BS])([0-9])$/.exec(code))) return { role: { kind: 'quote', side: m[1] === 'B' ? 'buy' : 'sell', level: Number(m[2]) }, stampMs };
  return null;
}
