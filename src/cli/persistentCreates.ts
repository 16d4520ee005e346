/**
 * The mirror account's copy orders (issue 24), sent until they go. The Bybit adapter already
 * retries a failed create a few times within seconds; a mirror copy must outlast a longer fault
 * (503 pages, retCode 10016, requests that time out) without ever holding up the main account,
 * which runs on its own chain. So a copy's entry and its take-profits are sent again, with a
 * growing wait, as long as the main position they copy is open. Each repeat carries the same
 * orderLinkId: Bybit takes an id once (110072 for a second), and the adapter then returns the order
 * the earlier attempt placed, so a copy is never entered twice. When the main position has closed
 * meanwhile the copy gives up, after a last look-up by id (an attempt that did land is kept and
 * closed like any copy).
 */
import { bybitSaid, ExchangeError, LocalRefusal } from '../domain/exchangeErrors.js';
import type { ExchangePort, OrderRequest, PlaceResult } from '../engine/exchangePort.js';
import type { Logger } from '../util/logger.js';
import { abortableSleep } from '../util/retryWithBackoff.js';

/** The first wait before a create is sent again, doubled each time up to MAX_WAIT_MS. */
const FIRST_WAIT_MS = 2_000;
const MAX_WAIT_MS = 30_000;

export interface CreateRetries {
  readonly log: Logger;
  /** What the order is, in words ("entry", "take-profit"), when it is one to send until it goes; else null. */
  readonly kind: (req: OrderRequest) => string | null;
  /** Null while the order is still wanted; else why not (the main position closed meanwhile). */
  readonly unwanted: (req: OrderRequest) => string | null;
  /** True once the mirror stops: the order is left to the next start's reconciliation. */
  readonly stopped: () => boolean;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Aborted when the mirror stops: a wait before the next try ends at once. */
  readonly signal?: AbortSignal;
}

export function persistentCreates(port: ExchangePort, r: CreateRetries): ExchangePort {
  const sleep = r.sleep ?? ((ms: number) => abortableSleep(ms, r.signal, true));
  const placeOrder = async (req: OrderRequest): Promise<PlaceResult> => {
    const what = r.kind(req);
    if (what === null) return port.placeOrder(req);
    for (let attempt = 1; ; attempt++) {
      try {
        const placed = await port.placeOrder(req);
        if (attempt > 1) r.log.info(`${req.symbol} ${what} placed at try ${attempt}`, { orderLinkId: req.orderLinkId });
        return placed;
      } catch (e) {
        // A refusal is Bybit's answer about this order: sending it again would not change it.
        if (e instanceof ExchangeError && e.kind !== 'retryable') throw e;
        const said = e instanceof ExchangeError ? bybitSaid(e) : e instanceof Error ? e.message : String(e);
        if (r.stopped()) throw e;
        const waitMs = Math.min(FIRST_WAIT_MS * 2 ** (attempt - 1), MAX_WAIT_MS);
        r.log.warn(`${req.symbol} ${what} not placed yet (try ${attempt}): ${said}; sending it again in ${Math.round(waitMs / 1000)} s with the same order id (the main account trades on)`, { orderLinkId: req.orderLinkId });
        await sleep(waitMs);
        if (r.stopped()) throw e;
        const why = r.unwanted(req);
        if (why === null) continue;
        // One last look: an attempt whose answer was lost may have placed it after all.
        const found = await port.fetchOrder(req.symbol, req.orderLinkId).catch(() => null);
        if (found?.orderId) return { status: 'duplicate', orderId: found.orderId };
        r.log.info(`${req.symbol} ${what} given up after ${attempt} tries: ${why}`, { orderLinkId: req.orderLinkId });
        throw new LocalRefusal(`${what} given up after ${attempt} tries (${said}): ${why}`);
      }
    }
  };
  return new Proxy(port, {
    get(target, key) {
      if (key === 'placeOrder') return placeOrder;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
