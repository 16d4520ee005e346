/**
 * The simulated USDT unified account (issue 3): wallet balance, fees, one-way positions and their
 * margin. Money moves only through `settle`, once per execution: the wallet balance changes by the
 * realised PnL minus the fee, and by funding when the sandbox charges it (`chargeFunding`; no
 * liquidation), which tests check.
 *
 * Margin follows Bybit's unified account in its simplest form: initial margin = value / leverage,
 * for positions at their entry price and for open orders at their price (pending market orders at
 * the last price); available balance = equity − both, floored at 0.
 */
import type { Dec as Decimal } from '../domain/money.js';
import type { Side } from '../domain/types.js';
import { Dec, ZERO, toPrice } from '../domain/money.js';
import type { PositionState, SimMarket } from './simMarket.js';
import { clearPosition } from './simMarket.js';
import { EquityMark } from './equityMark.js';
import type { SimPosition, SimWallet } from './simTypes.js';

export interface SimAccountConfig {
  readonly makerFeeRate: Decimal;
  readonly takerFeeRate: Decimal;
  readonly initialBalance: Decimal;
}

/** What one execution did to the account: the figures its execution report carries. */
export interface Settlement {
  readonly value: Decimal;
  readonly fee: Decimal;
  readonly feeRate: Decimal;
  /** Quantity of the position closed. */
  readonly closed: Decimal;
  /** Realised PnL of the closed part, before the fee. */
  readonly pnl: Decimal;
}

export class SimAccount {
  readonly #maker: Decimal;
  readonly #taker: Decimal;
  #wallet: Decimal;
  #realised: Decimal = ZERO;
  #fees: Decimal = ZERO;
  /** Position sequence number, shared by all symbols (Bybit `seq`). */
  #seq = 0;
  readonly #mark = new EquityMark();

  constructor(config: SimAccountConfig) {
    this.#maker = config.makerFeeRate;
    this.#taker = config.takerFeeRate;
    this.#wallet = config.initialBalance;
  }

  /**
   * Books an execution of `qty` on `side` at `price` against position `p`: opens, adds to, reduces,
   * closes or flips it, and charges the fee. Returns the money figures of the execution.
   */
  settle(p: PositionState, side: Side, qty: Decimal, price: Decimal, isMaker: boolean, now: number): Settlement {
    const feeRate = isMaker ? this.#maker : this.#taker;
    const value = price.mul(qty);
    // Settled per execution in whole 1e-8 USDT, so that sums of fees and PnL are exact.
    const fee = value.mul(feeRate).toDecimalPlaces(8, Dec.ROUND_HALF_UP);
    let closed = ZERO;
    let pnl = ZERO;
    if (p.side === null || p.side === side) {
      const newSize = p.size.add(qty);
      p.entryPrice = p.side === null ? price : p.entryPrice.mul(p.size).add(value).div(newSize);
      if (p.side === null) {
        p.createdMs = now;
        p.curRealisedPnl = ZERO;
      }
      p.side = side;
      p.size = newSize;
    } else {
      closed = Dec.min(qty, p.size);
      pnl = price.sub(p.entryPrice).mul(closed).mul(p.side === 'buy' ? 1 : -1).toDecimalPlaces(8, Dec.ROUND_HALF_EVEN);
      p.size = p.size.sub(closed);
      const rest = qty.sub(closed);
      if (p.size.isZero()) {
        clearPosition(p);
        if (rest.gt(0)) {
          p.side = side;
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
    return { value, fee, feeRate, closed, pnl };
  }

  /**
   * Funding (./simFunding.ts): the wallet pays `fee` (receives it when negative), which is realised
   * PnL of the position, as Bybit books it; the position itself does not change.
   */
  chargeFunding(p: PositionState, fee: Decimal): void {
    p.curRealisedPnl = p.curRealisedPnl.sub(fee);
    p.cumRealisedPnl = p.cumRealisedPnl.sub(fee);
    this.#wallet = this.#wallet.sub(fee);
    this.#realised = this.#realised.sub(fee);
  }

  /**
   * Whether the available balance covers what an order of `qty` on `side` would open, at `refPrice`:
   * its initial margin plus the taker fee on it (the part that only reduces the position is free).
   */
  canOpen(m: SimMarket, side: Side, qty: Decimal, refPrice: Decimal, markets: Iterable<SimMarket>): boolean {
    const opening = m.pos.side === null || m.pos.side === side ? qty : Dec.max(ZERO, qty.sub(m.pos.size));
    if (!opening.gt(0)) return true;
    const need = opening.mul(refPrice).div(m.leverage).add(opening.mul(refPrice).mul(this.#taker));
    return !need.gt(this.wallet(markets).availableBalance);
  }

  /** Unrealised PnL of the market's position at its last price. */
  upl(m: SimMarket): Decimal {
    const p = m.pos;
    if (p.side === null || Number.isNaN(m.last)) return ZERO;
    const long = toPrice(m.last).sub(p.entryPrice).mul(p.size);
    return p.side === 'buy' ? long : long.neg(); // exact, as ×1 and ×(−1) were
  }

  positionView(m: SimMarket): SimPosition {
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
      unrealisedPnl: this.upl(m),
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

  /** `wallet(markets).equity`, the same Decimal, without the margin figures (cheaper). */
  equity(markets: Iterable<SimMarket>): Decimal {
    // wallet() sums from ZERO; ZERO + x is x (a sum is rounded to the precision, x already is).
    let upl: Decimal | null = null;
    for (const m of markets) {
      if (m.pos.side === null) continue;
      const u = this.upl(m);
      upl = upl === null ? u : upl.add(u);
    }
    return upl === null ? this.#wallet : this.#wallet.add(upl);
  }

  /** `reportNumber(equity(markets))` through exact integers (./equityMark.ts), or null where they do not fit. */
  equityMark(markets: Iterable<SimMarket>): number | null {
    return this.#mark.value(this.#wallet, markets);
  }

  wallet(markets: Iterable<SimMarket>): SimWallet {
    let upl = ZERO;
    let posIM = ZERO;
    let ordIM = ZERO;
    for (const m of markets) {
      if (m.pos.side !== null) {
        upl = upl.add(this.upl(m));
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
}
