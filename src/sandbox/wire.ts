/**
 * Simulator objects in Bybit V5's wire shape (field names from the V5 docs and reference section 2/3):
 * every number a string, sides "Buy"/"Sell", empty strings for unset prices. Shared by REST and the
 * private websocket so both always agree.
 */
import type { Candle, Instrument, Side } from '../domain/types.js';
import { dec, ZERO, type Dec } from '../domain/money.js';
import type { CollateralCoin } from './accountSettings.js';
import { FUNDING_INTERVAL_MINUTES } from '../sim/simFunding.js';
import type { SimExecution, SimOrder, SimPosition, SimWallet } from '../sim/simTypes.js';

export type Wire = Record<string, unknown>;

export function wireSide(s: Side | null): string {
  return s === 'buy' ? 'Buy' : s === 'sell' ? 'Sell' : '';
}

/** Money and derived prices: at most 8 decimals, plain notation. */
export function m8(d: Dec): string {
  return d.toDecimalPlaces(8).toFixed();
}

function opt(d: Dec | null): string {
  return d === null ? '' : d.toFixed();
}

function fixed(d: Dec, step: Dec): string {
  return d.toFixed(step.decimalPlaces());
}

export function wireOrder(o: SimOrder, inst: Instrument, withCategory: boolean): Wire {
  const w: Wire = {
    orderId: o.orderId,
    orderLinkId: o.orderLinkId,
    blockTradeId: '',
    symbol: o.symbol,
    price: o.price === null ? '0' : o.price.toFixed(),
    qty: fixed(o.qty, inst.qtyStep),
    side: wireSide(o.side),
    isLeverage: '',
    positionIdx: 0,
    orderStatus: o.status,
    createType: o.closeOnTrigger ? `CreateBy${o.stopOrderType === 'TrailingStop' ? 'TrailingStop' : o.stopOrderType}` : 'CreateByUser',
    cancelType: o.cancelType,
    rejectReason: o.rejectReason,
    avgPrice: o.avgPrice === null ? '' : m8(o.avgPrice),
    leavesQty: fixed(o.leavesQty, inst.qtyStep),
    leavesValue: m8(o.leavesQty.mul(o.price ?? 0)),
    cumExecQty: fixed(o.cumExecQty, inst.qtyStep),
    cumExecValue: m8(o.cumExecValue),
    cumExecFee: m8(o.cumExecFee),
    closedPnl: '0',
    feeCurrency: '',
    timeInForce: o.timeInForce,
    orderType: o.orderType === 'market' ? 'Market' : 'Limit',
    stopOrderType: o.stopOrderType,
    ocoTriggerBy: '',
    orderIv: '',
    marketUnit: '',
    triggerPrice: '',
    takeProfit: opt(o.takeProfit),
    stopLoss: opt(o.stopLoss),
    tpslMode: o.takeProfit !== null || o.stopLoss !== null ? 'Full' : '',
    tpLimitPrice: '',
    slLimitPrice: '',
    tpTriggerBy: o.takeProfit !== null ? 'LastPrice' : '',
    slTriggerBy: o.stopLoss !== null ? 'LastPrice' : '',
    triggerDirection: 0,
    triggerBy: '',
    lastPriceOnCreated: '',
    reduceOnly: o.reduceOnly,
    closeOnTrigger: o.closeOnTrigger,
    placeType: '',
    smpType: 'None',
    smpGroup: 0,
    smpOrderId: '',
    createdTime: String(o.createdMs),
    updatedTime: String(o.updatedMs),
  };
  if (withCategory) w['category'] = 'linear';
  return w;
}

