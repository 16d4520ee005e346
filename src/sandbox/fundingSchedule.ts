/**
 * Funding in the sandbox: at each funding time (every `fundingInterval` minutes of instruments-info
 * from 00:00 UTC, by the sandbox's clock), every open position pays or receives the funding rate its
 * ticker shows (src/sim/simFunding.ts has the rule and its source). The sandbox checks on every
 * replay tick and once a second, so a stepped sandbox charges funding too. A funding time that
 * passed before the sandbox started is not charged; when several passed between two checks (the
 * clock was moved), only the latest is, since the sandbox knows only the position now.
 */
import { dec } from '../domain/money.js';
import { FUNDING_INTERVAL_MINUTES, lastFundingTimeMs } from '../sim/simFunding.js';
import type { Simulator } from '../sim/simulator.js';
import type { SimExecution } from '../sim/simTypes.js';

export class FundingSchedule {
  readonly #sim: Simulator;
  readonly #rateOf: (symbol: string, nowMs: number) => string;
  readonly #intervalMinutes: number;
  #charged: number;

  /** `rateOf` gives the funding rate a symbol's ticker shows now. */
  constructor(sim: Simulator, rateOf: (symbol: string, nowMs: number) => string, startMs: number, intervalMinutes = FUNDING_INTERVAL_MINUTES) {
    this.#sim = sim;
    this.#rateOf = rateOf;
    this.#intervalMinutes = intervalMinutes;
    this.#charged = lastFundingTimeMs(startMs, intervalMinutes);
  }

  /** Charges the funding time just passed, if one did since the last check; returns its executions. */
  check(nowMs: number): SimExecution[] {
    const due = lastFundingTimeMs(nowMs, this.#intervalMinutes);
    if (due <= this.#charged) return [];
    this.#charged = due;
    const out: SimExecution[] = [];
    for (const symbol of this.#sim.symbols()) {
      const e = this.#sim.applyFunding(symbol, dec(this.#rateOf(symbol, nowMs)), due);
      if (e !== null) out.push(e);
    }
    return out;
  }
}
