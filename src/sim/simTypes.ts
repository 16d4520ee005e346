/**
 * Types of the one simulator (`Simulator`): its orders, executions, positions, wallet and the events
 * it emits. Status and type names are Bybit V5's (`orderStatus`, `cancelType`, `stopOrderType`),
 * because the simulator models that exchange and the sandbox pushes them unchanged; the engine maps
 * them to `src/domain` types where it needs to.
 */
import type { Dec as Decimal } from '../domain/money.js';
import type { OrderType, Side, TimeInForce } from '../domain/types.js';

export type SimOrderStatus = 'New' | 'PartiallyFilled' | 'Filled' | 'Cancelled' | 'Rejected' | 'PartiallyFilledCanceled';

/** Why an order was cancelled (Bybit `cancelType`). */
export type SimCancelType = 'UNKNOWN' | 'CancelByUser' | 'CancelByReduceOnly' | 'CancelByTpSlTsClear' | 'CancelAllBeforeLiq';

/** Set on the market orders the simulator creates when a position's TP/SL/trailing stop triggers. */
export type SimStopOrderType = '' | 'StopLoss' | 'TakeProfit' | 'TrailingStop';

export const OPEN_STATUSES: ReadonlySet<SimOrderStatus> = new Set(['New', 'PartiallyFilled']);

/** An order as the simulator reports it. Treat as read-only; a fresh copy is taken for every event. */
export interface SimOrder {
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly orderType: OrderType;
  /** Null for market orders. */
  price: Decimal | null;
  qty: Decimal;
  readonly timeInForce: TimeInForce;
  readonly reduceOnly: boolean;
  /** True for the orders that close a position when its TP/SL/trailing stop triggers. */
  readonly closeOnTrigger: boolean;
  readonly stopOrderType: SimStopOrderType;
  takeProfit: Decimal | null;
  stopLoss: Decimal | null;
  status: SimOrderStatus;
  cumExecQty: Decimal;
  cumExecValue: Decimal;
  cumExecFee: Decimal;
  avgPrice: Decimal | null;
  leavesQty: Decimal;
  /** Bybit `rejectReason`, "EC_NoError" unless rejected or cancelled by a rule. */
  rejectReason: string;
  cancelType: SimCancelType;
  readonly createdMs: number;
  updatedMs: number;
}

export interface SimExecution {
  readonly execId: string;
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly stopOrderType: SimStopOrderType;
  readonly orderPrice: Decimal | null;
  readonly orderQty: Decimal;
  readonly execPrice: Decimal;
  readonly execQty: Decimal;
  readonly execValue: Decimal;
  /** Positive = paid. */
  readonly execFee: Decimal;
  readonly feeRate: Decimal;
  readonly isMaker: boolean;
  /** Quantity of the position this execution closed. */
  readonly closedSize: Decimal;
  /** Realised PnL of the closed part, before fees. */
  readonly closedPnl: Decimal;
  readonly leavesQty: Decimal;
  readonly execTime: number;
  readonly seq: number;
  /** Bybit `execType`; absent for a trade. A funding execution moves money, not the position (./simFunding.ts). */
  readonly execType?: 'Funding';
}

/** One-way position view. `side` is null and `size` zero when flat. */
export interface SimPosition {
  readonly symbol: string;
  readonly side: Side | null;
  readonly size: Decimal;
  readonly entryPrice: Decimal;
  readonly leverage: Decimal;
  readonly markPrice: Decimal;
  readonly positionValue: Decimal;
  readonly positionIM: Decimal;
  readonly unrealisedPnl: Decimal;
  /** Realised PnL of the current position, net of fees (Bybit `curRealisedPnl`). */
  readonly curRealisedPnl: Decimal;
  /** Realised PnL of the symbol since the start, net of fees (Bybit `cumRealisedPnl`). */
  readonly cumRealisedPnl: Decimal;
  readonly takeProfit: Decimal | null;
  readonly stopLoss: Decimal | null;
  readonly trailingStop: Decimal | null;
  readonly activePrice: Decimal | null;
  readonly createdMs: number;
  readonly updatedMs: number;
  readonly seq: number;
}

/** The USDT unified account. */
export interface SimWallet {
  readonly coin: string;
  readonly walletBalance: Decimal;
  readonly unrealisedPnl: Decimal;
  readonly equity: Decimal;
  readonly positionIM: Decimal;
  readonly orderIM: Decimal;
  /** equity − position IM − order IM, floored at 0 (Bybit `totalAvailableBalance`). */
  readonly availableBalance: Decimal;
  /** Sum of realised PnL before fees since the start. */
  readonly realisedPnl: Decimal;
  /** Sum of fees paid since the start (negative would be a rebate). */
  readonly feesPaid: Decimal;
}

export type SimEvent =
  | { readonly kind: 'order'; readonly order: SimOrder }
  | { readonly kind: 'execution'; readonly execution: SimExecution }
  | { readonly kind: 'position'; readonly position: SimPosition }
  | { readonly kind: 'wallet'; readonly wallet: SimWallet };

export type SimListener = (event: SimEvent) => void;

/** Outcome of a request to the simulator; `code` and `msg` are Bybit's retCode and retMsg. */
export type SimResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: number; readonly msg: string };

export interface PlaceOrderInput {
  readonly symbol: string;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly qty: Decimal;
  /** Required for limit orders. */
  readonly price?: Decimal | null;
  /** Default GTC for limit orders; market orders are always IOC (as on Bybit). */
  readonly timeInForce?: TimeInForce;
  readonly reduceOnly?: boolean;
  readonly orderLinkId?: string;
  readonly takeProfit?: Decimal | null;
  readonly stopLoss?: Decimal | null;
}

export interface OrderRef {
  readonly symbol: string;
  readonly orderId?: string;
  readonly orderLinkId?: string;
}

/** `undefined` leaves a field as it is; `null` clears it (Bybit's "0"). */
export interface AmendOrderInput extends OrderRef {
  readonly qty?: Decimal;
  readonly price?: Decimal;
  readonly takeProfit?: Decimal | null;
  readonly stopLoss?: Decimal | null;
}

/** `undefined` leaves a field as it is; `null` clears it (Bybit's "0"). */
export interface TradingStopInput {
  readonly symbol: string;
  readonly takeProfit?: Decimal | null;
  readonly stopLoss?: Decimal | null;
  readonly trailingStop?: Decimal | null;
  readonly activePrice?: Decimal | null;
}