export function wireExecution(e: SimExecution, inst: Instrument, markPrice: string, withCategory: boolean): Wire {
  const w: Wire = {
    symbol: e.symbol,
    orderId: e.orderId,
    orderLinkId: e.orderLinkId,
    side: wireSide(e.side),
    orderPrice: e.orderPrice === null ? '0' : e.orderPrice.toFixed(),
    orderQty: fixed(e.orderQty, inst.qtyStep),
    leavesQty: fixed(e.leavesQty, inst.qtyStep),
    createType: e.stopOrderType === '' ? 'CreateByUser' : `CreateBy${e.stopOrderType}`,
    orderType: e.orderType === 'market' ? 'Market' : 'Limit',
    stopOrderType: e.stopOrderType,
    execFee: m8(e.execFee),
    execId: e.execId,
    execPrice: e.execPrice.toFixed(),
    execQty: fixed(e.execQty, inst.qtyStep),
    execType: 'Trade',
    execValue: m8(e.execValue),
    execTime: String(e.execTime),
    feeCurrency: 'USDT',
    isMaker: e.isMaker,
    feeRate: e.feeRate.toFixed(),
    tradeIv: '',
    markIv: '',
    markPrice,
    indexPrice: markPrice,
    underlyingPrice: '',
    blockTradeId: '',
    closedSize: fixed(e.closedSize, inst.qtyStep),
    execPnl: m8(e.closedPnl),
    seq: e.seq,
  };
  if (e.execType === 'Funding') {
    // As Bybit sends a funding execution (execution-list fixture): no order behind it.
    Object.assign(w, { orderType: 'UNKNOWN', stopOrderType: 'UNKNOWN', createType: '', orderPrice: '0', orderQty: '0', execPnl: '0', execType: 'Funding' });
  }
  if (withCategory) w['category'] = 'linear';
  return w;
}

/** REST `position/list` names the entry `avgPrice`; the websocket `position` topic names it `entryPrice`. */
export function wirePosition(p: SimPosition, inst: Instrument, flavour: 'rest' | 'ws', positionIdx: 0 | 1 | 2 = 0): Wire {
  const flat = p.side === null;
  const w: Wire = {
    positionIdx,
    riskId: 1,
    riskLimitValue: '2000000',
    symbol: p.symbol,
    side: wireSide(p.side),
    size: fixed(p.size, inst.qtyStep),
    positionValue: flat ? '' : m8(p.positionValue),
    tradeMode: 0,
    positionStatus: 'Normal',
    autoAddMargin: 0,
    adlRankIndicator: flat ? 0 : 2,
    leverage: p.leverage.toFixed(),
    positionBalance: flat ? '0' : m8(p.positionIM),
    markPrice: p.markPrice.toFixed(),
    liqPrice: '',
    bustPrice: '',
    positionIM: flat ? '0' : m8(p.positionIM),
    positionMM: flat ? '0' : m8(p.positionValue.mul('0.005')),
    tpslMode: 'Full',
    takeProfit: p.takeProfit === null ? '' : p.takeProfit.toFixed(),
    stopLoss: p.stopLoss === null ? '' : p.stopLoss.toFixed(),
    trailingStop: p.trailingStop === null ? '0' : p.trailingStop.toFixed(),
    activePrice: p.activePrice === null ? '' : p.activePrice.toFixed(),
    // Real flat rows carry "" here (ccxt's 2024-01 capture, tests/fixtures/bybit-real/position-list.json).
    unrealisedPnl: flat ? '' : m8(p.unrealisedPnl),
    curRealisedPnl: m8(p.curRealisedPnl),
    cumRealisedPnl: m8(p.cumRealisedPnl),
    sessionAvgPrice: '',
    isReduceOnly: false,
    mmrSysUpdatedTime: '',
    leverageSysUpdatedTime: '',
    createdTime: String(p.createdMs),
    updatedTime: String(p.updatedMs),
    seq: p.seq,
  };
  if (flavour === 'rest') w['avgPrice'] = flat ? '0' : m8(p.entryPrice);
  else {
    w['entryPrice'] = flat ? '0' : m8(p.entryPrice);
    w['category'] = 'linear';
  }
  return w;
}

/** How the account-wide totals read: all of them "" on isolated margin, or `totalAvailableBalance` alone. */
export type WalletTotals = 'all' | 'noAvailable' | 'none';

/**
 * The UNIFIED account entry of `wallet-balance` and of the `wallet` topic. `availableToWithdraw` and
 * `availableToBorrow` are "" on unified accounts since 2025 (ccxt's 2025-01 capture). Other collateral
 * coins (`collateral`) follow the USDT row, each with its USD value, which the account-wide totals
 * include (Bybit's totals are in USD over every collateral coin, as in that capture).
 */
