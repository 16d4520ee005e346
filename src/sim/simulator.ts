/**
 * The one simulator (DESIGN section 2, issue 3): instruments, a USDT unified account, one-way
 * positions and a matching model, used in-process by the backtester, paper mode and the sandbox.
 *
 * This class keeps the markets (./simMarket.ts), checks requests (./requestChecks.ts) and leaves the
 * work to its parts: the account, for balance, margin, fees and positions (./simAccount.ts); the book
 * of resting orders and their matching (./restingOrders.ts, ./orderFiller.ts, ./orderRegistry.ts);
 * the candle-path fill model, stop-first rule included (./candleFillModel.ts).
 * Funding is charged only when asked (`applyFunding`, the sandbox at each funding time).
 * Not modelled: liquidation, the order book's depth for taker fills (one price per fill),
 * hedge mode. Wallet balance changes only by realised PnL minus fees, which tests check.
 */
import type { Dec as Decimal } from '../domain/money.js';
import type { Candle, Instrument } from '../domain/types.js';
import { Dec, dec, reportNumber, toPrice } from '../domain/money.js';
import { CandleFillModel, setPositionStops } from './candleFillModel.js';
import { MarketClock } from './marketClock.js';
import { OrderFiller } from './orderFiller.js';
import { OrderRegistry } from './orderRegistry.js';
import { Prng } from './prng.js';
import type { OrderCheckContext } from './requestChecks.js';
import { checkAmendOrder, checkLeverage, checkPlaceOrder, checkTradingStop, fail, okr } from './requestChecks.js';
import { RestingOrders } from './restingOrders.js';
import { SimAccount } from './simAccount.js';
import type { MarketFillMode, SimConfig } from './simConfig.js';
import { SimConfigError, checkRatio } from './simConfig.js';
import { SimEvents } from './simEvents.js';
import { chargeFunding } from './simFunding.js';
import type { SimMarket } from './simMarket.js';
import { copyOrder, newMarket } from './simMarket.js';
import type { SyntheticBook } from './syntheticBook.js';
import type {
  AmendOrderInput,
  OrderRef,
  PlaceOrderInput,
  SimExecution,
  SimListener,
  SimOrder,
  SimPosition,
  SimResult,
  SimWallet,
  TradingStopInput,
} from './simTypes.js';
import { OPEN_STATUSES } from './simTypes.js';

export type { MarketFillMode, SimConfig } from './simConfig.js';
export { SimConfigError } from './simConfig.js';

export class Simulator {
  readonly #markets = new Map<string, SimMarket>();
  readonly #defaultLeverage: Decimal;
  readonly #intervalMs: number;
  readonly #clock: MarketClock;
  readonly #registry: OrderRegistry;
  readonly #account: SimAccount;
  readonly #events: SimEvents;
  readonly #orders: RestingOrders;
  readonly #fills: CandleFillModel;
  readonly #checks: OrderCheckContext;

