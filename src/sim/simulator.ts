/**
 * The one simulator (DESIGN section 2, issue 3): instruments, a USDT unified account, one-way
 * positions and a matching model, used in-process by the backtester, paper mode and the sandbox.
 *
 * Price moves arrive as segments between path points (`movePrice`, or `stepCandle`, which walks the
 * candle path of ./candlePath.ts). Everything is judged on those segments:
 * - Market orders: with `marketFill: 'nextPrice'` (backtest; DESIGN section 5) an order fills at the
 *   next path point, so a decision at the close of candle t fills at the open of t+1; with `'touch'`
 *   (sandbox) it fills at once at the synthetic book's best ask (buy) or best bid (sell). Either way
 *   plus `slippageBps` against the taker, rounded to the tick. Taker fee.
 * - Limit orders rest at their price and fill, at that price with the maker fee, only when price
 *   trades strictly beyond it (a buy when price goes below the limit). A limit that is marketable when
 *   it arrives (buy ≥ best ask, sell ≤ best bid) takes liquidity like a market order, never at a worse
 *   price than its limit; PostOnly ones are then cancelled with `EC_PostOnlyWillTakeLiquidity`, IOC
 *   and FOK ones that cannot fill at once are cancelled.
 * - Position stops trigger on touch (long stop loss when price ≤ stop, take profit when price ≥
 *   target) and close the whole position with a market order at the trigger price, or at the worse
 *   segment start when price gapped through it. Trailing stops follow the best price since activation.
 * - When the stop loss and the take profit are both inside one candle, the stop is assumed first
 *   (DESIGN section 5): the target is ignored for that candle.
 * - Events along a segment happen in the order price reaches them; at equal prices stops come before
 *   targets, and both before limit fills.
 * - `partialFillRatio` r (0 < r < 1) splits fills: a resting order fills r of what is left each time
 *   price trades through it; a taker order fills in two executions (r, then the rest; IOC keeps only
 *   the first and cancels the rest).
 * Not modelled: liquidation, funding, the order book's depth for taker fills (one price per fill),
 * hedge mode. Wallet balance changes only by realised PnL minus fees, which tests check.
 *
 * Cost: with no resting order, no pending order and no position stop, `stepCandle` only stores the
 * candle (number work, no Decimal), so the backtester can step millions of candles per second.
 */
import type { Dec as Decimal } from '../domain/money.js';
import type { Candle, Instrument, OrderType, Side, TimeInForce } from '../domain/types.js';
import { Dec, ZERO, dec, roundToStep, toPrice } from '../domain/money.js';
import { candlePath, pathPointTime } from './candlePath.js';
import { Prng } from './prng.js';
import { SyntheticBook } from './syntheticBook.js';
import type {
  AmendOrderInput,
  OrderRef,
  PlaceOrderInput,
  SimCancelType,
  SimEvent,
  SimExecution,
  SimListener,
  SimOrder,
  SimPosition,
  SimResult,
  SimStopOrderType,
  SimWallet,
  TradingStopInput,
} from './simTypes.js';
import { OPEN_STATUSES } from './simTypes.js';

export class SimConfigError extends Error {
  override name = 'SimConfigError';
}

export type MarketFillMode = 'nextPrice' | 'touch';

export interface SimConfig {
  readonly instruments?: readonly Instrument[];
  /** Candle interval per symbol, for path times; default 60 000 ms. */
  readonly intervalMs?: number;
  /** USDT wallet balance at the start; default 10 000. */
  readonly initialBalance?: string | number;
  /** Default 0.0002 (0.02 %, Bybit linear maker). */
  readonly makerFeeRate?: string | number;
  /** Default 0.00055 (0.055 %, Bybit linear taker). */
  readonly takerFeeRate?: string | number;
  /** Default 10. */
  readonly defaultLeverage?: string | number;
  /** Against the taker, in basis points of price; default 0. */
  readonly slippageBps?: number;
  /** Default 'nextPrice' (backtest rule); the sandbox uses 'touch'. */
  readonly marketFill?: MarketFillMode;
  /** Fraction filled per fill event, or null for whole fills (default). */
  readonly partialFillRatio?: number | null;
  /**
   * A thin book: a market order finds only this share (0 < r < 1) of its quantity at the touch and,
   * being IOC on Bybit, has the rest cancelled. Null (default): the book is deep enough.
   */
  readonly thinBookRatio?: number | null;
  /** Seed of the id generator; default 1. */
  readonly seed?: number;
  /** Time stamped on orders and executions; default the market time of the last price move. */
  readonly clock?: () => number;
  /** How many finished orders and executions are kept for queries; default 10 000. */
  readonly historyLimit?: number;
}

interface PositionState {
  side: Side | null;
  size: Decimal;
  entryPrice: Decimal;
  takeProfit: Decimal | null;
  stopLoss: Decimal | null;
  trailingStop: Decimal | null;
  activePrice: Decimal | null;
  /** Numbers mirroring the stops, NaN when unset, for cheap comparisons. */
  tpNum: number;
  slNum: number;
  trailNum: number;
  activeNum: number;
  trailActive: boolean;
  /** Best price since the trailing stop activated. */
  trailPeak: number;
  curRealisedPnl: Decimal;
  cumRealisedPnl: Decimal;
  createdMs: number;
  updatedMs: number;
  seq: number;
}

interface MarketState {
  readonly inst: Instrument;
  readonly book: SyntheticBook;
  readonly intervalMs: number;
  last: number;
  lastTs: number;
  candle: Candle | null;
  leverage: Decimal;
  /** Resting limit orders. */
  readonly resting: InternalOrder[];
  /** Orders waiting for the next price point ('nextPrice' mode). */
  readonly pending: InternalOrder[];
  readonly pos: PositionState;
  /** The take profit is ignored for the current candle (stop-first rule). */
  tpSuppressed: boolean;
}

interface InternalOrder extends SimOrder {
  limitNum: number;
}