export function wireWallet(w: SimWallet, totals: WalletTotals = 'all', collateral: ReadonlyMap<string, CollateralCoin> = new Map()): Wire {
  const imRate = w.equity.gt(0) ? w.positionIM.add(w.orderIM).div(w.equity) : w.positionIM;
  const mm = w.positionIM.mul('0.05');
  const mmRate = w.equity.gt(0) ? mm.div(w.equity) : mm;
  const t = (s: string): string => (totals === 'none' ? '' : s);
  let otherUsd = ZERO;
  const others: Wire[] = [];
  for (const [coin, c] of collateral) {
    const usd = dec(c.qty).mul(c.usdPrice);
    otherUsd = otherUsd.add(usd);
    others.push({ ...coinRow(coin, dec(c.qty), dec(c.qty), ZERO, ZERO, ZERO, ZERO), usdValue: m8(usd) });
  }
  return {
    accountType: 'UNIFIED',
    accountIMRate: t(imRate.toDecimalPlaces(4).toFixed()),
    accountMMRate: t(mmRate.toDecimalPlaces(4).toFixed()),
    accountLTV: t('0'),
    totalEquity: t(m8(w.equity.add(otherUsd))),
    totalWalletBalance: t(m8(w.walletBalance.add(otherUsd))),
    totalMarginBalance: t(m8(w.equity.add(otherUsd))),
    totalAvailableBalance: totals === 'all' ? m8(w.availableBalance.add(otherUsd)) : '',
    totalPerpUPL: t(m8(w.unrealisedPnl)),
    totalInitialMargin: t(m8(w.positionIM.add(w.orderIM))),
    totalMaintenanceMargin: t(m8(mm)),
    coin: [coinRow(w.coin, w.equity, w.walletBalance, w.orderIM, w.positionIM, w.unrealisedPnl, w.realisedPnl.sub(w.feesPaid)), ...others],
  };
}

/** One coin of the wallet answer (its `usdValue` is its equity: USDT counts at 1 USD). */
function coinRow(coin: string, equity: Dec, walletBalance: Dec, orderIM: Dec, positionIM: Dec, upl: Dec, cumRealised: Dec): Wire {
  return {
    coin,
    equity: m8(equity),
    usdValue: m8(equity),
    walletBalance: m8(walletBalance),
    availableToWithdraw: '',
    availableToBorrow: '',
    borrowAmount: '0',
    accruedInterest: '0',
    totalOrderIM: m8(orderIM),
    totalPositionIM: m8(positionIM),
    totalPositionMM: m8(positionIM.mul('0.05')),
    unrealisedPnl: m8(upl),
    cumRealisedPnl: m8(cumRealised),
    bonus: '0',
    locked: '0',
    collateralSwitch: true,
    marginCollateral: true,
    spotHedgingQty: '0',
  };
}

export function wireInstrument(inst: Instrument, launchMs: number, status = 'Trading'): Wire {
  return {
    symbol: inst.symbol,
    contractType: 'LinearPerpetual',
    status,
    baseCoin: inst.baseCoin,
    quoteCoin: inst.quoteCoin,
    launchTime: String(launchMs),
    deliveryTime: '0',
    deliveryFeeRate: '',
    priceScale: String(inst.tickSize.decimalPlaces()),
    leverageFilter: { minLeverage: '1', maxLeverage: inst.maxLeverage.toFixed(2), leverageStep: '0.01' },
    priceFilter: {
      minPrice: inst.tickSize.toFixed(),
      maxPrice: inst.tickSize.mul(19_999_998).toFixed(),
      tickSize: inst.tickSize.toFixed(),
    },
    lotSizeFilter: {
      maxOrderQty: inst.maxQty.toFixed(),
      minOrderQty: inst.minQty.toFixed(),
      qtyStep: inst.qtyStep.toFixed(),
      postOnlyMaxOrderQty: inst.maxQty.toFixed(),
      maxMktOrderQty: inst.maxMarketQty.toFixed(),
      minNotionalValue: inst.minNotional.toFixed(),
    },
    unifiedMarginTrade: true,
    fundingInterval: FUNDING_INTERVAL_MINUTES,
    settleCoin: inst.quoteCoin,
    copyTrading: 'both',
    upperFundingRate: '0.005',
    lowerFundingRate: '-0.005',
    isPreListing: false,
    preListingInfo: null,
  };
}

/** A kline row of REST `market/kline`: `[start, open, high, low, close, volume, turnover]`, strings. */
export function wireKlineRow(c: Candle): string[] {
  return [String(c.ts), String(c.open), String(c.high), String(c.low), String(c.close), String(c.volume), turnover(c)];
}

/** Turnover estimated as volume × typical price (the CSV carries no turnover). */
export function turnover(c: Candle): string {
  return (c.volume * ((c.high + c.low + c.close) / 3)).toFixed(4);
}
