/**
 * What the engine needs from the layers above it, as interfaces (the engine sits below state,
 * alerts and the exchange adapters and must not import them): somewhere to keep its state, a
 * journal, a way to tell the owner, and its settings. `src/cli` wires the concrete parts.
 */
import type { FillRecord, JournalRecord } from '../domain/journalRecord.js';
import type { DeepReadonly, PersistedState } from '../domain/persistedState.js';
import type { StrategyName } from '../domain/types.js';
import type { Sizing } from './executor.js';

/** The state store (src/state StateStore satisfies it). */
export interface EngineStore {
  readonly state: DeepReadonly<PersistedState>;
  /** Applies a change in memory; it is written soon after (coalesced). Throws if the result is invalid. */
  update(mutate: (draft: PersistedState) => void): void;
  /** Resolves once every change so far is durable. Called before an order goes out. */
  flush(): Promise<void>;
}

/** The append-only journal (src/state Journal, wrapped by the wiring). */
export interface EngineJournal {
  /** A journal that has written the record when it returns (in memory) returns nothing: no promise to wait for. */
  append(record: JournalRecord): Promise<void> | void;
  /**
   * The fills already journaled (at least this month's and last month's), oldest first. On start
   * the engine uses them to know which exchange fills it has recorded and to rebuild the open
   * trade's accounting after a crash.
   */
  readFills?(): Promise<readonly FillRecord[]>;
}

export type AlertLevel = 'info' | 'trade' | 'warning' | 'critical';

/** One message for the owner (src/alerts AlertRouter accepts it). */
export interface EngineAlert {
  readonly level: AlertLevel;
  readonly kind: string;
  readonly title: string;
  readonly body: string;
  readonly symbol?: string;
  readonly dedupeKey?: string;
}

export interface EngineAlerts {
  send(alert: EngineAlert): unknown;
}

export interface ExitSettings {
  /** Share of the position closed at each target, nearest first (sum 1). */
  readonly ladderFractions: readonly number[];
  readonly breakeven: { readonly enabled: boolean; readonly afterTargets: number; readonly feeBufferPct: number };
  readonly trailing: { readonly enabled: boolean; readonly activationR: number; readonly distancePct: number };
  /** 0 = never. */
  readonly timeExitCandles: number;
  /** An entry still not (fully) filled after this long has its rest cancelled. */
  readonly entryTimeoutSec: number;
}

export interface EntrySettings {
  readonly type: 'market' | 'limit';
  readonly offsetPct: number;
  readonly timeoutCandles: number;
}

export interface EngineSymbolSettings {
  readonly symbol: string;
  readonly strategy: StrategyName;
  readonly enabled: boolean;
  readonly intervalMinutes: number;
  readonly leverage: number;
  /** Scalper entries only. */
  readonly sizing?: Sizing;
  readonly exits?: ExitSettings;
  /** Scalper: a market entry (absent = market), or a post-only limit at the signal's close, `offsetPct` better, cancelled after `timeoutCandles` or at the first target. */
  readonly entry?: EntrySettings;
  /** Scalper: a market entry is skipped while the live spread exceeds this, in percent of the mid; null = no guard. */
  readonly maxSpreadPct?: number | null;
  /**
   * Market maker: the exchange-side stop kept on its inventory, in percent from the entry price, so
   * a dead phone never leaves inventory unprotected (the strategy's own inventory stop acts first).
   */
  readonly protectiveStopPct?: number;
  /** Market maker: quotes within `pricePct` of the desired price and younger than `maxAgeMs` are left alone. */
  readonly quoteTolerance?: { readonly pricePct: number; readonly maxAgeMs: number };
  /** The breakeven buffer follows the taker fee in force (2 ×): the engine updates it when it reads the account's fees. */
  readonly breakevenBufferFromFees?: boolean;
}

export interface RiskSettings {
  readonly maxDailyLossPct: number;
  readonly maxDrawdownPct: number;
  readonly lossStreak: { readonly losses: number; readonly cooldownMinutes: number };
  readonly maxOpenPositions: number;
  readonly dayTimeZone: string;
  /** The kill switch on the bot's own equity, percent below its peak; null or absent = off. */
  readonly killSwitchDrawdownPct?: number | null;
  /** Consecutive failed order requests that open the breaker, and its first wait; absent = 5 and 60 s. */
  readonly circuitBreaker?: { readonly failures: number; readonly cooldownSeconds: number };
}

export interface EngineSettings {
  readonly symbols: readonly EngineSymbolSettings[];
  readonly risk: RiskSettings;
  /** Taker fee rate in percent, for sizing (0.055 = Bybit's linear default). */
  readonly takerFeePct: number;
  /** Maker fee rate in percent (take-profit notifications); absent = 0.02. */
  readonly makerFeePct?: number;
  /** Read the account's fee rates from the exchange at start and daily (live modes), replacing the two above. */
  readonly feesFromExchange?: boolean;
  /** Prefix of every orderLinkId this bot creates (1-6 letters or digits). */
  readonly orderIdPrefix: string;
  /** Fallback stop, percent from entry, for a position found without any stop. */
  readonly fallbackStopPct: number;
  /** The market maker requotes at most this often per symbol. */
  readonly requoteMinIntervalMs: number;
}
