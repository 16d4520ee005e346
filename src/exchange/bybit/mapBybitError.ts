/**
 * Every ccxt or Bybit failure is mapped here, once (STYLE point 10), into the ExchangeError taxonomy:
 * retryable (network, timeouts, 5xx, rate limits, clock), rejected (Bybit refused this request) or
 * fatal (keys, permissions, configuration). Bybit's retCode and retMsg are kept; the API key and
 * secret never are: Bybit's own 10004 text quotes the signed string, which contains the key, and
 * ccxt's messages carry the URL and body, so everything goes through `redact`.
 *
 * Codes: reference/bybit-v5.md section 4 and the V5 error page.
 */
import {
  AuthenticationError,
  BadRequest,
  BadResponse,
  BaseError,
  ExchangeNotAvailable,
  InsufficientFunds,
  InvalidNonce,
  InvalidOrder,
  NetworkError,
  NotSupported,
  ArgumentsRequired,
  PermissionDenied,
  AccountSuspended,
  RateLimitExceeded,
  DDoSProtection,
  RequestTimeout,
  ExchangeError as CcxtExchangeError,
} from 'ccxt';
import { ExchangeError, type ExchangeErrorKind } from '../../domain/exchangeErrors.js';
import { redact } from '../../util/redact.js';

/** What we saw of the HTTP response, when there was one (captured in BybitRest's handleErrors hook). */
export interface ResponseMeta {
  readonly httpStatus: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface ErrorContext {
  /** e.g. "POST /v5/order/create". */
  readonly operation: string;
  /** Strings that must never appear in the message (API key and secret). */
  readonly secrets: readonly string[];
  readonly response?: ResponseMeta | undefined;
  /** Corrected now, epoch ms: the base for retry times. */
  readonly nowMs: number;
}

export const RETCODE = {
  ok: 0,
  serverTimeout: 10000,
  paramError: 10001,
  timestamp: 10002,
  invalidKey: 10003,
  badSignature: 10004,
  permissionDenied: 10005,
  rateLimit: 10006,
  serverError: 10016,
  orderNotFound: 110001,
  orderFilled: 110008,
  orderCancelled: 110010,
  leverageNotModified: 110043,
  duplicateOrderLinkId: 110072,
  tpslNotModified: 34040,
} as const;

/** The request never took effect, or may be repeated: server trouble, limits, the clock. */
const RETRYABLE_CODES: ReadonlySet<number> = new Set([10000, 10002, 10006, 10016, 10018, 10429, 170146]);
/** Nothing will work until the owner acts: keys, permissions, IP allow-list, bans, compliance. */
const FATAL_CODES: ReadonlySet<number> = new Set([10003, 10004, 10005, 10007, 10008, 10009, 10010, 10024, 10027, 33004]);

/**
 * Wait after an HTTP 403. Bybit V5 "Rate Limit Rules" (https://bybit-exchange.github.io/docs/v5/rate-limit,
 * "HTTP IP limit"): "If you encounter the error "403, access too frequent", it indicates that your IP
 * has exceeded the allowed request frequency. In this case, you should terminate all HTTP sessions
 * and wait for at least 10 minutes. The ban will be lifted automatically." ./restPipeline.ts turns it
 * into one pause of every REST call of the adapter.
 */
export const IP_BAN_WAIT_MS = 600_000;
const MAX_MESSAGE_CHARS = 400;

export function sanitise(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0 && out.includes(s)) out = out.split(s).join('[REDACTED]');
  out = redact(out);
  return out.length > MAX_MESSAGE_CHARS ? `${out.slice(0, MAX_MESSAGE_CHARS)}…` : out;
}

/** Bybit's envelope from a response body or a ccxt message ("bybit {json}"). */
export function parseEnvelope(text: string | undefined): { retCode: number; retMsg: string } | null {
  if (text === undefined) return null;
  const start = text.indexOf('{');
  if (start < 0) return null;
  try {
    const body: unknown = JSON.parse(text.slice(start));
    if (typeof body !== 'object' || body === null) return null;
    const record = body as Record<string, unknown>;
    const code = record['retCode'] ?? record['ret_code'];
    const msg = record['retMsg'] ?? record['ret_msg'];
    const retCode = typeof code === 'number' ? code : typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : null;
    if (retCode === null) return null;
    return { retCode, retMsg: typeof msg === 'string' ? msg : '' };
  } catch {
    return null;
  }
}

