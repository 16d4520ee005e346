/**
 * The engine-facing safety wrapper (STYLE point 11, issue 5): a strategy that throws, or returns a
 * malformed intent (non-finite prices, a stop on the wrong side), cannot crash the loop or reach the
 * executor. The problem is reported through the injected log and the call yields no intent.
 */
import type { Candle, Intent } from '../domain/types.js';
import type { BookTop, PositionView, Strategy } from './strategy.js';

/** Where strategy failures go; the engine passes its logger. */
export type StrategyErrorLog = (message: string, error: unknown) => void;

export class StrategyIntentError extends Error {
  override name = 'StrategyIntentError';
}

export class GuardedStrategy implements Strategy {
  readonly #inner: Strategy;
  readonly #log: StrategyErrorLog;
  #failures = 0;

  constructor(inner: Strategy, log: StrategyErrorLog) {
    this.#inner = inner;
    this.#log = log;
  }

  get name() {
    return this.#inner.name;
  }
  get symbol(): string {
    return this.#inner.symbol;
  }
  get warmupCandles(): number {
    return this.#inner.warmupCandles;
  }
  /** Calls that threw or returned a malformed intent, since construction. */
  get failures(): number {
    return this.#failures;
  }

  onCandle(candle: Candle, position: PositionView, nowMs: number): Intent | null {
    let intent: Intent | null;
    try {
      intent = this.#inner.onCandle(candle, position, nowMs);
    } catch (error) {
      return this.#fail(`${this.#label()}: onCandle threw on the candle at ${candle.ts}; no intent sent`, error);
    }
    return this.#checked(intent, 'onCandle');
  }

  onBook(top: BookTop, position: PositionView, nowMs: number): Intent | null {
    let intent: Intent | null;
    try {
      intent = this.#inner.onBook(top, position, nowMs);
    } catch (error) {
      return this.#fail(`${this.#label()}: onBook threw on the book at ${top.ts}; no intent sent`, error);
    }
    return this.#checked(intent, 'onBook');
  }

  #checked(intent: Intent | null, call: string): Intent | null {
    if (intent === null) return null;
    const problem = intentProblem(intent, this.#inner.symbol);
    if (problem === null) return intent;
    return this.#fail(`${this.#label()}: ${call} returned a malformed intent; no intent sent`, new StrategyIntentError(problem));
  }

  #fail(message: string, error: unknown): null {
    this.#failures++;
    try {
      this.#log(message, error);
    } catch {
      // A failing logger must not turn a contained strategy error into a crash either.
    }
    return null;
  }

  #label(): string {
    return `strategy ${this.#inner.name} ${this.#inner.symbol}`;
  }
}

/** Wraps a strategy so that a throw or a malformed intent is logged and yields null. */
export function guardStrategy(inner: Strategy, log: StrategyErrorLog): GuardedStrategy {
  return new GuardedStrategy(inner, log);
}

/** Why an intent must not reach the executor, or null when it is well-formed. */
export function intentProblem(intent: Intent, symbol: string): string | null {
  if (intent.symbol !== symbol) return `intent for ${intent.symbol} from the ${symbol} strategy`;
  if (!Number.isFinite(intent.decidedAtMs)) return 'decidedAtMs is not a finite number';
  if (!hasReason(intent)) return 'reason is missing';
  switch (intent.kind) {
    case 'exit':
      return null;
    case 'enter': {
      const { refPrice, stopLoss, targets, side } = intent;
      if (!(refPrice > 0) || !Number.isFinite(refPrice)) return `refPrice ${refPrice} is not a positive number`;
      if (!(stopLoss > 0) || !Number.isFinite(stopLoss)) return `stopLoss ${stopLoss} is not a positive number`;
      if (side === 'long' ? !(stopLoss < refPrice) : !(stopLoss > refPrice)) return `stopLoss ${stopLoss} is on the wrong side of ${refPrice} for a ${side}`;
      for (let i = 0; i < targets.length; i++) {
        const t = targets[i]!;
        if (!(t > 0) || !Number.isFinite(t)) return `target ${t} is not a positive number`;
        if (side === 'long' ? !(t > refPrice) : !(t < refPrice)) return `target ${t} is on the wrong side of ${refPrice} for a ${side}`;
      }
      return null;
    }
    case 'quote':
      for (let i = 0; i < intent.quotes.length; i++) {
        const q = intent.quotes[i]!;
        if (!(q.price > 0) || !Number.isFinite(q.price)) return `quote price ${q.price} is not a positive number`;
        if (!(q.qty > 0) || !Number.isFinite(q.qty)) return `quote qty ${q.qty} is not a positive number`;
        if (!Number.isInteger(q.level) || q.level < 0) return `quote level ${q.level} is not a whole number >= 0`;
      }
      return null;
  }
}

/**
 * A reason is a non-empty string, or a getter (its own, or its class's) that builds it on first read
 * (the scalper's: its text costs more than the rest of a signal, and most signals are refused by a
 * lock and never shown).
 * The getter is not called here, which would defeat it.
 */
function hasReason(intent: Intent): boolean {
  // The class found last to give its instances a reason getter: most intents of a run are of one
  // class, and looking the getter up allocates a descriptor per prototype visited.
  const proto = Object.getPrototypeOf(intent) as object | null;
  if (proto !== null && proto === getterClass && !Object.hasOwn(intent, 'reason')) return true;
  // Its own property, or a getter its class gives it (the scalper's entry intent).
  for (let o: object | null = intent; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, 'reason');
    if (d === undefined) continue;
    if (d.get !== undefined) {
      if (o === proto && o !== intent) getterClass = o;
      return true;
    }
    return typeof d.value === 'string' && d.value !== '';
  }
  return false;
}

/** A prototype seen holding a `reason` getter (class prototypes keep their accessors). */
let getterClass: object | null = null;
