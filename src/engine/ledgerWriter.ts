/**
 * The journal writer: every order sent, every fill and every completed trade becomes one
 * append-only journal record. Writes run beside trading (an fsync must not delay an order); the
 * Engine's idle() waits for the ones in flight.
 */
import type { FillRecord, JournalRecord } from '../domain/journalRecord.js';
import { money } from '../domain/money.js';
import type { Fill, StrategyName } from '../domain/types.js';
import type { Logger } from '../util/logger.js';
import type { OrderRequest } from './exchangePort.js';
import { EXIT_CODES, parseOrderLinkId, type ExitCode } from './orderLinkId.js';
import type { EngineJournal } from './ports.js';
import type { ClosedRoundTrip } from './roundTrip.js';

export type OrderPurpose = 'entry' | 'exit' | 'takeProfit' | 'quote';

export class LedgerWriter {
  readonly #journal: EngineJournal;
  readonly #logger: Logger;
  readonly #writes = new Set<Promise<void>>();

  constructor(journal: EngineJournal, logger: Logger) {
    this.#journal = journal;
    this.#logger = logger;
  }

  /** Journal writes not finished yet. */
  get inFlight(): ReadonlySet<Promise<void>> {
    return this.#writes;
  }

  /** The fills already journaled, oldest first (see EngineJournal.readFills); undefined when the journal cannot say. */
  readFills(): Promise<readonly FillRecord[]> | undefined {
    return this.#journal.readFills?.();
  }

  write(record: JournalRecord): void {
    const pending = this.#journal.append(record);
    // Written already (an in-memory journal): nothing in flight.
    if (pending === undefined) return;
    const write = pending
      .catch((e: unknown) => this.#logger.error('journal write failed', { error: e instanceof Error ? e.message : String(e), type: record.type }))
      .finally(() => this.#writes.delete(write));
    this.#writes.add(write);
  }

  order(req: OrderRequest, purpose: OrderPurpose, reason: string, now: number): void {
    this.write({ type: 'order', ts: now, symbol: req.symbol, orderLinkId: req.orderLinkId, side: req.side, orderType: req.type, purpose, qty: money(req.qty), price: req.price ? money(req.price) : null, reduceOnly: req.reduceOnly, reason });
  }

  fill(fill: Fill): void {
    this.write({ type: 'fill', ts: fill.ts, symbol: fill.symbol, execId: fill.execId, orderLinkId: fill.orderLinkId, orderId: fill.orderId, side: fill.side, price: money(fill.price), qty: money(fill.qty), fee: money(fill.fee), isMaker: fill.isMaker, ...(fill.source ? { source: fill.source } : {}) });
  }

  exit(symbol: string, trip: ClosedRoundTrip, reason: string): void {
    this.write({
      type: 'exit',
      ts: trip.exitTs,
      symbol,
      side: trip.side,
      entryTs: trip.entryTs,
      entryPrice: money(trip.entryPrice.toDecimalPlaces(8)),
      exitPrice: money(trip.exitPrice.toDecimalPlaces(8)),
      qty: money(trip.qty),
      fees: money(trip.fees.toDecimalPlaces(8)),
      ...(trip.funding.isZero() ? {} : { funding: money(trip.funding.toDecimalPlaces(8)) }),
      pnl: money(trip.pnl.toDecimalPlaces(8)),
      reason,
    });
  }
}

/** Why a trade ended, from the fill that closed it: the exchange's trigger, else the role of our order. */
export function exitReason(last: Fill, orderIdPrefix: string, strategy: StrategyName): string {
  if (last.trigger) return last.trigger;
  // Closed by the exchange or the account, not by an order: auto-deleveraging, liquidation, …
  if (last.source && last.source !== 'funding') return last.source;
  const parsed = parseOrderLinkId(orderIdPrefix, last.orderLinkId);
  if (parsed?.role.kind === 'target') return 'takeProfit';
  if (parsed?.role.kind === 'exit') return EXIT_CODES[parsed.role.code as ExitCode] ?? 'exit';
  if (parsed?.role.kind === 'quote') return strategy === 'maker' ? 'quote' : 'exit';
  return 'manual';
}
