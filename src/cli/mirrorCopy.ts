/**
 * What the mirror account (issue 24) enters to copy the main position as it is now. A copy made at
 * once takes the main entry as it was: the same share of the balance, the same stop and ladder. A
 * copy made late (after a restart, a candle later, or once `mirror.enabled` is switched on) may
 * find a main target already filled and the stop moved to breakeven: it then takes only what main
 * still holds (its remaining quantity ÷ its entry quantity of the full copy), only the targets main
 * still has open, split as main's are, and main's stop as it stands; the breakeven rule counts the
 * targets main has already filled.
 */
import { Dec, dec, ZERO, type Decimal } from '../domain/money.js';
import type { DeepReadonly, PersistedState } from '../domain/persistedState.js';
import type { Intent } from '../domain/types.js';
import type { OrderRequest } from '../engine/exchangePort.js';
import { parseOrderLinkId } from '../engine/orderLinkId.js';
import type { EngineSymbolSettings, ExitSettings } from '../engine/ports.js';
import { ORDER_ID_PREFIX } from './wiring.js';

export type MainPosition = NonNullable<DeepReadonly<PersistedState>['symbols'][string]['position']>;

export interface MirrorCopy {
  readonly intent: Extract<Intent, { kind: 'enter' }>;
  /** The mirror's sizing and exits for this copy. */
  readonly own: Required<Pick<EngineSymbolSettings, 'sizing' | 'exits'>>;
  /** The copy's value at the reference price, in USDT. */
  readonly notional: Decimal;
  /** Main's position value at its entry price over main's balance, in percent. */
  readonly sharePct: Decimal;
  /** Main's remaining quantity over its entry quantity: 1 unless a target has filled. */
  readonly remaining: Decimal;
  readonly targetsFilled: number;
  readonly targetsOpen: number;
}

export interface MirrorCopyInput {
  readonly symbol: string;
  readonly pos: MainPosition;
  /** The main entry's decision time: the copy's order id is the main entry's (Bybit takes it once). */
  readonly stampMs: number;
  readonly mainEquity: Decimal;
  readonly mirrorEquity: Decimal;
  /** The last traded price the mirror saw, for a copy made after the market moved on. */
  readonly lastPrice: number | null;
  /** The mirror's configured exits for this symbol. */
  readonly exits: ExitSettings;
}

/** The copy, or why there is none. */
export function mirrorCopy(a: MirrorCopyInput): MirrorCopy | string {
  const { pos } = a;
  if (!pos.stop) return "the main account's position has no stop yet";
  if (a.mainEquity.lte(0)) return "the main account's equity is not known";
  const size = dec(pos.size);
  const ladderQty = pos.targets.reduce((sum, t) => sum.plus(t.qty), ZERO);
  // The ladder splits what the entry filled: its slices add up to the entry quantity.
  const entryQty = Dec.max(ladderQty, size);
  const open = pos.targets.filter((t) => !t.filled);
  const filled = pos.targets.length - open.length;
  if (pos.targets.length > 0 && open.length === 0) return 'every target of the main position has filled';
  const entry = dec(pos.entryPrice);
  const stop = dec(pos.stop.price);
  const long = pos.side === 'long';
  // A stop at or beyond the entry (breakeven) is refused against the entry price: such a copy is
  // planned at the price now, where Bybit checks it too.
  const stopMoved = long ? stop.gte(entry) : stop.lte(entry);
  const late = filled > 0 || stopMoved;
  const refPrice = late && a.lastPrice !== null ? a.lastPrice : entry.toNumber();
  // Same share of its own balance: main's quantity × (mirror balance ÷ main balance), whatever the price.
  const qty = size.mul(a.mirrorEquity).div(a.mainEquity);
  const notional = qty.mul(refPrice);
  const openQty = open.reduce((sum, t) => sum.plus(t.qty), ZERO);
  const be = a.exits.breakeven;
  const exits: ExitSettings =
    filled === 0
      ? a.exits
      : {
          ...a.exits,
          // Main's own split of what is left: its open targets' quantities, in proportion.
          ladderFractions: open.map((t) => dec(t.qty).div(openQty).toNumber()),
          breakeven: { ...be, afterTargets: Math.max(1, be.afterTargets - filled) },
        };
  return {
    intent: {
      kind: 'enter',
      symbol: a.symbol,
      side: pos.side,
      decidedAtMs: a.stampMs,
      refPrice,
      stopLoss: stop.toNumber(),
      targets: open.map((t) => dec(t.price).toNumber()),
      reason: `copy of the main account's ${pos.side} ${late ? 'position' : 'entry'}`,
    },
    own: { sizing: { mode: 'notional', notionalUsdt: notional.toNumber() }, exits },
    notional,
    sharePct: entryQty.mul(entry).div(a.mainEquity).mul(100),
    remaining: entryQty.isZero() ? dec(1) : size.div(entryQty),
    targetsFilled: filled,
    targetsOpen: open.length,
  };
}

/** The copy's orders that are sent until they go (./persistentCreates.ts): its entry and its take-profits. */
export function copyOrderKind(req: OrderRequest): string | null {
  const role = parseOrderLinkId(ORDER_ID_PREFIX, req.orderLinkId)?.role.kind;
  return role === 'entry' && !req.reduceOnly ? 'copy entry' : role === 'target' ? 'take-profit' : null;
}
