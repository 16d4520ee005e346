/**
 * SimExchange: the engine's ExchangePort over the in-process Simulator, for paper trading (live
 * public data fed in, simulated account) and the backtester (historical candles fed in). It answers
 * exactly as the Bybit adapter does: the same domain types, the same idempotency by orderLinkId,
 * and refusals as ExchangeErrors carrying Bybit's retCode and message, so the engine cannot tell
 * which exchange it is talking to.
 */
import { ExchangeError } from '../domain/exchangeErrors.js';
import type { Decimal } from '../domain/money.js';
import type { Candle, Fill, Instrument, Order, OrderStatus, Position } from '../domain/types.js';
import type {
  AmendRequest,
  Balance,
  BookTop,
  ExchangeEvents,
  ExchangePort,
  MarketSubscription,
  OrderRequest,
  PlaceResult,
  TradingStopRequest,
} from '../engine/exchangePort.js';
import type { SimExecution, SimOrder, SimPosition, SimResult, SimWallet } from './simTypes.js';
import type { Simulator } from './simulator.js';

/** Where warm-up history comes from (the backtest's candles before the window, or live REST). */
export type CandleHistory = (symbol: string, intervalMinutes: number, sinceMs: number, limit: number) => Promise<readonly Candle[]>;

export interface SimExchangeOptions {
  readonly name?: string;
  readonly history?: CandleHistory;
  /** Confirmed candles kept per symbol for fetchCandles when no history source is given (none kept with one). */
  readonly keepCandles?: number;
  /** The live book (paper mode: Bybit's ticker); absent in the backtester, which has none. */
  readonly bookTop?: (symbol: string) => Promise<BookTop | null>;
}

const STATUS: Record<SimOrder['status'], OrderStatus> = {
  New: 'new',
  PartiallyFilled: 'partiallyFilled',
  Filled: 'filled',
  Cancelled: 'cancelled',
  Rejected: 'rejected',
  PartiallyFilledCanceled: 'cancelled',
};

export function toDomainOrder(o: SimOrder): Order {
  return {
    orderLinkId: o.orderLinkId,
    orderId: o.orderId,
    symbol: o.symbol,
    side: o.side,
    type: o.orderType,
    timeInForce: o.timeInForce,
    price: o.price,
    qty: o.qty,
    reduceOnly: o.reduceOnly,
    stopLoss: o.stopLoss,
    takeProfit: o.takeProfit,
    status: STATUS[o.status],
    filledQty: o.cumExecQty,
    avgFillPrice: o.avgPrice,
    rejectReason: o.rejectReason === 'EC_NoError' ? null : o.rejectReason,
    createdMs: o.createdMs,
    updatedMs: o.updatedMs,
  };
}

export function toDomainFill(e: SimExecution): Fill {
  return {
    execId: e.execId,
    orderId: e.orderId,
    orderLinkId: e.orderLinkId,
    symbol: e.symbol,
    side: e.side,
    price: e.execPrice,
    qty: e.execQty,
    fee: e.execFee,
    isMaker: e.isMaker,
    ts: e.execTime,
    ...(e.stopOrderType === 'StopLoss' ? { trigger: 'stopLoss' as const } : {}),
    ...(e.stopOrderType === 'TakeProfit' ? { trigger: 'takeProfit' as const } : {}),
    ...(e.stopOrderType === 'TrailingStop' ? { trigger: 'trailingStop' as const } : {}),
    ...(e.execType === 'Funding' ? { source: 'funding' as const } : {}),
  };
}

export function toDomainPosition(p: SimPosition): Position {
  return {
    symbol: p.symbol,
    side: p.side === null ? null : p.side === 'buy' ? 'long' : 'short',
    size: p.size,
    entryPrice: p.entryPrice,
    stopLoss: p.stopLoss,
    takeProfit: p.takeProfit,
    trailingStop: p.trailingStop,
    unrealisedPnl: p.unrealisedPnl,
    updatedMs: p.updatedMs,
  };
}

function toBalance(w: SimWallet): Balance {
  return { equity: w.equity, walletBalance: w.walletBalance, available: w.availableBalance };
}

