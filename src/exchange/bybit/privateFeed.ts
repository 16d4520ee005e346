/**
 * The private stream's pushes turned into the engine's events (issue 4, item 3): `order`,
 * `execution`, `position`, `wallet` → domain events, fills de-duplicated by execId. When the stream
 * was down, REST fills in what it missed: positions (first, so a position opened meanwhile gets its
 * stop without waiting for the rest), executions since the last one seen (plus the orders those
 * executions belong to), open orders, balance. A catch-up asked for while one is under way (the
 * reconnect after the drop's) reads the positions at once, and the whole round again after it; and
 * while the stream is down the positions are read every 2 s, whatever the catch-up is waiting for.
 */
import { ExchangeError } from '../../domain/exchangeErrors.js';
import type { Fill, Order, Position } from '../../domain/types.js';
import type { Balance } from '../../engine/exchangePort.js';
import { backoffDelayMs, type BackoffPolicy } from '../../util/backoffDelayMs.js';
import type { Logger } from '../../util/logger.js';
import { parseWire, WireError, WireExecution, WireOrder, WirePosition, WireWallet } from './bybitWire.js';
import { errorText } from './errorText.js';
import { RecentIds } from './recentIds.js';
import type { StreamEventSink } from './streamEventSink.js';
import { ONE_WAY_MODE_FIX } from './bybitAccount.js';
import { balanceFromWire, fillFromWire, isFillExecution, orderFromWire, outsideBand, positionFromWire, type PriceBand } from './wireToDomain.js';

/** What the private feed needs from REST to fill a gap (BybitRest has all of it). */
export interface PrivateRestSource {
  fetchOpenOrders(symbol: string): Promise<readonly Order[]>;
  fetchOrder(symbol: string, orderLinkId: string): Promise<Order | null>;
  fetchPositions(symbols: readonly string[]): Promise<readonly Position[]>;
  fetchBalance(): Promise<Balance>;
  /** Newest executions, back to `stopBeforeMs` (or the first `maxPages` pages). */
  recentFills(symbol: string, stopBeforeMs: number | null, maxPages?: number): Promise<readonly Fill[]>;
  /** Bybit's price limits of a loaded instrument: pushed prices outside them are corrupt. */
  priceBand?(symbol: string): PriceBand | null;
}

export interface PrivateFeedOptions {
  readonly rest: PrivateRestSource;
  readonly sink: StreamEventSink;
  readonly log: Logger;
  /** The symbols traded, as of now. */
  readonly symbols: () => readonly string[];
  /** True once the streams are closing: a gap fill under way does not go round again. */
  readonly closed: () => boolean;
  /** A failed gap fill is tried again after this backoff (issue 15); default 1 s doubling to 30 s. */
  readonly retry?: BackoffPolicy;
  readonly random?: () => number;
  /** While the stream is down, the positions are read this often (default 2 s). */
  readonly positionPollMs?: number;
}

export interface PrivateFeedCounters {
  readonly fills: { readonly delivered: number; readonly duplicatesDropped: number; readonly recovered: number };
  readonly gapFills: number;
  readonly gapFillErrors: number;
}

/** Execution ids remembered for de-duplication; old ones are forgotten first. */
const SEEN_FILLS_CAP = 20_000;
/** Executions re-read before the newest one seen, to cover clock and ordering slack. */
const FILL_OVERLAP_MS = 60_000;

const GAP_RETRY: BackoffPolicy = { baseMs: 1000, maxMs: 30_000, minMs: 500 };

/** Private topics we subscribe to (and their per-category forms, `order.linear`…). */
const PRIVATE_TOPICS: ReadonlySet<string> = new Set(['order', 'execution', 'position', 'wallet']);

export class PrivateFeed {
  readonly #o: PrivateFeedOptions;
  readonly #seenFills = new RecentIds(SEEN_FILLS_CAP);
  #lastExecTs: number | null = null;
  #privateFill: Promise<void> | null = null;
  /** The hedge-mode row is said once, not per push. */
  #hedgeSaid = false;
  #privateFillAgain = false;
  /** The positions read at once for a catch-up asked for while a round is under way. */
  #positionsNow: Promise<void> | null = null;
  #positionPoll: NodeJS.Timeout | null = null;
  /** Failed gap fills in a row, and the timer of the next try. */
  #failures = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  readonly #c = { fillsDelivered: 0, fillDuplicates: 0, fillsRecovered: 0, privateGapFills: 0, gapFillErrors: 0 };

  constructor(options: PrivateFeedOptions) {
    this.#o = options;
  }

