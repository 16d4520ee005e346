/**
 * The status report (`status` command): what the bot believes, gathered from the state directory
 * without taking its lock (a running bot keeps it) and from the journal's statistics. Plain data; the
 * text and JSON renderings live in renderStatusText.ts and statusJson.ts.
 */
import { Dec } from '../domain/money.js';
import { readJournal } from '../state/journal.js';
import type { JournalProblem } from '../state/journal.js';
import { readStateFile } from '../state/stateFile.js';
import { isAlive, readLockOwner } from '../state/stateLock.js';
import { readStorageMark, type StorageMarkState } from '../state/storageMark.js';
import { PROTECTION_NAMES } from '../domain/persistedState.js';
import type { DeepReadonly, JsonValue, PersistedState, PositionState, ProtectionName } from '../domain/persistedState.js';
import { computeStatistics } from '../state/statistics.js';
import type { TradeStatistics } from '../state/statistics.js';

/** Inputs only a wired-up bot has: the running command connects the config and the exchange. */
export interface StatusInputs {
  readonly nowMs?: () => number;
  /**
   * Unrealised PnL of an open position, from the exchange (mark price). Omitted, or returning null:
   * shown as unknown. Never estimated from stale data.
   */
  readonly unrealisedPnl?: (symbol: string, position: DeepReadonly<PositionState>) => Promise<Dec | null>;
  /** `risk.maxDailyLossPct` from the config: the limit is this share of the equity at day start. */
  readonly maxDailyLossPct?: number;
  /** Starting equity for statistics when the journal has no `equity` record. */
  readonly startingEquity?: Dec;
}

export interface StatusPosition {
  readonly side: 'long' | 'short';
  readonly size: Dec;
  readonly entryPrice: Dec;
  readonly openedMs: number;
  readonly stopPrice: Dec | null;
  readonly targetsFilled: number;
  readonly targets: number;
  readonly unrealisedPnl: Dec | null;
}

export interface StatusOrder {
  readonly orderLinkId: string;
  readonly orderId: string | null;
  readonly purpose: string;
  readonly side: string;
  readonly type: string;
  readonly status: string;
  readonly price: Dec | null;
  readonly qty: Dec;
  readonly filledQty: Dec;
}

/** An open order on the account that is not the bot's (the bot never cancels it). */
export interface StatusOtherOrder {
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly side: string;
  readonly type: string;
  readonly price: Dec | null;
  readonly qty: Dec;
  /** A conditional order's kind (a position's own TP/SL/trailing stop), else null. */
  readonly conditional: string | null;
  readonly triggerPrice: Dec | null;
}

export interface StatusSymbol {
  readonly symbol: string;
  readonly position: StatusPosition | null;
  readonly openOrders: readonly StatusOrder[];
  /** Others' orders and the position's own conditional orders, as last seen; never touched. */
  readonly otherOrders: readonly StatusOtherOrder[];
  readonly cooldownUntilMs: number | null;
}

export interface StatusProtection {
  readonly name: ProtectionName;
  readonly reason: string;
  readonly sinceMs: number;
  readonly untilMs: number | null;
}

export interface StatusClock {
  /** From a `trusted` field of the stored record; null when it does not say. */
  readonly trusted: boolean | null;
  /** From an `ok` field (the measurement succeeded); null when absent. */
  readonly measured: boolean | null;
  readonly offsetMs: number | null;
  readonly measuredAtMs: number | null;
  /** Why it is not trusted, from a `reasons` list of strings; empty when absent or trusted. */
  readonly reasons: readonly string[];
}

export interface StatusToday {
  readonly dayStartMs: number;
  readonly realisedPnl: Dec;
  /** The window started more than 24 h ago: the bot has not rolled it over (not running). */
  readonly stale: boolean;
  /** Negative amount (e.g. -30), or null when the limit or the day's equity is unknown. */
  readonly lossLimit: Dec | null;
  /** Share of the limit used by today's loss, percent; null when unknown or not a loss. */
  readonly limitUsedPct: number | null;
}

export interface StatusReport {
  readonly stateDir: string;
  readonly nowMs: number;
  /** False for a directory where no bot has run yet. */
  readonly hasState: boolean;
  readonly running: { readonly pid: number; readonly startedMs: number } | null;
  readonly mode: string | null;
  readonly updatedMs: number | null;
  readonly clock: StatusClock | null;
  readonly symbols: readonly StatusSymbol[];
  readonly protections: readonly StatusProtection[];
  readonly today: StatusToday | null;
  readonly statistics: TradeStatistics;
  readonly journalProblems: readonly JournalProblem[];
  /** Set while the running bot cannot write its state directory (issue 22); absent or null otherwise. */
  readonly storage?: StorageMarkState | null;
}

