/**
 * Funding of a linear perpetual (the sandbox charges it; backtests and paper mode do not).
 *
 * At each funding time, every open position pays or receives:
 *
 *   funding fee = position value × funding rate,   position value = size × mark price
 *
 * a long pays a positive rate and receives a negative one, a short the other way round (Bybit help
 * center, "Funding Fee Calculation": "When the funding rate is positive, long position holders pay
 * the short position holders"; only positions held at the funding time pay or receive). Bybit
 * reports it as an execution with `execType: "Funding"`, `execQty` the position's size, `execPrice`
 * the mark price, `feeRate` the funding rate and `execFee` positive when paid, negative when received
 * (tests/fixtures/bybit-real/execution-list.json: a long LTCUSDT 1.2 at 72.25, rate 0.0001, fee
 * 0.00867; a long at rate −0.000881, fee −0.00708126). Funding times fall every `fundingInterval`
 * minutes of instruments-info (480 by default) from 00:00 UTC.
 */
import { createHash } from 'node:crypto';
import type { Dec as Decimal } from '../domain/money.js';
import { Dec, ZERO } from '../domain/money.js';
import type { SimAccount } from './simAccount.js';
import type { SimMarket } from './simMarket.js';
import type { SimExecution } from './simTypes.js';

/** Bybit instruments-info `fundingInterval` (minutes) of the sandbox's symbols: 480, as BTCUSDT's. */
export const FUNDING_INTERVAL_MINUTES = 480;

/** The funding time at or before `nowMs` for an interval (funding times count from 00:00 UTC). */
export function lastFundingTimeMs(nowMs: number, intervalMinutes = FUNDING_INTERVAL_MINUTES): number {
  const step = intervalMinutes * 60_000;
  return Math.floor(nowMs / step) * step;
}

/** A uuid-shaped id, the same for the same symbol, time and purpose (no draw from the simulator's dice). */
function stableId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Charges the market's position its funding at `fundingTimeMs` and returns the execution, or null
 * when flat. The wallet and the position's realised PnL move by the fee (./simAccount.ts).
 */
export function chargeFunding(m: SimMarket, account: SimAccount, rate: Decimal, markPrice: Decimal, fundingTimeMs: number): SimExecution | null {
  const p = m.pos;
  if (p.side === null || p.size.isZero()) return null;
  const value = p.size.mul(markPrice);
  const signed = value.mul(rate).mul(p.side === 'buy' ? 1 : -1);
  const fee = signed.toDecimalPlaces(8, Dec.ROUND_HALF_UP);
  account.chargeFunding(p, fee);
  return {
    execId: stableId('funding-exec', m.inst.symbol, String(fundingTimeMs)),
    orderId: stableId('funding-order', m.inst.symbol, String(fundingTimeMs)),
    orderLinkId: '',
    symbol: m.inst.symbol,
    side: p.side,
    orderType: 'market',
    stopOrderType: '',
    orderPrice: null,
    orderQty: ZERO,
    execPrice: markPrice,
    execQty: p.size,
    execValue: value,
    execFee: fee,
    feeRate: rate,
    isMaker: false,
    closedSize: ZERO,
    closedPnl: ZERO,
    leavesQty: ZERO,
    execTime: fundingTimeMs,
    seq: p.seq,
    execType: 'Funding',
  };
}
