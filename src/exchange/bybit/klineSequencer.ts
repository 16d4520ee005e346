/**
 * Confirmed candles of one symbol and interval, delivered exactly once and in order (issue 4: "the
 * engine never misses a candle"). The stream's `confirm:true` klines are the normal path; when one
 * arrives that is not the next expected, the candles in between are fetched from REST first. After a
 * stale stream or a reconnect, `catchUp()` fetches whatever closed since the last delivered candle.
 * Duplicates (the stream re-sending, REST and stream overlapping) are dropped by open time.
 *
 * Unconfirmed klines are passed on as they come (`confirmed=false`), but only for a candle newer than
 * the last confirmed one and never while a gap is being filled, so they cannot appear out of order.
 */
import type { Candle } from '../../domain/types.js';
import { silentLogger, type Logger } from '../../util/logger.js';

export interface KlineSource {
  /** Closed candles with open time in [fromMs, toMs], ascending. */
  between(fromMs: number, toMs: number): Promise<readonly Candle[]>;
  /** Closed candles from `fromMs` to the present (the forming candle excluded), ascending. */
  since(fromMs: number): Promise<readonly Candle[]>;
}

export interface KlineCounters {
  delivered: number;
  /** Confirmed candles that came from REST because the stream missed them. */
  recovered: number;
  duplicatesDropped: number;
  /** Slots neither the stream nor REST had (a hole in the exchange's own data). */
  missingOnExchange: number;
  fillErrors: number;
  /** Gaps given up on after repeated REST failures (logged as errors). */
  gapsAbandoned: number;
}

export interface KlineSequencerOptions {
  /** Open time of the last confirmed candle the consumer already has; null: start with the first seen. */
  readonly afterTs?: number | null;
  /** Wait before retrying a failed REST fill. */
  readonly retryMs?: number;
  /** Consecutive failed fills of one gap before it is given up. */
  readonly maxFillFailures?: number;
  readonly logger?: Logger;
}

export class KlineSequencer {
  readonly symbol: string;
  readonly intervalMinutes: number;
  readonly counters: KlineCounters = { delivered: 0, recovered: 0, duplicatesDropped: 0, missingOnExchange: 0, fillErrors: 0, gapsAbandoned: 0 };
  readonly #stepMs: number;
  readonly #source: KlineSource;
  readonly #deliver: (candle: Candle, confirmed: boolean) => void;
  readonly #retryMs: number;
  readonly #maxFailures: number;
  readonly #log: Logger;
  readonly #pending = new Map<number, Candle>();
  #last: number | null;
  #busy = false;
  #wantCatchUp = false;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(symbol: string, intervalMinutes: number, source: KlineSource, deliver: (candle: Candle, confirmed: boolean) => void, opts: KlineSequencerOptions = {}) {
    this.symbol = symbol;
    this.intervalMinutes = intervalMinutes;
    this.#stepMs = intervalMinutes * 60_000;
    this.#source = source;
    this.#deliver = deliver;
    this.#last = opts.afterTs ?? null;
    this.#retryMs = opts.retryMs ?? 2000;
    this.#maxFailures = opts.maxFillFailures ?? 5;
    this.#log = (opts.logger ?? silentLogger).child(`kline/${symbol}/${intervalMinutes}`);
    if (this.#last !== null) this.#wantCatchUp = true;
  }

  /** Open time of the last confirmed candle delivered (or the start point), null before any. */
  get lastConfirmedTs(): number | null {
    return this.#last;
  }

  /** Starts the initial catch-up when a start point was given. */
  start(): void {
    if (this.#wantCatchUp) void this.#drain();
  }

  onKline(candle: Candle, confirmed: boolean): void {
    if (this.#closed) return;
    const quiet = !this.#busy && this.#pending.size === 0 && !this.#wantCatchUp;
    if (!confirmed) {
      if (quiet && (this.#last === null || candle.ts > this.#last)) this.#emit(candle, false);
      return;
    }
    if (this.#last !== null && candle.ts <= this.#last) {
      this.counters.duplicatesDropped++;
      return;
    }
    if (quiet && (this.#last === null || candle.ts === this.#last + this.#stepMs)) {
      this.#confirm(candle);
      return;
    }
    this.#pending.set(candle.ts, candle);
    void this.#drain();
  }

  /** The stream was stale or reconnected: fetch what closed since the last delivered candle. */
  catchUp(): void {
    if (this.#closed || this.#last === null) return;
    this.#wantCatchUp = true;
    void this.#drain();
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #emit(candle: Candle, confirmed: boolean): void {
    try {
      this.#deliver(candle, confirmed);
    } catch (err) {
      this.#log.error('candle consumer threw', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  #confirm(candle: Candle): void {
    if (this.#last !== null && candle.ts > this.#last + this.#stepMs) {
      this.counters.missingOnExchange += (candle.ts - this.#last) / this.#stepMs - 1;
    }
    this.#last = candle.ts;
    this.counters.delivered++;
    this.#emit(candle, true);
  }

  #deliverRecovered(candles: readonly Candle[], below: number): void {
    for (const c of candles) {
      if (c.ts >= below) break;
      if (this.#last !== null && c.ts <= this.#last) continue;
      this.counters.recovered++;
      this.#confirm(c);
    }
  }

  async #drain(): Promise<void> {
    if (this.#busy || this.#closed) return;
    this.#busy = true;
    try {
      for (;;) {
        if (this.#closed) return;
        if (this.#pending.size > 0) {
          const min = Math.min(...this.#pending.keys());
          const candle = this.#pending.get(min)!;
          if (this.#last !== null && min <= this.#last) {
            this.#pending.delete(min);
            this.counters.duplicatesDropped++;
            continue;
          }
          if (this.#last !== null && min > this.#last + this.#stepMs) {
            const got = await this.#fetch(() => this.#source.between(this.#last! + this.#stepMs, min - this.#stepMs));
            if (got === 'retry') return;
            if (got !== 'abandon') this.#deliverRecovered(got, min);
          }
          this.#pending.delete(min);
          if (this.#last === null || min > this.#last) this.#confirm(candle);
          continue;
        }
        if (this.#wantCatchUp && this.#last !== null) {
          const got = await this.#fetch(() => this.#source.since(this.#last! + this.#stepMs));
          if (got === 'retry') return;
          this.#wantCatchUp = false;
          if (got !== 'abandon') this.#deliverRecovered(got, Infinity);
          continue;
        }
        this.#wantCatchUp = false;
        return;
      }
    } finally {
      this.#busy = false;
    }
  }

  /** One REST fill; 'retry' schedules another drain later, 'abandon' gives the gap up. */
  async #fetch(call: () => Promise<readonly Candle[]>): Promise<readonly Candle[] | 'retry' | 'abandon'> {
    try {
      const got = await call();
      this.#failures = 0;
      return got;
    } catch (err) {
      this.counters.fillErrors++;
      this.#failures++;
      const error = err instanceof Error ? err.message : String(err);
      if (this.#failures >= this.#maxFailures) {
        this.#failures = 0;
        this.counters.gapsAbandoned++;
        this.#log.error('giving up on a candle gap after repeated REST failures', { error });
        return 'abandon';
      }
      this.#log.warn('candle gap fill failed; will retry', { error });
      if (this.#retryTimer === null && !this.#closed) {
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = null;
          void this.#drain();
        }, this.#retryMs);
      }
      return 'retry';
    }
  }
}
