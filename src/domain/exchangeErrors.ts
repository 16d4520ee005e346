/**
 * The error taxonomy every exchange implementation maps into, once (STYLE point 10): retryable
 * (network, rate limit, server error, clock: try again after a pause), rejected (the exchange
 * refused this request: do not repeat it unchanged) and fatal (keys, permissions, configuration:
 * stop and tell the owner). Bybit's retCode and retMsg are kept; credentials never are.
 */
export const EXCHANGE_ERROR_KINDS = ['retryable', 'rejected', 'fatal'] as const;
export type ExchangeErrorKind = (typeof EXCHANGE_ERROR_KINDS)[number];

export class ExchangeError extends Error {
  override name = 'ExchangeError';
  constructor(
    message: string,
    readonly kind: ExchangeErrorKind,
    /** Bybit's retCode, or the HTTP status for transport errors, or null. */
    readonly retCode: number | null = null,
    readonly retMsg: string | null = null,
    /** Earliest time (epoch ms) a retry makes sense, e.g. from X-Bapi-Limit-Reset-Timestamp. */
    readonly retryAtMs: number | null = null,
  ) {
    super(message);
  }
}

/**
 * Refused by the bot's own adapter before any request left (the symbol is not Trading, the quantity
 * rounds to zero, an invalid orderLinkId): nothing reached the exchange, so it is no exchange
 * failure (the circuit breaker does not count it) and carries no retCode of Bybit's.
 */
export class LocalRefusal extends ExchangeError {
  override name = 'LocalRefusal';
  constructor(message: string) {
    super(message, 'rejected');
  }
}

/** The clock is not trusted: nothing may be signed until it is measured again. */
export class ClockNotTrustedError extends ExchangeError {
  override name = 'ClockNotTrustedError';
  constructor(reason: string) {
    super(`not signing: the clock is not trusted (${reason})`, 'retryable');
  }
}

/**
 * Refusals whose meaning the engine acts on. Bybit gives them one generic retCode (10001, params
 * error) and tells them apart only by retMsg; the simulator answers with the same texts. Kept here
 * so the wording is known in one place.
 */
/**
 * A reduce-only order, or a TP/SL, for a position that is already zero on the exchange: V5's 110017
 * "Reduce-only rule not satisfied", the trading-stop's 10001 "can not set tp/sl/ts for zero
 * position", and the pre-V5 130125 "current position is zero, cannot fix reduce-only order qty"
 * (still quoted by older gateways and logs).
 */
export function refusedForZeroPosition(err: ExchangeError): boolean {
  const text = err.retMsg ?? err.message;
  if (err.retCode === 110017 || err.retCode === 130125) return true;
  return err.retCode === 10001 && /zero position|current position is zero/i.test(text);
}

/**
 * A stop loss on the wrong side of the market (Bybit compares it with the last price, "base_price").
 * Bybit words the two sides differently: "StopLoss:X set for Buy position should lower than
 * base_price:Y??LastPrice", but "StopLoss:X set for Sell position should greater base_price:Y??LastPrice"
 * (no "than"; tests/fixtures/bybit-real/errors.json, ccxt#19089, where an order's attached stop reads
 * "sl:257970000 set for Sell position ..."). The prefix names the stop loss, so the take-profit
 * refusal ("TakeProfit:X ... should be higher than base_price") and the liquidation-price range
 * ("should be between liq_price ... and base_price") never match.
 */
export function refusedStopBeyondPrice(err: ExchangeError): boolean {
  return err.retCode === 10001 && STOP_BEYOND_PRICE.test(err.retMsg ?? err.message);
}
const STOP_BEYOND_PRICE = /\b(?:stop_?loss|sl)\s*:\s*[\d.]+ set for (?:buy|sell) position should (?:be )?(?:lower|greater|higher)(?: than)? base_price/i;

/** Bybit's retCode and message as Bybit sent them, with no gap where the code is missing ("10001 qty invalid"). */
export function bybitSaid(err: { readonly retCode?: number | null; readonly retMsg?: string | null; readonly message: string }): string {
  return [err.retCode, err.retMsg ?? err.message].filter((x) => x !== undefined && x !== null && x !== '').join(' ');
}
