/**
 * The account settings the sandbox emulates (issue 20 items 3, 4 and 7), so the bot can be tested
 * against each way a real Bybit account answers (tests/fixtures/bybit-real/README.md):
 *
 * - `positionMode: 'hedge'`: `position/list` answers two rows per symbol (positionIdx 2 then 1, the
 *   flat side a real row with `side: ""`, as pybit#367 shows it), and an order or trading stop without
 *   positionIdx 1/2 gets 10001 `position idx not match position mode` (4 real captures);
 * - `marginMode: 'ISOLATED_MARGIN'`: `account/info` says so and the wallet's account-wide totals are
 *   "" (Bybit's docs: they do not apply to isolated margin); the USDT coin keeps its figures;
 * - `emptyAvailableTotal`: a cross-margin account answering `totalAvailableBalance: ""` (a mainnet
 *   unified account did);
 * - `demo`: demo trading, which offers no `/v5/user/*` endpoint (docs v5/demo). What it answers there
 *   is not documented; the sandbox answers HTTP 404 as for any path it does not serve;
 * - `instrumentStatus`: a symbol's `status` in instruments-info (PreLaunch, Trading, Delivering, Closed);
 * - `collateral`: other coins held as margin on the unified account (the ccxt 2025-01 capture holds
 *   seven): each is a row of the wallet answer and push, and its USD value counts in the account-wide
 *   totals (`totalEquity`, `totalWalletBalance`, `totalMarginBalance`, `totalAvailableBalance`), so
 *   those move with its price while the USDT coin stays as it is.
 *
 * Mutable: a test changes it while the bot runs (a symbol leaving Trading).
 */
export type PositionMode = 'oneWay' | 'hedge';
export type MarginMode = 'REGULAR_MARGIN' | 'ISOLATED_MARGIN' | 'PORTFOLIO_MARGIN';

export interface AccountSettings {
  positionMode: PositionMode;
  marginMode: MarginMode;
  emptyAvailableTotal: boolean;
  demo: boolean;
  readonly instrumentStatus: Map<string, string>;
  /** Coin → amount held and its USD price, both decimal strings. */
  readonly collateral: Map<string, CollateralCoin>;
}

export interface CollateralCoin {
  readonly qty: string;
  readonly usdPrice: string;
}

export interface AccountSettingsInput {
  readonly positionMode?: PositionMode;
  readonly marginMode?: MarginMode;
  readonly emptyAvailableTotal?: boolean;
  readonly demo?: boolean;
  readonly instrumentStatus?: Readonly<Record<string, string>>;
  readonly collateral?: Readonly<Record<string, CollateralCoin>>;
}

export function accountSettings(input: AccountSettingsInput = {}): AccountSettings {
  return {
    positionMode: input.positionMode ?? 'oneWay',
    marginMode: input.marginMode ?? 'REGULAR_MARGIN',
    emptyAvailableTotal: input.emptyAvailableTotal ?? false,
    demo: input.demo ?? false,
    instrumentStatus: new Map(Object.entries(input.instrumentStatus ?? {})),
    collateral: new Map(Object.entries(input.collateral ?? {})),
  };
}

/** The positionIdx values an order or trading stop must carry in this mode. */
export function positionIdxAccepted(mode: PositionMode, idx: string | undefined): boolean {
  return mode === 'hedge' ? idx === '1' || idx === '2' : idx === undefined || idx === '0';
}
