/**
 * The simulator's parts wired as `Simulator` wires them, for tests of one part at a time: one BTCUSDT
 * market at leverage 10, a fixed clock, and every event recorded.
 */
import { dec } from '../../src/domain/money.js';
import type { Candle } from '../../src/domain/types.js';
import { CandleFillModel } from '../../src/sim/candleFillModel.js';
import { simInstrument } from '../../src/sim/instruments.js';
import { MarketClock } from '../../src/sim/marketClock.js';
import { OrderFiller } from '../../src/sim/orderFiller.js';
import { OrderRegistry } from '../../src/sim/orderRegistry.js';
import { Prng } from '../../src/sim/prng.js';
import { RestingOrders, type OrderSpec } from '../../src/sim/restingOrders.js';
import { SimAccount } from '../../src/sim/simAccount.js';
import type { MarketFillMode } from '../../src/sim/simConfig.js';
import { SimEvents } from '../../src/sim/simEvents.js';
import { newMarket, type SimMarket } from '../../src/sim/simMarket.js';
import type { SimEvent } from '../../src/sim/simTypes.js';

export const BTC = simInstrument('BTCUSDT');

export interface PartsOptions {
  readonly initialBalance?: string;
  readonly marketFill?: MarketFillMode;
  readonly slippageBps?: number;
  readonly partialFillRatio?: number | null;
  readonly thinBookRatio?: number | null;
  readonly historyLimit?: number;
}

export interface Parts {
  readonly m: SimMarket;
  readonly markets: Map<string, SimMarket>;
  readonly account: SimAccount;
  readonly registry: OrderRegistry;
  readonly orders: RestingOrders;
  readonly fills: CandleFillModel;
  readonly events: SimEvent[];
}

/** The parts around one BTCUSDT market whose last price is `price`. */
export function simParts(price: number, o: PartsOptions = {}): Parts {
  const m = newMarket(BTC, 60_000, dec('10'));
  m.last = price;
  const markets = new Map([[BTC.symbol, m]]);
  const clock = new MarketClock(() => 1_000);
  const registry = new OrderRegistry(o.historyLimit ?? 100);
  const account = new SimAccount({ makerFeeRate: dec('0.0002'), takerFeeRate: dec('0.00055'), initialBalance: dec(o.initialBalance ?? '10000') });
  const sink = new SimEvents(account, markets);
  const events: SimEvent[] = [];
  sink.on((e) => events.push(e));
  const prng = new Prng(1);
  const filler = new OrderFiller({ registry, account, clock, prng, events: sink });
  const orders = new RestingOrders({
    registry,
    filler,
    clock,
    prng,
    events: sink,
    slippageBps: o.slippageBps ?? 0,
    marketFill: o.marketFill ?? 'touch',
    partialFillRatio: o.partialFillRatio ?? null,
    thinBookRatio: o.thinBookRatio ?? null,
  });
  return { m, markets, account, registry, orders, fills: new CandleFillModel(orders, clock), events };
}

/** A plain GTC order with no attached stops; `price` null makes it a market order (IOC). */
export function spec(side: 'buy' | 'sell', qty: string, price: string | null, extra: Partial<OrderSpec> = {}): OrderSpec {
  return {
    side,
    orderType: price === null ? 'market' : 'limit',
    price: price === null ? null : dec(price),
    qty: dec(qty),
    tif: price === null ? 'IOC' : 'GTC',
    reduceOnly: false,
    linkId: '',
    takeProfit: null,
    stopLoss: null,
    ...extra,
  };
}

/** Candle number `i` of a 1-minute series. */
export function candle(i: number, open: number, high: number, low: number, close: number): Candle {
  return { ts: i * 60_000, open, high, low, close, volume: 10 };
}
