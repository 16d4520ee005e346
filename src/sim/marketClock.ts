/**
 * The simulator's notion of "now", stamped on orders, executions and positions: the configured clock
 * when there is one (the sandbox's wall clock), else the market time of the latest price move over
 * all symbols (backtest and paper mode, which replay history).
 */
export class MarketClock {
  readonly #clock: (() => number) | null;
  #marketTs = 0;

  constructor(clock: (() => number) | null) {
    this.#clock = clock;
  }

  /** Price moved at `ts`; market time never goes back. */
  advance(ts: number): void {
    if (ts > this.#marketTs) this.#marketTs = ts;
  }

  now(): number {
    return this.#clock ? this.#clock() : this.#marketTs;
  }
}