function unwrap<T>(r: SimResult<T>, what: string): T {
  if (r.ok) return r.value;
  throw new ExchangeError(`${what}: ${r.msg} (retCode ${r.code})`, 'rejected', r.code, r.msg);
}

export class SimExchange implements ExchangePort {
  readonly name: string;
  readonly #sim: Simulator;
  readonly #history: CandleHistory | null;
  readonly #keep: number;
  readonly #bookTop: ((symbol: string) => Promise<BookTop | null>) | null;
  readonly #candles = new Map<string, Candle[]>();
  #events: ExchangeEvents | null = null;
  #unsubscribe: (() => void) | null = null;

  constructor(sim: Simulator, options: SimExchangeOptions = {}) {
    this.#sim = sim;
    this.name = options.name ?? 'paper';
    this.#history = options.history ?? null;
    this.#keep = options.keepCandles ?? 1000;
    this.#bookTop = options.bookTop ?? null;
  }

  get simulator(): Simulator {
    return this.#sim;
  }

  async loadInstruments(symbols: readonly string[]): Promise<ReadonlyMap<string, Instrument>> {
    const out = new Map<string, Instrument>();
    for (const s of symbols) {
      if (!this.#sim.hasSymbol(s)) throw new ExchangeError(`unknown symbol ${s}`, 'fatal', 10001, 'params error: symbol invalid');
      out.set(s, this.#sim.instrument(s));
    }
    return out;
  }

  async fetchBookTop(symbol: string): Promise<BookTop | null> {
    return this.#bookTop === null ? null : this.#bookTop(symbol);
  }

  /** The simulator's own touch: the book its orders meet (paper's live book above is only Bybit's). */
  async fetchMatchingTop(symbol: string): Promise<BookTop | null> {
    const { bid, ask } = this.#sim.touch(symbol);
    return Number.isFinite(bid) ? { symbol, bidPrice: bid, bidQty: 0, askPrice: ask, askQty: 0, ts: this.#sim.lastTs(symbol) } : null;
  }

  async fetchBalance(): Promise<Balance> {
    return toBalance(this.#sim.wallet());
  }

  async fetchPositions(symbols: readonly string[]): Promise<readonly Position[]> {
    return symbols.map((s) => toDomainPosition(this.#sim.position(s)));
  }

  async fetchOpenOrders(symbol: string): Promise<readonly Order[]> {
    return this.#sim.openOrders(symbol).map(toDomainOrder);
  }

  async fetchOrder(symbol: string, orderLinkId: string): Promise<Order | null> {
    const o = this.#sim.order({ symbol, orderLinkId });
    return o ? toDomainOrder(o) : null;
  }

  async fetchFills(symbol: string, sinceMs: number): Promise<readonly Fill[]> {
    return this.#sim
      .executions(symbol)
      .filter((e) => e.execTime >= sinceMs)
      .map(toDomainFill);
  }

  async fetchCandles(symbol: string, intervalMinutes: number, sinceMs: number, limit: number): Promise<readonly Candle[]> {
    if (this.#history) return this.#history(symbol, intervalMinutes, sinceMs, limit);
    return (this.#candles.get(symbol) ?? []).filter((c) => c.ts >= sinceMs).slice(0, limit);
  }

  async placeOrder(r: OrderRequest): Promise<PlaceResult> {
    const result = this.#sim.placeOrder({
      symbol: r.symbol,
      side: r.side,
      orderType: r.type,
      qty: r.qty,
      price: r.price,
      timeInForce: r.timeInForce,
      reduceOnly: r.reduceOnly,
      orderLinkId: r.orderLinkId,
      takeProfit: r.takeProfit,
      stopLoss: r.stopLoss,
    });
    if (result.ok) return { status: 'placed', orderId: result.value.orderId };
    if (result.code === 110072) {
      // The id was used before: that attempt reached the exchange. Return its order, never a second one.
      const existing = this.#sim.order({ symbol: r.symbol, orderLinkId: r.orderLinkId });
      if (existing) return { status: 'duplicate', orderId: existing.orderId };
    }
    return unwrap(result, `place ${r.orderLinkId}`);
  }

  async amendOrder(r: AmendRequest): Promise<void> {
    unwrap(
      this.#sim.amendOrder({
        symbol: r.symbol,
        orderLinkId: r.orderLinkId,
        ...(r.qty !== undefined ? { qty: r.qty } : {}),
        ...(r.price !== undefined ? { price: r.price } : {}),
        ...(r.stopLoss !== undefined ? { stopLoss: r.stopLoss.isZero() ? null : r.stopLoss } : {}),
        ...(r.takeProfit !== undefined ? { takeProfit: r.takeProfit.isZero() ? null : r.takeProfit } : {}),
      }),
      `amend ${r.orderLinkId}`,
    );
  }

  async cancelOrder(symbol: string, orderLinkId: string): Promise<boolean> {
    const r = this.#sim.cancelOrder({ symbol, orderLinkId });
    if (r.ok) return true;
    if (r.code === 110001) return false; // already filled or cancelled
    return unwrap(r, `cancel ${orderLinkId}`);
  }

  async cancelAllOrders(symbol: string): Promise<void> {
    this.#sim.cancelAll(symbol);
  }

  async setLeverage(symbol: string, leverage: Decimal): Promise<void> {
    const r = this.#sim.setLeverage(symbol, leverage, leverage);
    if (!r.ok && r.code !== 110043) unwrap(r, `set leverage ${symbol}`); // 110043: not modified = success
  }

  async setTradingStop(r: TradingStopRequest): Promise<void> {
    // "0" clears on Bybit; the simulator takes null for that.
    const clear = (d: Decimal | undefined): Decimal | null | undefined => (d === undefined ? undefined : d.isZero() ? null : d);
    const input = {
      symbol: r.symbol,
      ...(r.stopLoss !== undefined ? { stopLoss: clear(r.stopLoss) } : {}),
      ...(r.takeProfit !== undefined ? { takeProfit: clear(r.takeProfit) } : {}),
      ...(r.trailingStop !== undefined ? { trailingStop: clear(r.trailingStop) } : {}),
      ...(r.activePrice !== undefined ? { activePrice: clear(r.activePrice) } : {}),
    };
    const result = this.#sim.setTradingStop(input);
    if (!result.ok && result.code !== 34040) unwrap(result, `trading stop ${r.symbol}`); // 34040: not modified
  }

  async subscribe(_markets: readonly MarketSubscription[], events: ExchangeEvents): Promise<void> {
    this.#events = events;
    this.#unsubscribe?.();
    this.#unsubscribe = this.#sim.onEvent((e) => {
      const ev = this.#events;
      if (!ev) return;
      if (e.kind === 'order') ev.onOrder?.(toDomainOrder(e.order));
      else if (e.kind === 'execution') ev.onFill?.(toDomainFill(e.execution));
      else if (e.kind === 'position') ev.onPosition?.(toDomainPosition(e.position));
      else ev.onBalance?.(toBalance(e.wallet));
    });
    events.onStreamHealth?.('public', 'open', 'in-process simulator');
    events.onStreamHealth?.('private', 'open', 'in-process simulator');
  }

  /**
   * Market data in: a confirmed candle moves the simulator through the candle's price path (resting
   * orders fill along it) and is then handed to the engine, as a Bybit kline with confirm=true is.
   */
  feedCandle(symbol: string, intervalMinutes: number, candle: Candle): void {
    this.#sim.stepCandle(symbol, candle);
    // Kept only for fetchCandles without a history source (paper mode and the backtester have one):
    // the list's upkeep was two thirds of this call's cost.
    if (this.#history === null) this.#keepCandle(symbol, candle);
    this.#events?.onCandle?.(symbol, intervalMinutes, candle, true);
  }

  #keepCandle(symbol: string, candle: Candle): void {
    let list = this.#candles.get(symbol);
    if (list === undefined) this.#candles.set(symbol, (list = []));
    list.push(candle);
    // One candle over the limit per call: shift() drops it without allocating (splice would).
    while (list.length > this.#keep) list.shift();
  }

  /** Top of book in (paper mode), for the market maker. */
  feedBookTop(top: BookTop): void {
    this.#events?.onBookTop?.(top);
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#events = null;
  }
}

