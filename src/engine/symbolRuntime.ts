/**
 * What the engine keeps per traded symbol while it runs: settings, the guarded strategy, trading
 * rules, candle history, round-trip accounting and a few timers. Plain data that the engine's
 * parts read and update; what must survive a restart lives in the EngineStore instead.
 */
import type { DeepReadonly, PositionState } from '../domain/persistedState.js';
import type { Candle, Instrument, Position } from '../domain/types.js';
import { guardStrategy, type GuardedStrategy } from '../strategies/guardStrategy.js';
import type { BookTop as StrategyBookTop, PositionView, Strategy } from '../strategies/strategy.js';
import { FLAT } from '../strategies/strategy.js';
import type { Logger } from '../util/logger.js';
import type { ExchangePort } from './exchangePort.js';
import type { EngineStore, EngineSymbolSettings } from './ports.js';
import { RoundTrip } from './roundTrip.js';

/** Candles of history kept per symbol (and replayed into a strategy replaced by hot reload). */
export const HISTORY_LIMIT = 1000;

export interface SymbolRuntime {
  settings: EngineSymbolSettings;
  /** The strategy as given (hot reload compares with it); `strategy` is it, guarded. */
  source: Strategy;
  strategy: GuardedStrategy;
  instrument: Instrument | null;
  readonly history: Candle[];
  /** Newest candles of `history` kept: HISTORY_LIMIT, or fewer where no hot reload can replay them (a backtest). */
  readonly historyLimit: number;
  readonly roundTrip: RoundTrip;
  lastRequoteMs: number;
  requoteQueued: boolean;
  /** Start of the newest closed candle received (queued or handled); see StrategyRunner.onClosedCandle. */
  newestCandleTs: number;
  /** The owner was told this maker's quote size is outside the exchange's order limits (once). */
  quoteTooSmallSaid: boolean;
  /**
   * The newest traded price streamed (the running candle's close), and the open time of its candle:
   * Bybit checks a stop against the last price ("base_price"), so the engine checks it first.
   * `lastPrice` reads and writes `lastPriceNum` (NaN: none yet), which the engine sets at every
   * kline: a field that may hold null would box every price stored in it.
   */
  lastPrice: number | null;
  lastPriceNum: number;
  lastPriceCandleTs: number;
  latestBook: StrategyBookTop | null;
  exchangePosition: Position | null;
  entryDeadlineMs: number | null;
  /** Why the bot cancelled its pending limit entry (timeout, first target reached), for the line said when it ends; null otherwise. */
  limitCancelWhy: string | null;
  warm: boolean;
  /** Exchange time of the newest fill recorded for this symbol: where fill recovery resumes. */
  lastFillTs: number | null;
}

/** A strategy wrapped so that a throw is logged and yields no intent (STYLE point 11). */
export function guardWithLog(strategy: Strategy, logger: Logger): GuardedStrategy {
  return guardStrategy(strategy, (message, error) => logger.error(message, { error: error instanceof Error ? error.message : String(error) }));
}

export function newSymbolRuntime(s: EngineSymbolSettings, strategies: ReadonlyMap<string, Strategy>, logger: Logger, historyLimit = HISTORY_LIMIT): SymbolRuntime {
  const strategy = strategies.get(s.symbol);
  if (!strategy) throw new RangeError(`no strategy for ${s.symbol}`);
  return new Runtime(s, strategy, guardWithLog(strategy, logger), historyLimit);
}

/**
 * A class, not an object literal, for `lastPrice`: its accessors read and write `lastPriceNum`
 * (NaN: none yet), which the engine sets at every kline. A field that may hold null would box every
 * price stored in it, and accessors in an object literal turn it into a slow dictionary object.
 */
class Runtime implements SymbolRuntime {
  settings: EngineSymbolSettings;
  source: Strategy;
  strategy: GuardedStrategy;
  instrument: Instrument | null = null;
  readonly history: Candle[] = [];
  readonly historyLimit: number;
  readonly roundTrip: RoundTrip;
  lastRequoteMs = 0;
  requoteQueued = false;
  newestCandleTs = 0;
  quoteTooSmallSaid = false;
  lastPriceNum = NaN;
  lastPriceCandleTs = 0;
  latestBook: StrategyBookTop | null = null;
  exchangePosition: Position | null = null;
  entryDeadlineMs: number | null = null;
  limitCancelWhy: string | null = null;
  warm = false;
  lastFillTs: number | null = null;

  constructor(settings: EngineSymbolSettings, source: Strategy, strategy: GuardedStrategy, historyLimit: number) {
    this.settings = settings;
    this.source = source;
    this.strategy = strategy;
    this.historyLimit = historyLimit;
    this.roundTrip = new RoundTrip(settings.symbol);
  }

  get lastPrice(): number | null {
    const v = this.lastPriceNum;
    return v === v ? v : null;
  }

  set lastPrice(v: number | null) {
    this.lastPriceNum = v ?? NaN;
  }
}

/** The symbol's position as the store has it (a pending entry included), or null. */
export function localPosition(store: EngineStore, rt: SymbolRuntime): DeepReadonly<PositionState> | null {
  return store.state.symbols[rt.settings.symbol]?.position ?? null;
}

/** The position as a strategy sees it: plain numbers. */
export function positionView(store: EngineStore, rt: SymbolRuntime): PositionView {
  const p = localPosition(store, rt);
  if (!p) return FLAT;
  // A pending entry counts as open: the strategy must not signal a second one.
  return { side: p.side, sizeBase: Math.max(Number(p.size), Number.MIN_VALUE), entryPrice: Number(p.entryPrice) };
}

export function rememberCandle(rt: SymbolRuntime, c: Candle): void {
  rt.history.push(c);
  // Trimmed in batches (one splice per historyLimit candles, not one per candle); readers look at
  // the newest historyLimit only.
  // Moved down in place, not spliced: splice returns the removed candles in a new array. A loop, not
  // copyWithin: a call into the runtime, 21 ms against 4 ms for 446,000 candles (issue 18).
  const h = rt.history;
  const keep = rt.historyLimit;
  if (h.length >= 2 * keep) {
    const from = h.length - keep;
    for (let i = 0; i < keep; i++) h[i] = h[from + i]!;
    h.length = keep;
  }
}

/** Bybit's status of the symbol's instrument says it takes no new positions (Delivering, Closed, PreLaunch). */
export function notTrading(rt: SymbolRuntime): string | null {
  const status = rt.instrument?.status;
  return status === undefined || status === 'Trading' ? null : `${rt.settings.symbol} is ${status} on Bybit, not Trading`;
}

/**
 * Takes the newest rules the exchange adapter has loaded (a refresh may change steps, limits or
 * status), and says so once when the status changes, not on every signal.
 */
export function refreshInstrument(rt: SymbolRuntime, port: ExchangePort, logger: Logger): void {
  const next = port.instrument?.(rt.settings.symbol);
  if (!next || next === rt.instrument) return;
  const was = rt.instrument?.status;
  rt.instrument = next;
  if (next.status === was || next.status === undefined) return;
  const sym = rt.settings.symbol;
  if (next.status === 'Trading') logger.info(`${sym} is Trading on Bybit again: new entries and quotes allowed`);
  else logger.warn(`${sym} is ${next.status} on Bybit, not Trading: no new entries or quotes for it; exits and stops still work`);
}