function header(headers: Readonly<Record<string, string>> | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** HTTP status from ccxt's handleHttpStatusCode text: "bybit GET <url> 503 Service Unavailable ...". */
function httpStatusFromMessage(message: string): number | null {
  const m = /^\S+ (?:GET|POST|PUT|DELETE) \S+ (\d{3})\b/.exec(message);
  return m ? Number(m[1]) : null;
}

function kindForRetCode(retCode: number): ExchangeErrorKind {
  if (RETRYABLE_CODES.has(retCode)) return 'retryable';
  if (FATAL_CODES.has(retCode)) return 'fatal';
  return 'rejected';
}

function kindForClass(err: BaseError): ExchangeErrorKind {
  // Order matters: subclasses before their parents (ccxt errorHierarchy.js).
  if (err instanceof AuthenticationError || err instanceof PermissionDenied || err instanceof AccountSuspended) return 'fatal';
  if (err instanceof NotSupported || err instanceof ArgumentsRequired) return 'fatal';
  if (err instanceof InsufficientFunds || err instanceof InvalidOrder || err instanceof BadRequest) return 'rejected';
  if (err instanceof RateLimitExceeded || err instanceof DDoSProtection || err instanceof InvalidNonce) return 'retryable';
  if (err instanceof RequestTimeout || err instanceof ExchangeNotAvailable || err instanceof NetworkError) return 'retryable';
  if (err instanceof BadResponse) return 'retryable';
  return 'rejected';
}

/**
 * True when the request may have reached the exchange and taken effect although we got no answer:
 * timeouts, dropped connections, 5xx, Bybit's own server errors. A create that failed like this must
 * be looked up by orderLinkId before it is sent again.
 */
export function isAmbiguous(err: ExchangeError): boolean {
  if (err.kind !== 'retryable') return false;
  if (err.retCode === RETCODE.timestamp || err.retCode === RETCODE.rateLimit) return false;
  // HTTP 403 "access too frequent" comes from Bybit's gateway, which turned the request away.
  if (isIpBan(err)) return false;
  if (err.name === 'ClockNotTrustedError') return false;
  return true;
}

/** Bybit's per-IP ban: HTTP 403 ("access too frequent"), answered by the gateway for every request for at least 10 minutes. */
export function isIpBan(err: ExchangeError): boolean {
  return err.retCode === 403 && err.retMsg === null && err.kind === 'retryable';
}

/** Maps anything thrown by ccxt (or by our hooks) into an ExchangeError. */
export function mapBybitError(err: unknown, ctx: ErrorContext): ExchangeError {
  if (err instanceof ExchangeError) return err;
  const rawMessage = err instanceof Error ? err.message : String(err);
  const envelope = parseEnvelope(ctx.response?.body) ?? (err instanceof BaseError ? parseEnvelope(rawMessage) : null);
  const where = ctx.operation;
  if (envelope !== null && envelope.retCode !== RETCODE.ok) {
    const retMsg = sanitise(envelope.retMsg, ctx.secrets);
    const kind = kindForRetCode(envelope.retCode);
    const shown = retMsg === '' ? '(no retMsg)' : retMsg;
    let retryAtMs: number | null = null;
    if (envelope.retCode === RETCODE.rateLimit) {
      // X-Bapi-Limit-Reset-Timestamp: when the rolling window frees up (reference section 4).
      const reset = Number(header(ctx.response?.headers, 'X-Bapi-Limit-Reset-Timestamp'));
      retryAtMs = Number.isFinite(reset) && reset > 0 ? reset : null;
    }
    return new ExchangeError(`${where}: Bybit retCode ${envelope.retCode}: ${shown}`, kind, envelope.retCode, retMsg, retryAtMs);
  }
  if (err instanceof BaseError) {
    const status = ctx.response?.httpStatus ?? httpStatusFromMessage(rawMessage);
    // ccxt's plain ExchangeError on a 2xx answer with no retCode ("[]", "{}", a proxy's JSON): Bybit did
    // not refuse anything we can see, and the request may have taken effect, so it is not a rejection.
    const notBybits = envelope === null && err.constructor === CcxtExchangeError && (status === null || (status >= 200 && status < 300));
    const kind = notBybits ? 'retryable' : kindForClass(err);
    const retryAtMs = status === 403 ? ctx.nowMs + IP_BAN_WAIT_MS : null;
    // ccxt's text repeats the URL and an HTML body; keep the class, the status and a short tail.
    const detail = sanitise(rawMessage.replace(/^bybit\s+/, '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' '), ctx.secrets);
    // ccxt names each error class in `name`; the constructor's own name is minified in the bundle.
    return new ExchangeError(`${where}: ${err.name}${status !== null ? ` (HTTP ${status})` : ''}: ${detail}`, kind, status, null, retryAtMs);
  }
  // Not ccxt's: a wire-format surprise or a bug. Repeating it unchanged will not help, but one odd
  // answer is no reason to stop the bot either, so it is a rejection, not fatal.
  const name = err instanceof Error ? err.name : 'Error';
  return new ExchangeError(`${where}: ${name}: ${sanitise(rawMessage, ctx.secrets)}`, 'rejected');
}