type TriggerKind = 'sl' | 'tp' | 'trail' | 'limit';

interface Trigger {
  readonly dist: number;
  readonly rank: number;
  readonly kind: TriggerKind;
  readonly order: InternalOrder | null;
}

const RANK: Readonly<Record<TriggerKind, number>> = { sl: 0, trail: 0, tp: 1, limit: 2 };

const LINK_ID_RE = /^[A-Za-z0-9_-]{1,36}$/;

function fail<T>(code: number, msg: string): SimResult<T> {
  return { ok: false, code, msg };
}

function okr<T>(value: T): SimResult<T> {
  return { ok: true, value };
}

function num(d: Decimal | null): number {
  return d === null ? NaN : d.toNumber();
}

export class Simulator {
  readonly #markets = new Map<string, MarketState>();
  readonly #orders = new Map<string, InternalOrder>();
  readonly #byLinkId = new Map<string, InternalOrder>();
  readonly #executions: SimExecution[] = [];
  readonly #listeners: SimListener[] = [];
  readonly #prng: Prng;
  readonly #maker: Decimal;
  readonly #taker: Decimal;
  readonly #defaultLeverage: Decimal;
  readonly #slip: number;
  readonly #intervalMs: number;
  readonly #historyLimit: number;
  readonly #clock: (() => number) | null;
  #marketFill: MarketFillMode;
  #partial: number | null;
  #thin: number | null = null;
  #wallet: Decimal;
  #realised: Decimal = ZERO;
  #fees: Decimal = ZERO;
  #marketTs = 0;
  #seq = 0;
  #finished = 0;