  constructor(config: SimConfig = {}) {
    // Read and checked in this order, so that a bad config fails on the same field as it always did.
    const prng = new Prng(config.seed ?? 1);
    const makerFeeRate = dec(config.makerFeeRate ?? '0.0002');
    const takerFeeRate = dec(config.takerFeeRate ?? '0.00055');
    this.#defaultLeverage = dec(config.defaultLeverage ?? '10');
    const slippageBps = config.slippageBps ?? 0;
    if (!(slippageBps >= 0)) throw new SimConfigError(`slippageBps must be >= 0, got ${slippageBps}`);
    this.#intervalMs = config.intervalMs ?? 60_000;
    const partial = checkRatio('partialFillRatio', config.partialFillRatio ?? null);
    const thin = checkRatio('thinBookRatio', config.thinBookRatio ?? null);
    const initialBalance = dec(config.initialBalance ?? '10000');
    this.#clock = new MarketClock(config.clock ?? null);
    this.#registry = new OrderRegistry(config.historyLimit ?? 10_000);
    this.#account = new SimAccount({ makerFeeRate, takerFeeRate, initialBalance });
    this.#events = new SimEvents(this.#account, this.#markets);
    const parts = { registry: this.#registry, clock: this.#clock, prng, events: this.#events };
    const filler = new OrderFiller({ ...parts, account: this.#account });
    const marketFill = config.marketFill ?? 'nextPrice';
    this.#orders = new RestingOrders({ ...parts, filler, slippageBps, marketFill, partialFillRatio: partial, thinBookRatio: thin });
    this.#fills = new CandleFillModel(this.#orders, this.#clock);
    this.#checks = {
      hasLinkId: (linkId) => this.#registry.hasLinkId(linkId),
      canOpen: (m, side, qty, refPrice) => this.#account.canOpen(m, side, qty, refPrice, this.#markets.values()),
    };
    for (const inst of config.instruments ?? []) this.addInstrument(inst);
  }

  // ---------------------------------------------------------------- set-up and market data

  addInstrument(inst: Instrument, intervalMs = this.#intervalMs): void {
    if (this.#markets.has(inst.symbol)) return;
    this.#markets.set(inst.symbol, newMarket(inst, intervalMs, Dec.min(this.#defaultLeverage, inst.maxLeverage)));
  }

  hasSymbol(symbol: string): boolean {
    return this.#markets.has(symbol);
  }

  symbols(): string[] {
    return [...this.#markets.keys()];
  }

  instrument(symbol: string): Instrument {
    return this.#market(symbol).inst;
  }

  book(symbol: string): SyntheticBook {
    return this.#market(symbol).book;
  }

  onEvent(listener: SimListener): () => void {
    return this.#events.on(listener);
  }

  setPartialFillRatio(ratio: number | null): void {
    this.#orders.setPartialFillRatio(checkRatio('partialFillRatio', ratio));
  }

  setThinBookRatio(ratio: number | null): void {
    this.#orders.setThinBookRatio(checkRatio('thinBookRatio', ratio));
  }

  setMarketFill(mode: MarketFillMode): void {
    this.#orders.setMarketFill(mode);
  }

  /** Sets the price without matching anything (start of a replay). */
  setPrice(symbol: string, price: number, ts: number, candle: Candle | null = null): void {
    const m = this.#market(symbol);
    m.book.trade(price);
    m.last = price;
    m.lastTs = ts;
    if (candle) m.candle = candle;
    this.#clock.advance(ts);
  }

  lastPrice(symbol: string): number {
    return this.#market(symbol).last;
  }

  lastTs(symbol: string): number {
    return this.#market(symbol).lastTs;
  }

  /** The candle being played (as given to `beginCandle`/`stepCandle`), or null. */
  currentCandle(symbol: string): Candle | null {
    return this.#market(symbol).candle;
  }

  /** Best bid and ask of the synthetic book at the last price. */
  touch(symbol: string): { bid: number; ask: number } {
    const m = this.#market(symbol);
    return m.book.touch(m.last);
  }

  /** Plays a whole candle along its path (./candleFillModel.ts). */
  stepCandle(symbol: string, c: Candle): void {
    this.#fills.stepCandle(this.#market(symbol), c);
  }

  /** Starts a candle whose points will come through `movePrice` (the sandbox's stepped replay). */
  beginCandle(symbol: string, c: Candle): void {
    this.#fills.beginCandle(this.#market(symbol), c);
  }

  /**
   * Moves the price from the last price to `price`, matching on the way. A `jump` (the move from one
   * candle's close to the next one's open) trades nothing in between: stops it crosses fill at
   * `price`, the worse side of the gap.
   */
  movePrice(symbol: string, price: number, ts: number, jump = false): void {
    this.#fills.move(this.#market(symbol), price, ts, jump);
  }

  // ---------------------------------------------------------------- queries

  openOrders(symbol?: string): SimOrder[] {
    const out: SimOrder[] = [];
    for (const m of this.#markets.values()) {
      if (symbol !== undefined && m.inst.symbol !== symbol) continue;
      for (const o of m.pending) out.push(copyOrder(o));
      for (const o of m.resting) out.push(copyOrder(o));
    }
    return out.sort((a, b) => b.createdMs - a.createdMs);
  }

  /** Every order still remembered (open and finished), newest first. */
  orders(symbol?: string): SimOrder[] {
    return this.#registry.orders(symbol);
  }

  order(ref: OrderRef): SimOrder | null {
    const o = this.#registry.find(ref);
    return o ? copyOrder(o) : null;
  }

  /** Executions, oldest first. */
  executions(symbol?: string): readonly SimExecution[] {
    return this.#registry.executions(symbol);
  }

  position(symbol: string): SimPosition {
    return this.#account.positionView(this.#market(symbol));
  }

  positions(): SimPosition[] {
    return [...this.#markets.values()].map((m) => this.#account.positionView(m));
  }

  leverage(symbol: string): Decimal {
    return this.#market(symbol).leverage;
  }

  /**
   * `wallet().equity` (wallet balance plus unrealised PnL), the same Decimal, without the margin
   * figures: the backtester marks its equity curve with it at every candle a position is open.
   */
  equity(): Decimal {
    return this.#account.equity(this.#markets.values());
  }

  /** The equity as a report number (rounded half-even to 1e-8), cheaper than `equity()` at every candle. */
  equityReport(): number {
    return this.#account.equityMark(this.#markets.values()) ?? reportNumber(this.equity());
  }

  wallet(): SimWallet {
    return this.#account.wallet(this.#markets.values());
  }

  // ---------------------------------------------------------------- requests

  placeOrder(input: PlaceOrderInput): SimResult<SimOrder> {
    const m = this.#markets.get(input.symbol);
    if (!m) return fail(10001, 'params error: symbol invalid');
    const spec = checkPlaceOrder(input, m, this.#checks);
    if (!spec.ok) return spec;
    return okr(copyOrder(this.#orders.place(m, spec.value)));
  }

  amendOrder(input: AmendOrderInput): SimResult<SimOrder> {
    const m = this.#markets.get(input.symbol);
    if (!m) return fail(10001, 'params error: symbol invalid');
    const o = this.#registry.find(input);
    if (!o || o.symbol !== input.symbol || !OPEN_STATUSES.has(o.status)) return fail(110001, 'order not exists or too late to replace');
    const bad = checkAmendOrder(input, o, m);
    if (bad) return bad;
    this.#orders.amend(m, o, input);
    return okr(copyOrder(o));
  }

  cancelOrder(ref: OrderRef): SimResult<SimOrder> {
    const m = this.#markets.get(ref.symbol);
    if (!m) return fail(10001, 'params error: symbol invalid');
    const o = this.#registry.find(ref);
    if (!o || o.symbol !== ref.symbol || !OPEN_STATUSES.has(o.status)) return fail(110001, 'order not exists or too late to cancel');
    this.#orders.cancel(m, o, 'CancelByUser', 'EC_PerCancelRequest');
    return okr(copyOrder(o));
  }

  /** Cancels every open order (of one symbol, or all); returns what was cancelled. */
  cancelAll(symbol?: string): SimOrder[] {
    return this.#orders.cancelAll(this.#markets.values(), symbol);
  }

  /**
   * Fills what is left of an open order at once, at its limit price (maker) or at the touch (market):
   * the "fill racing a cancel" fault. Returns the order after the fill, or null if it was not open.
   */
  forceFill(ref: OrderRef): SimOrder | null {
    const m = this.#markets.get(ref.symbol);
    const o = this.#registry.find(ref);
    if (!m || !o || !OPEN_STATUSES.has(o.status)) return null;
    this.#orders.forceFill(m, o);
    return copyOrder(o);
  }

  setLeverage(symbol: string, buyLeverage: Decimal, sellLeverage: Decimal): SimResult<Decimal> {
    const m = this.#markets.get(symbol);
    if (!m) return fail(10001, 'params error: symbol invalid');
    const bad = checkLeverage(m, buyLeverage, sellLeverage);
    if (bad) return bad;
    m.leverage = buyLeverage;
    m.pos.updatedMs = this.#clock.now();
    this.#events.position(m);
    this.#events.wallet();
    return okr(buyLeverage);
  }

  setTradingStop(input: TradingStopInput): SimResult<SimPosition> {
    const m = this.#markets.get(input.symbol);
    if (!m) return fail(10001, 'params error: symbol invalid');
    const p = m.pos;
    const bad = checkTradingStop(input, p, m.last, m.inst);
    if (bad) return bad;
    setPositionStops(p, input, m.last);
    p.updatedMs = this.#clock.now();
    this.#events.position(m);
    return okr(this.#account.positionView(m));
  }

  /**
   * Charges every open position of `symbol` its funding at `fundingTimeMs` (./simFunding.ts) and
   * reports the Funding execution, the position and the wallet. The sandbox calls it at each funding
   * time; backtests and paper mode never do. Returns the execution, or null when flat.
   */
  applyFunding(symbol: string, rate: Decimal, fundingTimeMs: number): SimExecution | null {
    const m = this.#market(symbol);
    if (Number.isNaN(m.last)) return null;
    const exec = chargeFunding(m, this.#account, rate, toPrice(m.last), fundingTimeMs);
    if (exec === null) return null;
    this.#registry.record(exec);
    this.#events.execution(exec);
    this.#events.position(m);
    this.#events.wallet();
    return exec;
  }

  #market(symbol: string): SimMarket {
    const m = this.#markets.get(symbol);
    if (m === undefined) throw new SimConfigError(`unknown symbol ${symbol}`);
    return m;
  }
}
