/**
 * A symbol's minimum order quantity for the wizard: Bybit's public instruments-info where it answers
 * within a few seconds, else the shipped table (src/config/orderMinimums.ts), else unknown. Public
 * data only: no key, nothing signed.
 */
import type { Mode } from '../domain/types.js';
import { knownOrderMinimum } from '../config/orderMinimums.js';
import { BybitRest } from '../exchange/bybit/bybitRest.js';
import { bybitUrls } from '../exchange/bybit/bybitUrls.js';

export interface SymbolMinimum {
  readonly minQty: string;
  /** Said next to the number: "from Bybit" or the shipped table's source. */
  readonly from: 'exchange' | 'table';
}

/** Public data needs no corrected time: nothing is signed. */
const UNSIGNED_CLOCK = {
  now: () => Date.now(),
  isTrusted: () => true,
  status: () => ({ trusted: true, reasons: [] }),
  remeasureNow: async () => undefined,
};

/**
 * Asks Bybit (testnet for a testnet setup; mainnet's public data otherwise, which demo and paper
 * trade against), or `restUrl` when given (`POCKET_EXCHANGE__REST_URL`, as for config.json's
 * exchange.restUrl), one attempt with `timeoutMs`; falls back to the shipped table.
 */
export async function symbolMinimum(symbol: string, opts: { mode: Mode; restUrl?: string | null; timeoutMs?: number }): Promise<SymbolMinimum | null> {
  try {
    const rest = new BybitRest({
      urls: bybitUrls(opts.mode === 'testnet' ? 'testnet' : 'mainnet', { restUrl: opts.restUrl ?? null, restOnly: true }),
      credentials: null,
      clock: UNSIGNED_CLOCK,
      requestTimeoutMs: opts.timeoutMs ?? 4000,
      retry: { attempts: 1 },
    });
    const inst = (await rest.loadInstruments([symbol])).get(symbol);
    if (inst) return { minQty: inst.minQty.toFixed(), from: 'exchange' };
  } catch {
    // Offline, blocked or not listed there: the shipped table still knows the common symbols.
  }
  const known = knownOrderMinimum(symbol);
  return known ? { minQty: known.minQty, from: 'table' } : null;
}