/** Gathers the report. Throws `StateFileError` for a damaged state file. */
export async function buildStatusReport(stateDir: string, inputs: StatusInputs = {}): Promise<StatusReport> {
  const nowMs = (inputs.nowMs ?? Date.now)();
  const loaded = await readStateFile(stateDir);
  const journal = await readJournal(stateDir);
  const statistics = computeStatistics(journal.records, inputs.startingEquity === undefined ? {} : { startingEquity: inputs.startingEquity });
  const owner = readLockOwner(stateDir);
  const running = owner !== null && isAlive(owner) ? { pid: owner.pid, startedMs: owner.startedMs } : null;
  // Only a running bot's word counts: a stopped one is not writing anything.
  const storage = running === null ? null : readStorageMark(stateDir);
  if (loaded === null) {
    return { stateDir, nowMs, hasState: false, running, storage, mode: null, updatedMs: null, clock: null, symbols: [], protections: [], today: null, statistics, journalProblems: journal.problems };
  }
  const state: DeepReadonly<PersistedState> = loaded.state;
  const symbols: StatusSymbol[] = [];
  for (const [symbol, s] of Object.entries(state.symbols).sort(([a], [b]) => a.localeCompare(b))) {
    const p = s.position;
    const position: StatusPosition | null =
      p === null
        ? null
        : {
            side: p.side,
            size: new Dec(p.size),
            entryPrice: new Dec(p.entryPrice),
            openedMs: p.openedMs,
            stopPrice: p.stop === null ? null : new Dec(p.stop.price),
            targetsFilled: p.targets.filter((t) => t.filled).length,
            targets: p.targets.length,
            unrealisedPnl: inputs.unrealisedPnl === undefined ? null : await inputs.unrealisedPnl(symbol, p),
          };
    const openOrders = Object.values(s.openOrders)
      .map((o) => ({
        orderLinkId: o.orderLinkId,
        orderId: o.orderId,
        purpose: o.purpose,
        side: o.side,
        type: o.type,
        status: o.status,
        price: o.price === null ? null : new Dec(o.price),
        qty: new Dec(o.qty),
        filledQty: new Dec(o.filledQty),
      }))
      .sort((a, b) => a.orderLinkId.localeCompare(b.orderLinkId));
    const cooldownUntilMs = s.cooldownUntilMs !== null && s.cooldownUntilMs > nowMs ? s.cooldownUntilMs : null;
    const otherOrders = (s.otherOrders ?? []).map((o) => ({
      orderId: o.orderId,
      orderLinkId: o.orderLinkId,
      side: o.side,
      type: o.type,
      price: o.price === null ? null : new Dec(o.price),
      qty: new Dec(o.qty),
      conditional: o.conditional,
      triggerPrice: o.triggerPrice === null ? null : new Dec(o.triggerPrice),
    }));
    if (position === null && openOrders.length === 0 && otherOrders.length === 0 && cooldownUntilMs === null) continue;
    symbols.push({ symbol, position, openOrders, otherOrders, cooldownUntilMs });
  }
  const protections: StatusProtection[] = [];
  for (const name of PROTECTION_NAMES) {
    const lock = state.protections[name];
    if (lock !== null && (lock.untilMs === null || lock.untilMs > nowMs)) protections.push({ name, reason: lock.reason, sinceMs: lock.sinceMs, untilMs: lock.untilMs });
  }
  let today: StatusToday | null = null;
  if (state.daily !== null) {
    const realisedPnl = new Dec(state.daily.realisedPnl);
    const equity = state.daily.botEquityAtDayStart === null ? null : new Dec(state.daily.botEquityAtDayStart);
    const lossLimit = inputs.maxDailyLossPct === undefined || equity === null ? null : equity.mul(inputs.maxDailyLossPct).div(100).neg();
    const limitUsedPct = lossLimit === null || lossLimit.isZero() || realisedPnl.gte(0) ? null : realisedPnl.div(lossLimit).mul(100).toNumber();
    today = { dayStartMs: state.daily.dayStartMs, realisedPnl, stale: nowMs - state.daily.dayStartMs >= 86_400_000, lossLimit, limitUsedPct };
  }
  return {
    stateDir,
    nowMs,
    hasState: true,
    running,
    storage,
    mode: state.mode,
    updatedMs: state.updatedMs,
    clock: readClock(state.lastClock),
    symbols,
    protections,
    today,
    statistics,
    journalProblems: journal.problems,
  };
}

/**
 * The clock record is whatever the clock layer stored (src/clock `ClockMeasurement`, possibly with
 * a `trusted` verdict added); only these well-known fields are read, nothing is assumed.
 */
function readClock(record: DeepReadonly<JsonValue>): StatusClock | null {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return null;
  const r = record as { readonly [key: string]: DeepReadonly<JsonValue> };
  const bool = (k: string): boolean | null => (typeof r[k] === 'boolean' ? (r[k] as boolean) : null);
  const num = (k: string): number | null => (typeof r[k] === 'number' ? (r[k] as number) : null);
  const reasons = Array.isArray(r['reasons']) ? r['reasons'].filter((x): x is string => typeof x === 'string') : [];
  return { trusted: bool('trusted'), measured: bool('ok'), offsetMs: num('offsetMs'), measuredAtMs: num('measuredAtMs'), reasons };
}