  constructor(config: SimConfig = {}) {
    this.#prng = new Prng(config.seed ?? 1);
    this.#maker = dec(config.makerFeeRate ?? '0.0002');
    this.#taker = dec(config.takerFeeRate ?? '0.00055');
    this.#defaultLeverage = dec(config.defaultLeverage ?? '10');
    this.#slip = config.slippageBps ?? 0;
    if (!(this.#slip >= 0)) throw new SimConfigError(`slippageBps must be >= 0, got ${this.#slip}`);
    this.#intervalMs = config.intervalMs ?? 60_000;
    this.#historyLimit = config.historyLimit ?? 10_000;
    this.#clock = config.clock ?? null;
    this.#marketFill = config.marketFill ?? 'nextPrice';
    this.#partial = null;
    this.setPartialFillRatio(config.partialFillRatio ?? null);
    this.setThinBookRatio(config.thinBookRatio ?? null);
    this.#wallet = dec(config.initialBalance ?? '10000');
    for (const inst of config.instruments ?? []) this.addInstrument(inst);
  }

  // ---------------------------------------------------------------- set-up and market data

  addInstrument(inst: Instrument, intervalMs = this.#intervalMs): void {
    if (this.#markets.has(inst.symbol)) return;
    this.#markets.set(inst.symbol, {
      inst,
      book: new SyntheticBook(inst),
      intervalMs,
      last: NaN,
      lastTs: 0,
      candle: null,
      leverage: Dec.min(this.#defaultLeverage, inst.maxLeverage),
      resting: [],
      pending: [],
      pos: emptyPosition(),
      tpSuppressed: false,
    });
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
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  setPartialFillRatio(ratio: number | null): void {
    if (ratio !== null && !(ratio > 0 && ratio < 1)) throw new SimConfigError(`partialFillRatio must be between 0 and 1 (exclusive), got ${ratio}`);
    this.#partial = ratio;
  }

  setThinBookRatio(ratio: number | null): void {
    if (ratio !== null && !(ratio > 0 && ratio < 1)) throw new SimConfigError(`thinBookRatio must be between 0 and 1 (exclusive), got ${ratio}`);
    this.#thin = ratio;
  }

  setMarketFill(mode: MarketFillMode): void {
    this.#marketFill = mode;
  }

  /** Sets the price without matching anything (start of a replay). */
  setPrice(symbol: string, price: number, ts: number, candle: Candle | null = null): void {
    const m = this.#market(symbol);
    m.last = price;
    m.lastTs = ts;
    if (candle) m.candle = candle;
    if (ts > this.#marketTs) this.#marketTs = ts;
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

  /**
   * Plays a whole candle: its four path points. The cheap path (nothing resting, nothing pending,
   * no position stop) only stores numbers.
   */
  stepCandle(symbol: string, c: Candle): void {
    const m = this.#markets.get(symbol);
    if (m === undefined) throw new SimConfigError(`unknown symbol ${symbol}`);
    m.candle = c;
    if (m.resting.length === 0 && m.pending.length === 0 && (m.pos.side === null || !hasStops(m.pos))) {
      m.last = c.close;
      m.lastTs = c.ts + m.intervalMs - 1;
      if (m.lastTs > this.#marketTs) this.#marketTs = m.lastTs;
      return;
    }
    this.#begin(m, c);
    const p = candlePath(c);
    for (let k = 0; k < 4; k++) this.#move(m, p[k]!, pathPointTime(c.ts, m.intervalMs, k), k === 0);
  }

  /** Starts a candle whose points will come through `movePrice` (the sandbox's stepped replay). */
  beginCandle(symbol: string, c: Candle): void {
    this.#begin(this.#market(symbol), c);
  }

  /**
   * Moves the price from the last price to `price`, matching on the way. A `jump` (the move from one
   * candle's close to the next one's open) trades nothing in between: stops it crosses fill at
   * `price`, the worse side of the gap.
   */
  movePrice(symbol: string, price: number, ts: number, jump = false): void {
    this.#move(this.#market(symbol), price, ts, jump);
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
    const out: SimOrder[] = [];
    for (const o of this.#orders.values()) if (symbol === undefined || o.symbol === symbol) out.push(copyOrder(o));
    return out.reverse();
  }

  order(ref: OrderRef): SimOrder | null {
    const o = this.#find(ref);
    return o ? copyOrder(o) : null;
  }

  /** Executions, oldest first. */
  executions(symbol?: string): readonly SimExecution[] {
    return symbol === undefined ? this.#executions.slice() : this.#executions.filter((e) => e.symbol === symbol);
  }

  position(symbol: string): SimPosition {
    return this.#positionView(this.#market(symbol));
  }

  positions(): SimPosition[] {
    return [...this.#markets.values()].map((m) => this.#positionView(m));
  }

  leverage(symbol: string): Decimal {
    return this.#market(symbol).leverage;
  }

  /**
   * `wallet().equity` (wallet balance plus unrealised PnL), the same Decimal, without the margin
   * figures: the backtester marks its equity curve with it at every candle a position is open.
   */
  equity(): Decimal {
    // wallet() sums from ZERO; ZERO + x is x (a sum is rounded to the precision, x already is).
    let upl: Decimal | null = null;
    for (const m of this.#markets.values()) {
      if (m.pos.side === null) continue;
      const u = this.#upl(m);
      upl = upl === null ? u : upl.add(u);
    }
    return upl === null ? this.#wallet : this.#wallet.add(upl);
  }

  wallet(): SimWallet {
    let upl = ZERO;
    let posIM = ZERO;
    let ordIM = ZERO;
    for (const m of this.#markets.values()) {
      if (m.pos.side !== null) {
        upl = upl.add(this.#upl(m));
        posIM = posIM.add(m.pos.size.mul(m.pos.entryPrice).div(m.leverage));
      }
      for (const o of m.resting) if (!o.reduceOnly) ordIM = ordIM.add(o.leavesQty.mul(o.price ?? ZERO).div(m.leverage));
      for (const o of m.pending) if (!o.reduceOnly) ordIM = ordIM.add(o.leavesQty.mul(o.price ?? toPrice(m.last)).div(m.leverage));
    }
    const equity = this.#wallet.add(upl);
    const avail = Dec.max(ZERO, equity.sub(posIM).sub(ordIM));
    return {
      coin: 'USDT',
      walletBalance: this.#wallet,
      unrealisedPnl: upl,
      equity,
      positionIM: posIM,
      orderIM: ordIM,
      availableBalance: avail,
      realisedPnl: this.#realised,
      feesPaid: this.#fees,
    };
  }

  // ---------------------------------------------------------------- requests

  placeOrder(input: PlaceOrderInput): SimResult<SimOrder> {
    const m = this.#markets.get(input.symbol);
    if (!m) return fail(10001, 'params error: symbol invalid');
    const inst = m.inst;
    if (Number.isNaN(m.last)) return fail(10001, `no market price for ${input.symbol} yet`);
    const isMarket = input.orderType === 'market';
    const qty = input.qty;
    if (!qty.isFinite() || qty.lte(0) || !qty.mod(inst.qtyStep).isZero()) return fail(10001, 'Qty invalid');
    if (qty.lt(inst.minQty)) return fail(10001, 'The number of contracts exceeds minimum limit allowed');
    if (qty.gt(isMarket ? inst.maxMarketQty : inst.maxQty)) return fail(10001, 'The number of contracts exceeds maximum limit allowed');
    let price: Decimal | null = null;
    if (!isMarket) {
      if (!input.price) return fail(10001, 'Missing some parameters that must be filled in, please check your parameters');
      price = input.price;
      if (price.lte(0) || !price.mod(inst.tickSize).isZero()) return fail(10001, 'price invalid');
    }
    const linkId = input.orderLinkId ?? '';
    if (linkId !== '') {
      if (!LINK_ID_RE.test(linkId)) return fail(10001, 'orderLinkId is invalid');
      if (this.#byLinkId.has(linkId)) return fail(110072, 'OrderLinkedID is duplicate');
    }
    const reduceOnly = input.reduceOnly ?? false;
    const refPrice = price ?? toPrice(m.last);
    if (reduceOnly) {
      if (m.pos.side === null) return fail(110017, 'current position is zero, cannot fix reduce-only order qty');
      if (m.pos.side === input.side) return fail(110017, 'Reduce-only rule not satisfied');
    } else {
      if (qty.mul(refPrice).lt(inst.minNotional)) return fail(110094, `Order does not meet minimum order value ${inst.minNotional.toFixed()}USDT`);
      const opening = m.pos.side === null || m.pos.side === input.side ? qty : Dec.max(ZERO, qty.sub(m.pos.size));
      if (opening.gt(0)) {
        const need = opening.mul(refPrice).div(m.leverage).add(opening.mul(refPrice).mul(this.#taker));
        if (need.gt(this.wallet().availableBalance)) return fail(110007, 'ab not enough for new order');
      }
    }
    const tpsl = this.#checkAttachedTpSl(input.side, refPrice, input.takeProfit ?? null, input.stopLoss ?? null, inst);
    if (tpsl) return tpsl;
    const tif: TimeInForce = isMarket ? 'IOC' : (input.timeInForce ?? 'GTC');
    const o = this.#newOrder(m, {
      side: input.side,
      orderType: input.orderType,
      price,
      qty,
      tif,
      reduceOnly,
      linkId,
      takeProfit: input.takeProfit ?? null,
      stopLoss: input.stopLoss ?? null,
      closeOnTrigger: false,
      stopOrderType: '',
    });
    this.#route(m, o, true);
    return okr(copyOrder(o));
  }

  amendOrder(input: AmendOrderInput): SimResult<SimOrder> {
    const m = this.#markets.get(input.symbol);
    if (!m) return fail(10001, 'params error: symbol invalid');
    const o = this.#find(input);
    if (!o || o.symbol !== input.symbol || !OPEN_STATUSES.has(o.status)) return fail(110001, 'order not exists or too late to replace');
    let changed = false;
    if (input.qty !== undefined && !input.qty.eq(o.qty)) {
      if (!input.qty.mod(m.inst.qtyStep).isZero() || input.qty.lte(o.cumExecQty)) return fail(10001, 'Qty invalid');
      if (input.qty.gt(m.inst.maxQty)) return fail(10001, 'The number of contracts exceeds maximum limit allowed');
      changed = true;
    }
    if (input.price !== undefined && (o.price === null || !input.price.eq(o.price))) {
      if (o.orderType === 'market') return fail(10001, 'price invalid');
      if (input.price.lte(0) || !input.price.mod(m.inst.tickSize).isZero()) return fail(10001, 'price invalid');
      changed = true;
    }
    const tpChanged = input.takeProfit !== undefined && !sameDec(input.takeProfit, o.takeProfit);
    const slChanged = input.stopLoss !== undefined && !sameDec(input.stopLoss, o.stopLoss);
    if (!changed && !tpChanged && !slChanged) return fail(10001, 'The order remains unchanged as the parameters entered match the existing ones.');
    const newPrice = input.price ?? o.price ?? toPrice(m.last);
    const tpsl = this.#checkAttachedTpSl(
      o.side,
      newPrice,
      input.takeProfit !== undefined ? input.takeProfit : o.takeProfit,
      input.stopLoss !== undefined ? input.stopLoss : o.stopLoss,
      m.inst,
    );
    if (tpsl) return tpsl;
    if (input.qty !== undefined) {
      o.qty = input.qty;
      o.leavesQty = input.qty.sub(o.cumExecQty);
    }
    if (input.price !== undefined && o.orderType === 'limit') {
      o.price = input.price;
      o.limitNum = input.price.toNumber();
    }
    if (input.takeProfit !== undefined) o.takeProfit = input.takeProfit;
    if (input.stopLoss !== undefined) o.stopLoss = input.stopLoss;
    o.updatedMs = this.#now();
    // A re-priced limit may now cross: route it again as if it had just arrived.
    removeFrom(m.resting, o);
    removeFrom(m.pending, o);
    this.#route(m, o, false);
    return okr(copyOrder(o));
  }

  cancelOrder(ref: OrderRef): SimResult<SimOrder> {
    const m = this.#markets.get(ref.symbol);
    if (!m) return fail(10001, 'params error: symbol invalid');
    const o = this.#find(ref);
    if (!o || o.symbol !== ref.symbol || !OPEN_STATUSES.has(o.status)) return fail(110001, 'order not exists or too late to cancel');
    this.#cancel(m, o, 'CancelByUser', 'EC_PerCancelRequest');
    return okr(copyOrder(o));
  }

  /** Cancels every open order (of one symbol, or all); returns what was cancelled. */
  cancelAll(symbol?: string): SimOrder[] {
    const out: SimOrder[] = [];
    for (const m of this.#markets.values()) {
      if (symbol !== undefined && m.inst.symbol !== symbol) continue;
      for (const o of [...m.pending, ...m.resting]) {
        this.#cancel(m, o, 'CancelByUser', 'EC_PerCancelRequest');
        out.push(copyOrder(o));
      }
    }
    return out;
  }

  /**
   * Fills what is left of an open order at once, at its limit price (maker) or at the touch (market):
   * the "fill racing a cancel" fault. Returns the order after the fill, or null if it was not open.
   */
  forceFill(ref: OrderRef): SimOrder | null {
    const m = this.#markets.get(ref.symbol);
    const o = this.#find(ref);
    if (!m || !o || !OPEN_STATUSES.has(o.status)) return null;
    const price = o.price ?? this.#takerPrice(m, o.side, m.last, true);
    this.#fill(m, o, o.leavesQty, price, o.price !== null);
    return copyOrder(o);
  }

  setLeverage(symbol: string, buyLeverage: Decimal, sellLeverage: Decimal): SimResult<Decimal> {
    const m = this.#markets.get(symbol);
    if (!m) return fail(10001, 'params error: symbol invalid');
    if (!buyLeverage.eq(sellLeverage)) return fail(10001, 'buy leverage must be equal to sell leverage in one-way mode');
    if (buyLeverage.lt(1) || buyLeverage.gt(m.inst.maxLeverage) || buyLeverage.decimalPlaces() > 2) {
      return fail(10001, `leverage invalid: must be between 1 and ${m.inst.maxLeverage.toFixed()}`);
    }
    if (buyLeverage.eq(m.leverage)) return fail(110043, 'Set leverage not modified');
    m.leverage = buyLeverage;
    m.pos.updatedMs = this.#now();
    this.#emitPosition(m);
    this.#emitWallet();
    return okr(buyLeverage);
  }

  setTradingStop(input: TradingStopInput): SimResult<SimPosition> {
    const m = this.#markets.get(input.symbol);
    if (!m) return fail(10001, 'params error: symbol invalid');
    const p = m.pos;
    if (p.side === null) return fail(10001, 'can not set tp/sl/ts for zero position');
    const long = p.side === 'buy';
    const base = toPrice(m.last);
    const sideName = long ? 'Buy' : 'Sell';
    if (input.stopLoss) {
      if (long ? input.stopLoss.gte(base) : input.stopLoss.lte(base)) {
        return fail(10001, `StopLoss:${input.stopLoss.toFixed()} set for ${sideName} position should ${long ? 'lower' : 'greater'} than base_price:${base.toFixed()}??LastPrice`);
      }
    }
    if (input.takeProfit) {
      if (long ? input.takeProfit.lte(base) : input.takeProfit.gte(base)) {
        return fail(10001, `TakeProfit:${input.takeProfit.toFixed()} set for ${sideName} position should be ${long ? 'higher' : 'lower'} than base_price:${base.toFixed()}??LastPrice`);
      }
    }
    if (input.trailingStop && input.trailingStop.lte(0)) return fail(10001, 'trailingStop invalid');
    for (const d of [input.takeProfit, input.stopLoss, input.trailingStop, input.activePrice]) {
      if (d && !d.mod(m.inst.tickSize).isZero()) return fail(10001, 'price invalid');
    }
    const changed =
      (input.takeProfit !== undefined && !sameDec(input.takeProfit, p.takeProfit)) ||
      (input.stopLoss !== undefined && !sameDec(input.stopLoss, p.stopLoss)) ||
      (input.trailingStop !== undefined && !sameDec(input.trailingStop, p.trailingStop)) ||
      (input.activePrice !== undefined && !sameDec(input.activePrice, p.activePrice));
    if (!changed) return fail(34040, 'not modified');
    if (input.takeProfit !== undefined) p.takeProfit = input.takeProfit;
    if (input.stopLoss !== undefined) p.stopLoss = input.stopLoss;
    if (input.activePrice !== undefined) p.activePrice = input.activePrice;
    if (input.trailingStop !== undefined) {
      p.trailingStop = input.trailingStop;
      p.trailActive = false;
    }
    syncStopNums(p);
    if (p.trailingStop !== null && !p.trailActive) this.#maybeActivateTrail(p, m.last);
    p.updatedMs = this.#now();
    this.#emitPosition(m);
    return okr(this.#positionView(m));
  }

  // ---------------------------------------------------------------- matching

  #begin(m: MarketState, c: Candle): void {
    m.candle = c;
    const p = m.pos;
    m.tpSuppressed = false;
    if (p.side !== null && !Number.isNaN(p.slNum) && !Number.isNaN(p.tpNum)) {
      // DESIGN section 5: stop and target both inside one candle → the stop is assumed first.
      m.tpSuppressed = p.side === 'buy' ? c.low <= p.slNum && c.high >= p.tpNum : c.high >= p.slNum && c.low <= p.tpNum;
    }
  }

  #move(m: MarketState, to: number, ts: number, jump: boolean): void {
    const from = m.last;
    if (ts > this.#marketTs) this.#marketTs = ts;
    if (Number.isNaN(from)) {
      m.last = to;
      m.lastTs = ts;
      return;
    }
    const triggers = this.#collect(m, from, to);
    m.lastTs = ts;
    for (const t of triggers) this.#applyTrigger(m, t, from, jump ? to : from);
    // Trailing stops follow the best price reached on this segment.
    this.#trailAfterSegment(m.pos, from, to);
    m.last = to;
    if (m.pending.length > 0) {
      const pend = m.pending.splice(0, m.pending.length);
      for (const o of pend) this.#fillPendingAt(m, o, to);
    }
  }

  #collect(m: MarketState, from: number, to: number): Trigger[] {
    const lo = Math.min(from, to);
    const hi = Math.max(from, to);
    const out: Trigger[] = [];
    const p = m.pos;
    if (p.side === 'buy') {
      if (!Number.isNaN(p.slNum) && lo <= p.slNum) out.push({ dist: Math.max(0, from - p.slNum), rank: RANK.sl, kind: 'sl', order: null });
      if (!m.tpSuppressed && !Number.isNaN(p.tpNum) && hi >= p.tpNum) out.push({ dist: Math.max(0, p.tpNum - from), rank: RANK.tp, kind: 'tp', order: null });
      if (p.trailActive && to < from) {
        const stop = Math.max(p.trailPeak, from) - p.trailNum;
        if (lo <= stop) out.push({ dist: Math.max(0, from - stop), rank: RANK.trail, kind: 'trail', order: null });
      }
    } else if (p.side === 'sell') {
      if (!Number.isNaN(p.slNum) && hi >= p.slNum) out.push({ dist: Math.max(0, p.slNum - from), rank: RANK.sl, kind: 'sl', order: null });
      if (!m.tpSuppressed && !Number.isNaN(p.tpNum) && lo <= p.tpNum) out.push({ dist: Math.max(0, from - p.tpNum), rank: RANK.tp, kind: 'tp', order: null });
      if (p.trailActive && to > from) {
        const stop = Math.min(p.trailPeak, from) + p.trailNum;
        if (hi >= stop) out.push({ dist: Math.max(0, stop - from), rank: RANK.trail, kind: 'trail', order: null });
      }
    }
    for (const o of m.resting) {
      const l = o.limitNum;
      if (o.side === 'buy' ? lo < l : hi > l) {
        out.push({ dist: Math.max(0, o.side === 'buy' ? from - l : l - from), rank: RANK.limit, kind: 'limit', order: o });
      }
    }
    if (out.length > 1) out.sort((a, b) => a.dist - b.dist || a.rank - b.rank);
    return out;
  }

  #applyTrigger(m: MarketState, t: Trigger, from: number, gapRef: number): void {
    const p = m.pos;
    if (t.kind === 'limit') {
      const o = t.order!;
      if (!OPEN_STATUSES.has(o.status)) return;
      let q = o.leavesQty;
      if (this.#partial !== null) q = this.#partialQty(m, q);
      this.#fill(m, o, q, o.price!, true);
      return;
    }
    if (p.side === null) return;
    const long = p.side === 'buy';
    let trigger: number;
    let trigDec: Decimal | null = null;
    let type: SimStopOrderType;
    if (t.kind === 'sl') {
      trigger = p.slNum;
      trigDec = p.stopLoss;
      type = 'StopLoss';
    } else if (t.kind === 'tp') {
      trigger = p.tpNum;
      trigDec = p.takeProfit;
      type = 'TakeProfit';
    } else {
      trigger = long ? Math.max(p.trailPeak, from) - p.trailNum : Math.min(p.trailPeak, from) + p.trailNum;
      type = 'TrailingStop';
    }
    // A gap through the trigger fills at the segment start (worse for the position), never better.
    const gapped = t.kind === 'tp' ? false : long ? gapRef < trigger : gapRef > trigger;
    let ref: Decimal;
    if (gapped) ref = toPrice(gapRef);
    else if (trigDec !== null) ref = trigDec;
    else ref = roundToStep(toPrice(trigger), m.inst.tickSize, long ? 'down' : 'up');
    const closeSide: Side = long ? 'sell' : 'buy';
    const o = this.#newOrder(m, {
      side: closeSide,
      orderType: 'market',
      price: null,
      qty: p.size,
      tif: 'IOC',
      reduceOnly: true,
      linkId: '',
      takeProfit: null,
      stopLoss: null,
      closeOnTrigger: true,
      stopOrderType: type,
    });
    this.#fill(m, o, o.qty, this.#slipped(m, closeSide, ref), false);
  }

  #trailAfterSegment(p: PositionState, from: number, to: number): void {
    if (p.side === null || Number.isNaN(p.trailNum)) return;
    if (!p.trailActive) {
      const hit = p.side === 'buy' ? Math.max(from, to) >= p.activeNum : Math.min(from, to) <= p.activeNum;
      if (!hit) return;
      p.trailActive = true;
      p.trailPeak = p.side === 'buy' ? Math.max(p.activeNum, to) : Math.min(p.activeNum, to);
      return;
    }
    p.trailPeak = p.side === 'buy' ? Math.max(p.trailPeak, from, to) : Math.min(p.trailPeak, from, to);
  }

  #maybeActivateTrail(p: PositionState, last: number): void {
    if (Number.isNaN(p.activeNum) || (p.side === 'buy' ? last >= p.activeNum : last <= p.activeNum)) {
      p.trailActive = true;
      p.trailPeak = last;
    }
  }

  /** Decides what a new (or re-priced) order does now: fill, rest, wait for the next price, or cancel. */
  #route(m: MarketState, o: InternalOrder, isNew: boolean): void {
    if (isNew) {
      this.#orders.set(o.orderId, o);
      if (o.orderLinkId !== '') this.#byLinkId.set(o.orderLinkId, o);
      this.#trimHistory();
    }
    const { bid, ask } = m.book.touch(m.last);
    const marketable = o.orderType === 'market' || (o.side === 'buy' ? o.limitNum >= ask : o.limitNum <= bid);
    if (!marketable) {
      if (o.timeInForce === 'IOC' || o.timeInForce === 'FOK') {
        this.#cancel(m, o, 'UNKNOWN', 'EC_NoImmediateQtyToFill');
        return;
      }
      m.resting.push(o);
      this.#emitOrder(o);
      return;
    }
    if (o.timeInForce === 'PostOnly') {
      this.#cancel(m, o, 'UNKNOWN', 'EC_PostOnlyWillTakeLiquidity');
      return;
    }
    if (this.#marketFill === 'nextPrice') {
      m.pending.push(o);
      if (o.orderType === 'limit') this.#emitOrder(o);
      return;
    }
    this.#takeNow(m, o, this.#takerPrice(m, o.side, m.last, true));
  }

  /** Taker fill of a marketable order at `price` (already slipped), honouring its limit and TIF. */
  #takeNow(m: MarketState, o: InternalOrder, price: Decimal): void {
    const px = o.price !== null ? (o.side === 'buy' ? Dec.min(price, o.price) : Dec.max(price, o.price)) : price;
    if (this.#thin !== null && o.orderType === 'market' && !o.reduceOnly) {
      // Thin book: what the touch offers fills, the IOC rest is cancelled.
      const q = roundToStep(o.leavesQty.mul(this.#thin), m.inst.qtyStep, 'down');
      if (q.gt(0)) this.#fill(m, o, q, px, false);
      if (OPEN_STATUSES.has(o.status)) this.#cancel(m, o, 'UNKNOWN', 'EC_NoImmediateQtyToFill');
      return;
    }
    if (this.#partial === null || o.timeInForce === 'FOK') {
      this.#fill(m, o, o.leavesQty, px, false);
      return;
    }
    this.#fill(m, o, this.#partialQty(m, o.leavesQty), px, false);
    if (!OPEN_STATUSES.has(o.status)) return;
    if (o.timeInForce === 'IOC' && o.orderType === 'limit') {
      this.#cancel(m, o, 'UNKNOWN', 'EC_NoImmediateQtyToFill');
      return;
    }
    if (o.orderType === 'market') this.#fill(m, o, o.leavesQty, px, false);
    else {
      m.resting.push(o);
      this.#emitOrder(o);
    }
  }

  #fillPendingAt(m: MarketState, o: InternalOrder, price: number): void {
    if (!OPEN_STATUSES.has(o.status)) return;
    if (o.orderType === 'limit' && (o.side === 'buy' ? price > o.limitNum : price < o.limitNum)) {
      // Price moved away before the order reached the market: it now rests like any limit.
      if (o.timeInForce === 'IOC' || o.timeInForce === 'FOK') this.#cancel(m, o, 'UNKNOWN', 'EC_NoImmediateQtyToFill');
      else {
        m.resting.push(o);
        this.#emitOrder(o);
      }
      return;
    }
    this.#takeNow(m, o, this.#slipped(m, o.side, toPrice(price)));
  }

  #takerPrice(m: MarketState, side: Side, last: number, useTouch: boolean): Decimal {
    const t = m.book.touch(last);
    const ref = useTouch ? toPrice(side === 'buy' ? t.ask : t.bid) : toPrice(last);
    return this.#slipped(m, side, ref);
  }

  #slipped(m: MarketState, side: Side, ref: Decimal): Decimal {
    if (this.#slip === 0) return roundToStep(ref, m.inst.tickSize, side === 'buy' ? 'up' : 'down');
    const f = new Dec(this.#slip).div(10_000);
    const raw = side === 'buy' ? ref.mul(f.add(1)) : ref.mul(new Dec(1).sub(f));
    return roundToStep(raw, m.inst.tickSize, side === 'buy' ? 'up' : 'down');
  }

  #partialQty(m: MarketState, leaves: Decimal): Decimal {
    const q = roundToStep(leaves.mul(this.#partial ?? 1), m.inst.qtyStep, 'down');
    return q.lte(0) ? leaves : q;
  }

  /** One execution of `qty` of `o` at `price`. The only place money moves. */
  #fill(m: MarketState, o: InternalOrder, qtyIn: Decimal, price: Decimal, isMaker: boolean): void {
    const p = m.pos;
    let qty = qtyIn;
    if (o.reduceOnly) {
      if (p.side === null || p.side === o.side) {
        this.#cancel(m, o, 'CancelByReduceOnly', 'EC_ReduceOnlySetButNotReducing');
        return;
      }
      if (qty.gt(p.size)) qty = p.size;
    }
    if (qty.lte(0)) return;
    const now = this.#now();
    const feeRate = isMaker ? this.#maker : this.#taker;
    const value = price.mul(qty);
    // Settled per execution in whole 1e-8 USDT, so that sums of fees and PnL are exact.
    const fee = value.mul(feeRate).toDecimalPlaces(8, Dec.ROUND_HALF_UP);
    let closed = ZERO;
    let pnl = ZERO;
    if (p.side === null || p.side === o.side) {
      const newSize = p.size.add(qty);
      p.entryPrice = p.side === null ? price : p.entryPrice.mul(p.size).add(value).div(newSize);
      if (p.side === null) {
        p.createdMs = now;
        p.curRealisedPnl = ZERO;
      }
      p.side = o.side;
      p.size = newSize;
    } else {
      closed = Dec.min(qty, p.size);
      pnl = price.sub(p.entryPrice).mul(closed).mul(p.side === 'buy' ? 1 : -1).toDecimalPlaces(8, Dec.ROUND_HALF_EVEN);
      p.size = p.size.sub(closed);
      const rest = qty.sub(closed);
      if (p.size.isZero()) {
        clearPosition(p);
        if (rest.gt(0)) {
          p.side = o.side;
          p.size = rest;
          p.entryPrice = price;
          p.createdMs = now;
          p.curRealisedPnl = ZERO;
        }
      }
    }
    p.curRealisedPnl = p.curRealisedPnl.add(pnl).sub(fee);
    p.cumRealisedPnl = p.cumRealisedPnl.add(pnl).sub(fee);
    p.updatedMs = now;
    p.seq = ++this.#seq;
    this.#wallet = this.#wallet.add(pnl).sub(fee);
    this.#realised = this.#realised.add(pnl);
    this.#fees = this.#fees.add(fee);

    o.cumExecQty = o.cumExecQty.add(qty);
    o.cumExecValue = o.cumExecValue.add(value);
    o.cumExecFee = o.cumExecFee.add(fee);
    o.leavesQty = o.reduceOnly && p.side === null ? ZERO : o.qty.sub(o.cumExecQty);
    o.avgPrice = o.cumExecValue.div(o.cumExecQty);
    o.updatedMs = now;
    if (o.leavesQty.lte(0)) {
      o.leavesQty = ZERO;
      o.status = 'Filled';
      removeFrom(m.resting, o);
      removeFrom(m.pending, o);
      this.#finished++;
    } else o.status = 'PartiallyFilled';

    // Attached TP/SL become the position's when the order opened or added to it (tpslMode Full).
    if (p.side === o.side && (o.takeProfit !== null || o.stopLoss !== null)) {
      if (o.takeProfit !== null) p.takeProfit = o.takeProfit;
      if (o.stopLoss !== null) p.stopLoss = o.stopLoss;
      syncStopNums(p);
    }

    const exec: SimExecution = {
      execId: this.#prng.uuid(),
      orderId: o.orderId,
      orderLinkId: o.orderLinkId,
      symbol: o.symbol,
      side: o.side,
      orderType: o.orderType,
      stopOrderType: o.stopOrderType,
      orderPrice: o.price,
      orderQty: o.qty,
      execPrice: price,
      execQty: qty,
      execValue: value,
      execFee: fee,
      feeRate,
      isMaker,
      closedSize: closed,
      closedPnl: pnl,
      leavesQty: o.leavesQty,
      execTime: now,
      seq: p.seq,
    };
    this.#executions.push(exec);
    if (this.#executions.length > this.#historyLimit) this.#executions.splice(0, this.#executions.length - this.#historyLimit);
    this.#emit({ kind: 'execution', execution: exec });
    this.#emitOrder(o);
    if (p.side === null) {
      // A flat position leaves nothing for reduce-only orders to reduce.
      for (const r of [...m.resting, ...m.pending]) if (r.reduceOnly) this.#cancel(m, r, 'CancelByReduceOnly', 'EC_ReduceOnlySetButNotReducing');
    }
    this.#emitPosition(m);
    this.#emitWallet();
  }

  #cancel(m: MarketState, o: InternalOrder, cancelType: SimCancelType, reason: string): void {
    removeFrom(m.resting, o);
    removeFrom(m.pending, o);
    o.status = o.cumExecQty.gt(0) ? 'PartiallyFilledCanceled' : 'Cancelled';
    o.cancelType = cancelType;
    o.rejectReason = reason;
    o.leavesQty = ZERO;
    o.updatedMs = this.#now();
    this.#finished++;
    this.#emitOrder(o);
  }

  #checkAttachedTpSl(side: Side, base: Decimal, tp: Decimal | null, sl: Decimal | null, inst: Instrument): SimResult<SimOrder> | null {
    const buy = side === 'buy';
    const name = buy ? 'Buy' : 'Sell';
    for (const d of [tp, sl]) if (d !== null && (d.lte(0) || !d.mod(inst.tickSize).isZero())) return fail(10001, 'price invalid');
    if (tp !== null && (buy ? tp.lte(base) : tp.gte(base))) {
      return fail(10001, `TakeProfit:${tp.toFixed()} set for ${name} position should be ${buy ? 'higher' : 'lower'} than base_price:${base.toFixed()}??LastPrice`);
    }
    if (sl !== null && (buy ? sl.gte(base) : sl.lte(base))) {
      return fail(10001, `StopLoss:${sl.toFixed()} set for ${name} position should ${buy ? 'lower' : 'greater'} than base_price:${base.toFixed()}??LastPrice`);
    }
    return null;
  }

  // ---------------------------------------------------------------- helpers

  #newOrder(
    m: MarketState,
    a: {
      side: Side;
      orderType: OrderType;
      price: Decimal | null;
      qty: Decimal;
      tif: TimeInForce;
      reduceOnly: boolean;
      linkId: string;
      takeProfit: Decimal | null;
      stopLoss: Decimal | null;
      closeOnTrigger: boolean;
      stopOrderType: SimStopOrderType;
    },
  ): InternalOrder {
    const now = this.#now();
    const o: InternalOrder = {
      orderId: this.#prng.uuid(),
      orderLinkId: a.linkId,
      symbol: m.inst.symbol,
      side: a.side,
      orderType: a.orderType,
      price: a.price,
      qty: a.qty,
      timeInForce: a.tif,
      reduceOnly: a.reduceOnly,
      closeOnTrigger: a.closeOnTrigger,
      stopOrderType: a.stopOrderType,
      takeProfit: a.takeProfit,
      stopLoss: a.stopLoss,
      status: 'New',
      cumExecQty: ZERO,
      cumExecValue: ZERO,
      cumExecFee: ZERO,
      avgPrice: null,
      leavesQty: a.qty,
      rejectReason: 'EC_NoError',
      cancelType: 'UNKNOWN',
      createdMs: now,
      updatedMs: now,
      limitNum: num(a.price),
    };
    if (a.closeOnTrigger) {
      this.#orders.set(o.orderId, o);
      this.#trimHistory();
    }
    return o;
  }

  #trimHistory(): void {
    if (this.#orders.size <= this.#historyLimit || this.#finished === 0) return;
    for (const [id, o] of this.#orders) {
      if (this.#orders.size <= this.#historyLimit) break;
      if (OPEN_STATUSES.has(o.status)) continue;
      this.#orders.delete(id);
      if (o.orderLinkId !== '' && this.#byLinkId.get(o.orderLinkId) === o) this.#byLinkId.delete(o.orderLinkId);
      this.#finished--;
    }
  }

  #find(ref: OrderRef): InternalOrder | undefined {
    if (ref.orderId) return this.#orders.get(ref.orderId);
    if (ref.orderLinkId) return this.#byLinkId.get(ref.orderLinkId);
    return undefined;
  }

  #market(symbol: string): MarketState {
    const m = this.#markets.get(symbol);
    if (m === undefined) throw new SimConfigError(`unknown symbol ${symbol}`);
    return m;
  }

  #now(): number {
    return this.#clock ? this.#clock() : this.#marketTs;
  }

