/**
 * Bybit's minimum order quantity (`lotSizeFilter.minOrderQty`, base coin) of the common linear USDT
 * perpetuals, shipped so the wizard and `config check` can tell an owner offline that a size cannot
 * trade. The exchange's own answer wins where it can be asked (src/cli/symbolMinimum.ts); Bybit
 * changes these rarely, but it does change them.
 *
 * Every value is copied from a recorded Bybit `GET /v5/market/instruments-info?category=linear` row:
 * - CCXT: the `info` field (Bybit's row, unchanged) of the linear swaps in ccxt's recorded market
 *   list, ccxt/ccxt@1f8d53ec6ee5e019956c2fd2dc204102b924716d `ts/src/test/static/markets/bybit.json`
 *   (rows with `launchTime`, loaded in 2025).
 * - DOCS: Bybit's documented example answer, tests/fixtures/bybit-real/market-instruments-info.json
 *   (bybit-exchange/docs@072c197d, `docs/v5/market/instrument.mdx`).
 * SOLUSDT and BNBUSDT are not listed: no recorded answer for them was found. For any symbol not
 * listed the minimum is unknown offline, and nothing is guessed.
 */

const CCXT = 'Bybit instruments-info as recorded in ccxt/ccxt@1f8d53ec ts/src/test/static/markets/bybit.json';
const DOCS = "Bybit's instruments-info example (tests/fixtures/bybit-real/market-instruments-info.json)";

export interface OrderMinimum {
  /** Smallest order quantity in the base coin, as Bybit writes it. */
  readonly minQty: string;
  /** Where the value comes from. */
  readonly source: string;
}

const TABLE: Readonly<Record<string, OrderMinimum>> = {
  BTCUSDT: { minQty: '0.001', source: `${CCXT}; the same in ${DOCS}` },
  ETHUSDT: { minQty: '0.01', source: CCXT },
  LTCUSDT: { minQty: '0.1', source: CCXT },
  XRPUSDT: { minQty: '1', source: CCXT },
  DOGEUSDT: { minQty: '1', source: CCXT },
  ADAUSDT: { minQty: '1', source: CCXT },
  TRXUSDT: { minQty: '1', source: CCXT },
};

/** The shipped minimum for `symbol` (upper case), or null when this table does not know it. */
export function knownOrderMinimum(symbol: string): OrderMinimum | null {
  return TABLE[symbol] ?? null;
}

export const KNOWN_MINIMUM_SYMBOLS: readonly string[] = Object.keys(TABLE);
