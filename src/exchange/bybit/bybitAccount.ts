/**
 * Bybit V5 account reads over REST (issue 4, item 2): balance, positions, orders and executions, in
 * pages and in Bybit's 7-day execution windows (reference/bybit-v5.md section 3). Signed endpoints.
 */
import { ExchangeError } from '../../domain/exchangeErrors.js';
import type { Fill, Order, Position } from '../../domain/types.js';
import { dec } from '../../domain/money.js';
import type { Balance, FeeRate } from '../../engine/exchangePort.js';
import { listOf, WireAccountInfo, WireExecution, WireFeeRate, WireOrder, WirePosition, WireWallet } from './bybitWire.js';
import { CATEGORY, MAX_PAGES, type Params, type RestPipeline } from './restPipeline.js';
import { balanceFromWire, fillFromWire, flatPosition, isFillExecution, orderFromWire, outsideBand, positionFromWire, positionModeFromWire, type PriceBand } from './wireToDomain.js';

/** How to leave hedge mode, said wherever the bot meets it (start-up, doctor, a reconciliation). */
export const ONE_WAY_MODE_FIX =
  'Switch USDT perpetuals to one-way mode: in the Bybit app open a USDT perpetual, tap the "..." menu → Position mode → One-way mode (on bybit.com: Derivatives → Preferences → Position mode); Bybit allows it only with no open position or order in USDT perpetuals. Then start the bot again.';

/** Hedge mode: the bot keeps one position per symbol and sends positionIdx 0, which Bybit refuses there (10001). */
export function hedgeModeError(symbol: string): ExchangeError {
  return new ExchangeError(`the Bybit account is in hedge mode (${symbol} has a Buy and a Sell position row); the bot trades in one-way mode only. ${ONE_WAY_MODE_FIX}`, 'fatal');
}

/** What start-up and doctor read of the account: Bybit's margin mode and the position mode of the symbols. */
export interface AccountModes {
  /** ISOLATED_MARGIN, REGULAR_MARGIN (cross) or PORTFOLIO_MARGIN; "" when Bybit did not say. */
  readonly marginMode: string;
  readonly positionMode: 'oneWay' | 'hedge';
  /** The first symbol seen with hedge rows, or null. */
  readonly hedgeSymbol: string | null;
}

/** execution/list with only startTime covers 7 days (V5 docs). */
const EXEC_WINDOW_MS = 7 * 86_400_000;

export class BybitAccount {
  readonly #rest: RestPipeline;
  readonly #now: () => number;
  readonly #priceBand: (symbol: string) => PriceBand | null;

  /** `now` is the corrected clock; `priceBand` gives a loaded instrument's price limits. */
  constructor(rest: RestPipeline, now: () => number, priceBand: (symbol: string) => PriceBand | null) {
    this.#rest = rest;
    this.#now = now;
    this.#priceBand = priceBand;
  }

  async fetchBalance(): Promise<Balance> {
    const r = await this.#rest.result(listOf(WireWallet), 'wallet-balance', 'GET', '/v5/account/wallet-balance', true, { accountType: 'UNIFIED' });
    const w = r.list[0];
    if (w === undefined) throw new ExchangeError('GET /v5/account/wallet-balance: no UNIFIED account in the answer', 'fatal');
    return this.#rest.wire('GET /v5/account/wallet-balance', () => balanceFromWire(w));
  }