  /** Marks fills as already known (the adapter's own fetchFills), so the stream never repeats them. */
  markFillsSeen(fills: readonly Fill[]): void {
    for (const f of fills) {
      this.#seenFills.add(f.execId);
      this.#noteExecTs(f.ts);
    }
  }

  counters(): PrivateFeedCounters {
    const c = this.#c;
    return { fills: { delivered: c.fillsDelivered, duplicatesDropped: c.fillDuplicates, recovered: c.fillsRecovered }, gapFills: c.privateGapFills, gapFillErrors: c.gapFillErrors };
  }

  /** The gap fill under way, if any, as a promise that resolves when it ends (failures are logged). */
  settled(): Promise<void> | undefined {
    if (this.#privateFill === null && this.#positionsNow === null) return undefined;
    return Promise.all([this.#privateFill?.catch(() => undefined), this.#positionsNow]).then(() => undefined);
  }

  /**
   * Reads from REST what the stream may have missed; a call during a fill makes it go round once
   * more, and reads the positions at once.
   */
  fillGap(): void {
    if (this.#privateFill !== null) {
      this.#privateFillAgain = true;
      this.#readPositionsNow();
      return;
    }
    this.#privateFill = (async () => {
      do {
        this.#privateFillAgain = false;
        this.#c.privateGapFills++;
        try {
          await this.#fillPrivateOnce();
          this.#failures = 0;
        } catch (err) {
          this.#c.gapFillErrors++;
          // What the stream missed (a fill, so a stop to place) must not wait for the next outage:
          // a transient failure is tried again with backoff until the exchange answers.
          const again = err instanceof ExchangeError && err.kind === 'retryable' && !this.#o.closed();
          const delayMs = again ? backoffDelayMs(this.#failures++, this.#o.retry ?? GAP_RETRY, this.#o.random) : 0;
          this.#o.log.warn(again ? `private gap fill failed; next try in ${Math.max(1, Math.round(delayMs / 1000))} s` : 'private gap fill failed', { error: errorText(err) });
          if (again && this.#retryTimer === null) {
            this.#retryTimer = setTimeout(() => {
              this.#retryTimer = null;
              if (!this.#o.closed()) this.fillGap();
            }, delayMs);
            this.#retryTimer.unref();
          }
        }
      } while (this.#privateFillAgain && !this.#o.closed());
    })().finally(() => {
      this.#privateFill = null;
    });
  }

  /**
   * The stream is down (true) or back (false). While it is down nothing is pushed, a fill included,
   * and the catch-up can spend many seconds on pages of executions under Bybit's errors after its
   * first position read: the positions are read on their own every `positionPollMs`, so a position
   * opened meanwhile gets its stop within seconds however long the stream stays down.
   */
  streamDown(down: boolean): void {
    if (!down || this.#o.closed()) {
      if (this.#positionPoll !== null) clearInterval(this.#positionPoll);
      this.#positionPoll = null;
      return;
    }
    if (this.#positionPoll !== null) return;
    this.#positionPoll = setInterval(() => this.#readPositionsNow(), this.#o.positionPollMs ?? 2_000);
    this.#positionPoll.unref();
  }

  /** Cancels a gap fill retry that is waiting (the streams are closing). */
  stop(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.streamDown(false);
  }

  /**
   * The round under way read the positions before what it is now waiting for (pages of executions
   * under Bybit's errors can take many seconds): a position opened since, while the stream was
   * reconnecting, would wait for all of it. One read at a time; a failure is left to the next
   * read (the poll while the stream is down, the round that goes again).
   */
  #readPositionsNow(): void {
    if (this.#positionsNow !== null || this.#o.closed()) return;
    this.#positionsNow = this.#readPositions()
      .catch((err: unknown) => this.#o.log.warn('private gap fill: positions not read at once; read again with the rest', { error: errorText(err) }))
      .finally(() => {
        this.#positionsNow = null;
      });
  }

  async #readPositions(): Promise<void> {
    if (this.#o.symbols().length === 0) return;
    for (const p of await this.#o.rest.fetchPositions(this.#o.symbols())) this.#o.sink.safe(() => this.#o.sink.events.onPosition?.(p));
  }

  async #fillPrivateOnce(): Promise<void> {
    const ev = this.#o.sink.events;
    // Positions first: a position opened while the stream was down needs its stop now, not after
    // the executions and orders (pages of them, each read waiting out Bybit's errors) are read.
    await this.#readPositions();
    const stopBefore = this.#lastExecTs === null ? null : this.#lastExecTs - FILL_OVERLAP_MS;
    for (const symbol of this.#o.symbols()) {
      const fills = await this.#o.rest.recentFills(symbol, stopBefore, stopBefore === null ? 1 : 20);
      const touched = new Set<string>();
      for (const f of fills) {
        if (this.#deliverFill(f)) {
          this.#c.fillsRecovered++;
          if (f.orderLinkId !== '') touched.add(f.orderLinkId);
        }
      }
      const open = await this.#o.rest.fetchOpenOrders(symbol);
      for (const o of open) this.#o.sink.safe(() => ev.onOrder?.(o));
      // Orders that filled while we were away are no longer open: look those up by id.
      for (const linkId of touched) {
        if (open.some((o) => o.orderLinkId === linkId)) continue;
        const o = await this.#o.rest.fetchOrder(symbol, linkId);
        if (o !== null) this.#o.sink.safe(() => ev.onOrder?.(o));
      }
    }
    const balance = await this.#o.rest.fetchBalance();
    this.#o.sink.safe(() => ev.onBalance?.(balance));
  }

  #noteExecTs(ts: number): void {
    if (this.#lastExecTs === null || ts > this.#lastExecTs) this.#lastExecTs = ts;
  }

  /** True when the fill was new and went to the engine. */
  #deliverFill(f: Fill): boolean {
    if (!this.#seenFills.add(f.execId)) {
      this.#c.fillDuplicates++;
      return false;
    }
    this.#noteExecTs(f.ts);
    this.#c.fillsDelivered++;
    this.#o.sink.safe(() => this.#o.sink.events.onFill?.(f));
    return true;
  }

  #band(symbol: string): PriceBand | null {
    return this.#o.rest.priceBand?.(symbol) ?? null;
  }

  /** One push of the private stream. */
  onPush(m: Record<string, unknown>): void {
    const topic = m['topic'] as string;
    const base = topic.split('.')[0] ?? '';
    if (!PRIVATE_TOPICS.has(base)) {
      this.#o.sink.unexpectedTopic('private', topic);
      return;
    }
    if (!Array.isArray(m['data'])) {
      this.#o.sink.wireError();
      this.#o.log.warn('dropped a malformed private message', { topic, error: `data is ${m['data'] === null ? 'null' : typeof m['data']}, not an array` });
      return;
    }
    for (const raw of m['data'] as unknown[]) {
      try {
        if (typeof raw === 'object' && raw !== null && 'category' in raw && (raw as { category: unknown }).category !== 'linear') continue;
        switch (base) {
          case 'order': {
            const o = orderFromWire(parseWire(WireOrder, raw, 'order push'));
            this.#o.sink.safe(() => this.#o.sink.events.onOrder?.(o));
            break;
          }
          case 'execution': {
            const w = parseWire(WireExecution, raw, 'execution push');
            if (!isFillExecution(w)) break;
            const fill = fillFromWire(w);
            const outside = outsideBand(fill.price.toNumber(), this.#band(fill.symbol), `execution ${fill.execId} execPrice`);
            // Not marked as seen: if REST later reads a sane version of this execution, it is booked then.
            if (outside !== null) throw new WireError(outside);
            this.#deliverFill(fill);
            break;
          }
          case 'position': {
            const w = parseWire(WirePosition, raw, 'position push');
            // A hedge-mode row (positionIdx 1 or 2) is one side of two: read as the position it could
            // show a live long as flat. The bot runs in one-way mode only (refused at start-up).
            if (w.positionIdx === '1' || w.positionIdx === '2') {
              if (!this.#hedgeSaid) this.#o.log.error(`a position push for ${w.symbol} is a hedge-mode row (positionIdx ${w.positionIdx}): ignored. ${ONE_WAY_MODE_FIX}`);
              this.#hedgeSaid = true;
              break;
            }
            const p = positionFromWire(w);
            this.#o.sink.safe(() => this.#o.sink.events.onPosition?.(p));
            break;
          }
          case 'wallet': {
            const w = parseWire(WireWallet, raw, 'wallet push');
            if (w.accountType === '' || w.accountType === 'UNIFIED') {
              const b = balanceFromWire(w);
              this.#o.sink.safe(() => this.#o.sink.events.onBalance?.(b));
            }
            break;
          }
          default:
            break;
        }
      } catch (err) {
        this.#o.sink.wireError();
        // An execution that cannot be booked is an error for the owner (the ledger may miss a fill
        // until REST reconciles it); a bad order/position/wallet push is replaced by the next one.
        this.#o.log[base === 'execution' ? 'error' : 'warn']('dropped a malformed private message', { topic, error: errorText(err) });
      }
    }
  }
}