  #upl(m: MarketState): Decimal {
    const p = m.pos;
    if (p.side === null || Number.isNaN(m.last)) return ZERO;
    const long = toPrice(m.last).sub(p.entryPrice).mul(p.size);
    return p.side === 'buy' ? long : long.neg(); // exact, as ×1 and ×(−1) were
  }

  #positionView(m: MarketState): SimPosition {
    const p = m.pos;
    const mark = Number.isNaN(m.last) ? ZERO : toPrice(m.last);
    const value = p.size.mul(p.entryPrice);
    return {
      symbol: m.inst.symbol,
      side: p.side,
      size: p.size,
      entryPrice: p.entryPrice,
      leverage: m.leverage,
      markPrice: mark,
      positionValue: value,
      positionIM: value.div(m.leverage),
      unrealisedPnl: this.#upl(m),
      curRealisedPnl: p.curRealisedPnl,
      cumRealisedPnl: p.cumRealisedPnl,
      takeProfit: p.takeProfit,
      stopLoss: p.stopLoss,
      trailingStop: p.trailingStop,
      activePrice: p.activePrice,
      createdMs: p.createdMs,
      updatedMs: p.updatedMs,
      seq: p.seq,
    };
  }

  #emit(e: SimEvent): void {
    for (const l of this.#listeners) l(e);
  }

  #emitOrder(o: InternalOrder): void {
    if (this.#listeners.length > 0) this.#emit({ kind: 'order', order: copyOrder(o) });
  }

  #emitPosition(m: MarketState): void {
    if (this.#listeners.length > 0) this.#emit({ kind: 'position', position: this.#positionView(m) });
  }

  #emitWallet(): void {
    if (this.#listeners.length > 0) this.#emit({ kind: 'wallet', wallet: this.wallet() });
  }
}

