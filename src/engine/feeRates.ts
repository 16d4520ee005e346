/**
 * The fees the engine sizes with, moves the breakeven stop by and reports: in live modes the
 * account's own rates, read from Bybit at start and once a day; the config's `paper` fees for paper
 * and backtest (the simulator charges those). A failed read keeps the last rates known, or the
 * config's until the first read succeeds, and says which are in use.
 */
import type { Decimal } from '../domain/money.js';
import type { Logger } from '../util/logger.js';
import type { ExchangePort, FeeRate } from './exchangePort.js';
import type { EngineSettings } from './ports.js';

const pct = (rate: Decimal): number => rate.mul(100).toNumber();

export class FeeRates {
  readonly #port: ExchangePort;
  readonly #logger: Logger;
  #rates: ReadonlyMap<string, FeeRate> | null = null;
  #readAtMs = 0;
  /** The settings last given to apply() and what they became: apply runs for every decision. */
  #cache: { readonly from: EngineSettings; readonly to: EngineSettings } | null = null;

  constructor(port: ExchangePort, logger: Logger) {
    this.#port = port;
    this.#logger = logger;
  }

  /** Reads the rates; on failure keeps the last known (or the config's) and says which. */
  async refresh(symbols: readonly string[], now: number): Promise<void> {
    if (!this.#port.fetchFeeRates || symbols.length === 0) return;
    try {
      const rates = await this.#port.fetchFeeRates(symbols);
      this.#rates = rates;
      this.#readAtMs = now;
      this.#cache = null;
      const text = [...rates].map(([s, r]) => `${s} taker ${pct(r.taker)} %, maker ${pct(r.maker)} %`).join('; ');
      this.#logger.info(`fee rates from Bybit: ${text} (used for sizing, the breakeven stop and reports)`);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      const using = this.#rates ? `the last known, read ${new Date(this.#readAtMs).toISOString().slice(0, 16).replace('T', ' ')} UTC` : "the config's paper fees until a read succeeds";
      this.#logger.warn(`fee rates not read from Bybit (${why}); using ${using}`);
    }
  }

  /** The settings with the account's rates in place of the config's, once they are known. */
  apply(s: EngineSettings): EngineSettings {
    const rates = this.#rates;
    if (rates === null || rates.size === 0 || !s.feesFromExchange) return s;
    if (this.#cache?.from === s) return this.#cache.to;
    let taker = -Infinity;
    let maker = -Infinity;
    for (const r of rates.values()) {
      taker = Math.max(taker, pct(r.taker));
      maker = Math.max(maker, pct(r.maker));
    }
    const symbols = s.symbols.map((sym) => {
      const r = rates.get(sym.symbol);
      if (!r || !sym.breakevenBufferFromFees || !sym.exits) return sym;
      return { ...sym, exits: { ...sym.exits, breakeven: { ...sym.exits.breakeven, feeBufferPct: 2 * pct(r.taker) } } };
    });
    const to: EngineSettings = { ...s, symbols, takerFeePct: taker, makerFeePct: maker };
    this.#cache = { from: s, to };
    return to;
  }

  /** One line for the owner: the rates in force and where they come from. */
  summary(s: EngineSettings): string {
    const used = this.apply(s);
    const source = used === s ? 'the config (paper)' : 'Bybit';
    return `taker ${used.takerFeePct} %, maker ${used.makerFeePct ?? 0.02} %, from ${source}`;
  }
}
