/**
 * Decision time on the exchange's market clock. The offset is market time minus the clock's
 * time, learned from the newest confirmed candle: against Bybit it is about minus the stream
 * latency; against a replay it absorbs the replay's shift in time. It keeps decisions, holding
 * times and day windows on the market's clock, so a candle that arrives late (a backfill) is
 * recognised as old however the data is timed.
 */
export class MarketClock {
  readonly #clockMs: () => number;
  /**
   * 0 until the first close is observed. A number, never null: a field that may hold null boxes
   * every double stored in it, and this one is stored at every candle close.
   */
  #marketOffsetMs = 0;
  #newestCloseMs = -Infinity;

  /** `clockMs`: the corrected clock live; market time in replay and backtest (EngineDeps.now). */
  constructor(clockMs: () => number) {
    this.#clockMs = clockMs;
  }

  /** Decision time: the clock, moved onto the market's time. */
  now(): number {
    return this.#clockMs() + this.#marketOffsetMs;
  }

  /** A confirmed candle closed at `closeMs` (market time); only a newer close moves the offset. */
  observeClose(closeMs: number): void {
    if (closeMs <= this.#newestCloseMs) return;
    this.#newestCloseMs = closeMs;
    this.#marketOffsetMs = closeMs - this.#clockMs();
  }
}
