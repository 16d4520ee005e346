/**
 * While the kill switch holds, the bot's entry orders still open (a limit waiting on the book
 * whose cancel failed) are cancelled again, in the symbol's turn, until they are gone or the
 * kill switch is reset: a limit left resting could fill under the kill switch.
 */
import { ExchangeError } from '../domain/exchangeErrors.js';
import type { Order } from '../domain/types.js';
import type { EngineContext } from './engineContext.js';
import { parseOrderLinkId } from './orderLinkId.js';
import type { SymbolRuntime } from './symbolRuntime.js';

/** A failed cancel is sent again this long after. */
export const KILL_CANCEL_RETRY_MS = 2_000;

/** The symbol's entry orders still open, as far as we know. */
export function openEntries(ctx: EngineContext, sym: string): Order[] {
  return ctx.tracker.open(sym).filter((o) => parseOrderLinkId(ctx.settings().orderIdPrefix, o.orderLinkId)?.role.kind === 'entry');
}

/** Cancels the symbol's open entries; when a cancel fails, `later` runs this again KILL_CANCEL_RETRY_MS on. */
export async function killSwitchEntryCancel(ctx: EngineContext, rt: SymbolRuntime, later: (rt: SymbolRuntime, task: () => Promise<void>, delayMs: number) => void): Promise<void> {
  const sym = rt.settings.symbol;
  let failed = false;
  for (const o of openEntries(ctx, sym)) {
    if (ctx.store.state.protections.killSwitch === null) return;
    try {
      await ctx.port.cancelOrder(sym, o.orderLinkId);
    } catch (e) {
      failed = true;
      const detail = e instanceof ExchangeError ? { orderLinkId: o.orderLinkId, retCode: e.retCode, message: e.retMsg ?? e.message } : { orderLinkId: o.orderLinkId, error: String(e) };
      ctx.logger.warn(`${sym} kill switch: cancel of the entry failed; sent again in ${KILL_CANCEL_RETRY_MS / 1000} s`, detail);
    }
  }
  if (failed) later(rt, () => killSwitchEntryCancel(ctx, rt, later), KILL_CANCEL_RETRY_MS);
}
