/**
 * Trading rules of the simulated linear USDT perpetuals. Values follow Bybit's
 * `/v5/market/instruments-info?category=linear` as listed in 2025 (tick size, qty step, min order
 * qty and `minNotionalValue` 5 USDT; max order sizes rounded). Symbols not listed here get rules
 * derived from their price, so that any `bybit-XXXUSDT-1m.csv` file can be replayed.
 */
import type { Instrument } from '../domain/types.js';
import { dec } from '../domain/money.js';

export class UnknownInstrumentError extends Error {
  override name = 'UnknownInstrumentError';
}

interface RuleRow {
  readonly tick: string;
  readonly step: string;
  readonly maxQty: string;
  readonly maxMktQty: string;
  readonly maxLeverage: string;
}

const KNOWN: Readonly<Record<string, RuleRow>> = {
  BTCUSDT: { tick: '0.1', step: '0.001', maxQty: '1190', maxMktQty: '119', maxLeverage: '100' },
  ETHUSDT: { tick: '0.01', step: '0.01', maxQty: '7240', maxMktQty: '724', maxLeverage: '100' },
  XRPUSDT: { tick: '0.0001', step: '1', maxQty: '3140000', maxMktQty: '314000', maxLeverage: '75' },
};

function build(symbol: string, r: RuleRow): Instrument {
  const quoteCoin = symbol.endsWith('USDC') ? 'USDC' : 'USDT';
  return {
    symbol,
    baseCoin: symbol.slice(0, symbol.length - quoteCoin.length),
    quoteCoin,
    tickSize: dec(r.tick),
    qtyStep: dec(r.step),
    minQty: dec(r.step),
    maxQty: dec(r.maxQty),
    maxMarketQty: dec(r.maxMktQty),
    minNotional: dec('5'),
    maxLeverage: dec(r.maxLeverage),
  };
}

/** The rules for `symbol`; for unlisted symbols, derived from a reference price (about 5 significant digits of tick). */
export function simInstrument(symbol: string, refPrice?: number): Instrument {
  const row = KNOWN[symbol];
  if (row) return build(symbol, row);
  if (refPrice === undefined || !(refPrice > 0)) {
    throw new UnknownInstrumentError(`no trading rules for ${symbol}: give a reference price to derive them`);
  }
  const mag = Math.floor(Math.log10(refPrice));
  // About five significant digits of price, and one qty step worth roughly 1-100 USDT, as Bybit lists them.
  const tickExp = Math.min(0, mag - 4);
  const stepExp = Math.min(0, 1 - mag);
  const pow = (e: number): string => (e >= 0 ? '1' + '0'.repeat(e) : '0.' + '0'.repeat(-e - 1) + '1');
  return build(symbol, {
    tick: pow(tickExp),
    step: pow(stepExp),
    maxQty: pow(6 + stepExp),
    maxMktQty: pow(5 + stepExp),
    maxLeverage: '50',
  });
}

export const SIM_SYMBOLS = Object.keys(KNOWN);