  /** The account's fee rates for each symbol (GET /v5/account/fee-rate, category linear). */
  async fetchFeeRates(symbols: readonly string[]): Promise<Map<string, FeeRate>> {
    const out = new Map<string, FeeRate>();
    for (const symbol of symbols) {
      const r = await this.#rest.result(listOf(WireFeeRate), 'fee rate', 'GET', '/v5/account/fee-rate', true, { category: CATEGORY, symbol });
      const wire = r.list.find((f) => f.symbol === symbol);
      if (wire === undefined) throw new ExchangeError(`GET /v5/account/fee-rate: no rates for ${symbol} in the answer`, 'fatal');
      out.set(symbol, this.#rest.wire('GET /v5/account/fee-rate', () => ({ taker: dec(wire.takerFeeRate), maker: dec(wire.makerFeeRate) })));
    }
    return out;
  }

  /**
   * One row per symbol in one-way mode. Hedge mode answers two (positionIdx 1 and 2, the flat side a
   * real row that may come first): reading one of them as the position could show a live long as
   * flat, so it is refused with how to switch.
   */
  async fetchPositions(symbols: readonly string[]): Promise<Position[]> {
    const out: Position[] = [];
    for (const symbol of symbols) {
      const r = await this.#rest.result(listOf(WirePosition), 'position list', 'GET', '/v5/position/list', true, { category: CATEGORY, symbol });
      if (positionModeFromWire(r.list) === 'hedge') throw hedgeModeError(symbol);
      const wire = r.list.find((p) => p.symbol === symbol);
      out.push(wire === undefined ? flatPosition(symbol) : this.#rest.wire('GET /v5/position/list', () => positionFromWire(wire)));
    }
    return out;
  }

  /** The margin mode (`/v5/account/info`) and the position mode (the position list's positionIdx). */
  async fetchAccountModes(symbols: readonly string[]): Promise<AccountModes> {
    const info = await this.#rest.result(WireAccountInfo, 'account info', 'GET', '/v5/account/info', true, {});
    for (const symbol of symbols) {
      const r = await this.#rest.result(listOf(WirePosition), 'position list', 'GET', '/v5/position/list', true, { category: CATEGORY, symbol });
      if (positionModeFromWire(r.list) === 'hedge') return { marginMode: info.marginMode, positionMode: 'hedge', hedgeSymbol: symbol };
    }
    return { marginMode: info.marginMode, positionMode: 'oneWay', hedgeSymbol: null };
  }

  async fetchOpenOrders(symbol: string): Promise<Order[]> {
    const out: Order[] = [];
    let cursor = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const params: Params = { category: CATEGORY, symbol, openOnly: 0, limit: 50 };
      if (cursor !== '') params['cursor'] = cursor;
      const r = await this.#rest.result(listOf(WireOrder), 'open orders', 'GET', '/v5/order/realtime', true, params);
      out.push(...this.#rest.wire('GET /v5/order/realtime', () => r.list.map(orderFromWire)));
      cursor = r.nextPageCursor;
      if (cursor === '' || r.list.length === 0) break;
    }
    return out;
  }

  /** By our orderLinkId: live orders first (realtime), then history; null when Bybit does not know it. */
  async fetchOrder(symbol: string, orderLinkId: string): Promise<Order | null> {
    for (const path of ['/v5/order/realtime', '/v5/order/history'] as const) {
      const r = await this.#rest.result(listOf(WireOrder), 'order', 'GET', path, true, { category: CATEGORY, symbol, orderLinkId });
      const wire = r.list.find((o) => o.orderLinkId === orderLinkId);
      if (wire !== undefined) return this.#rest.wire(`GET ${path}`, () => orderFromWire(wire));
    }
    return null;
  }

  async #executions(symbol: string, window: Params, stopBeforeMs: number | null, maxPages = MAX_PAGES): Promise<Fill[]> {
    const out: Fill[] = [];
    let cursor = '';
    for (let page = 0; page < maxPages; page++) {
      const params: Params = { category: CATEGORY, symbol, limit: 100, ...window };
      if (cursor !== '') params['cursor'] = cursor;
      const r = await this.#rest.result(listOf(WireExecution), 'executions', 'GET', '/v5/execution/list', true, params);
      // An execution with an absurd price or quantity is not booked: logged as an error and left out.
      const band = this.#priceBand(symbol);
      const fills = this.#rest.rows('GET /v5/execution/list', r.list.filter(isFillExecution), fillFromWire, (f) => outsideBand(f.price.toNumber(), band, `execution ${f.execId} execPrice`));
      out.push(...fills);
      cursor = r.nextPageCursor;
      if (cursor === '' || r.list.length === 0) break;
      if (stopBeforeMs !== null && fills.length > 0 && fills.every((f) => f.ts < stopBeforeMs)) break;
    }
    return out;
  }

  /** Executions since `sinceMs`, oldest first, in Bybit's 7-day windows up to now. */
  async fetchFills(symbol: string, sinceMs: number): Promise<Fill[]> {
    const out: Fill[] = [];
    const now = this.#now();
    for (let start = sinceMs, n = 0; n === 0 || (start <= now && n < 8); start += EXEC_WINDOW_MS, n++) {
      out.push(...(await this.#executions(symbol, { startTime: start, endTime: start + EXEC_WINDOW_MS - 1 }, null)));
    }
    return sortFills(out);
  }

  /**
   * The newest executions (Bybit's default window), back to `stopBeforeMs` when given: for filling a
   * stream gap without trusting that exchange time and our time agree (the sandbox replays old data).
   */
  async recentFills(symbol: string, stopBeforeMs: number | null, maxPages = MAX_PAGES): Promise<Fill[]> {
    return sortFills(await this.#executions(symbol, {}, stopBeforeMs, maxPages));
  }
}

function sortFills(fills: readonly Fill[]): Fill[] {
  const seen = new Set<string>();
  return fills
    .filter((f) => (seen.has(f.execId) ? false : (seen.add(f.execId), true)))
    .sort((a, b) => a.ts - b.ts || (a.execId < b.execId ? -1 : a.execId > b.execId ? 1 : 0));
}
