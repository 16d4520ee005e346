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
/** A reduce-only order, or a TP/SL, for a position that is already zero on the exchange. */
export function refusedForZeroPosition(err: ExchangeError): boolean {
  return err.retCode === 110017 || (err.retCode === 10001 && /zero position/i.test(err.retMsg ?? err.message));
}

/** A stop on the wrong side of the market ("StopLoss:X set for Buy position should lower than base_price:Y"). */
export function refusedStopBeyondPrice(err: ExchangeError): boolean {
  return err.retCode === 10001 && /should (lower|greater|higher) than base_price/i.test(err.retMsg ?? err.message);
}