function emptyPosition(): PositionState {
  return {
    side: null,
    size: ZERO,
    entryPrice: ZERO,
    takeProfit: null,
    stopLoss: null,
    trailingStop: null,
    activePrice: null,
    tpNum: NaN,
    slNum: NaN,
    trailNum: NaN,
    activeNum: NaN,
    trailActive: false,
    trailPeak: NaN,
    curRealisedPnl: ZERO,
    cumRealisedPnl: ZERO,
    createdMs: 0,
    updatedMs: 0,
    seq: 0,
  };
}

function clearPosition(p: PositionState): void {
  p.side = null;
  p.size = ZERO;
  p.entryPrice = ZERO;
  p.takeProfit = null;
  p.stopLoss = null;
  p.trailingStop = null;
  p.activePrice = null;
  p.trailActive = false;
  syncStopNums(p);
}

function syncStopNums(p: PositionState): void {
  p.tpNum = num(p.takeProfit);
  p.slNum = num(p.stopLoss);
  p.trailNum = num(p.trailingStop);
  p.activeNum = num(p.activePrice);
}

function hasStops(p: PositionState): boolean {
  return p.takeProfit !== null || p.stopLoss !== null || p.trailingStop !== null;
}

function sameDec(a: Decimal | null, b: Decimal | null): boolean {
  return a === null || b === null ? a === b : a.eq(b);
}

function removeFrom(list: InternalOrder[], o: InternalOrder): void {
  const i = list.indexOf(o);
  if (i >= 0) list.splice(i, 1);
}

function copyOrder(o: InternalOrder): SimOrder {
  const { limitNum: _ignored, ...rest } = o;
  return rest;
}
