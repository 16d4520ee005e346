/**
 * The mirror account (issue 24) compared with the main one, symbol by symbol: what the mirror must
 * do so that it holds what main holds. Used after each (re)start of the mirror and on a timer (and
 * after each of the mirror's reconciliations), so a close that failed, or a copy that landed after
 * the mirror gave up on it, is put right at the next look.
 */
import { dec } from '../domain/money.js';
import type { DeepReadonly, PersistedState } from '../domain/persistedState.js';

type State = DeepReadonly<PersistedState>;
type Position = NonNullable<State['symbols'][string]['position']>;

/** `close`: main is flat; `replace`: main holds another entry (closed here, then main's is copied); `copy`: main's entry was never copied. */
export type MirrorAction = 'close' | 'replace' | 'copy';

export const isOpen = (pos: Position | null | undefined): pos is Position => pos !== null && pos !== undefined && !dec(pos.size).isZero();

/**
 * Main's entry order still on record: working (a limit entry filling in parts), or filled with its
 * stop and ladder still being placed (src/engine/executionHandler.ts). The copy waits until it is done.
 */
export function entryWorking(state: State, symbol: string): boolean {
  const s = state.symbols[symbol];
  const id = s?.position?.entryOrderLinkId;
  return id !== null && id !== undefined && s!.openOrders[id] !== undefined;
}

/**
 * What each symbol needs. A copy carries main's entry id, so a mirror position with another id
 * follows an entry main no longer holds. `copied`: the entry ids the mirror has filled before;
 * `busy`: symbols with a copy under way (left alone).
 */
export function mirrorCompare(main: State, mine: State, copied: ReadonlySet<string>, busy: ReadonlySet<string>): Map<string, MirrorAction> {
  const out = new Map<string, MirrorAction>();
  for (const [sym, s] of Object.entries(mine.symbols)) {
    if (busy.has(sym)) continue;
    const mainPos = main.symbols[sym]?.position;
    const myPos = s.position;
    if (isOpen(myPos) && !isOpen(mainPos)) out.set(sym, 'close');
    else if (isOpen(myPos) && isOpen(mainPos) && myPos.entryOrderLinkId && mainPos.entryOrderLinkId && myPos.entryOrderLinkId !== mainPos.entryOrderLinkId) out.set(sym, 'replace');
    else if (isOpen(mainPos) && myPos === null && !entryWorking(main, sym) && !copied.has(mainPos.entryOrderLinkId ?? '')) out.set(sym, 'copy');
  }
  return out;
}
