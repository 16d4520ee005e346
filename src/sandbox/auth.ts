/**
 * Bybit V5 authentication, server side (reference section 1): HMAC-SHA256, lowercase hex, over
 * `timestamp + apiKey + recvWindow + payload`, where the payload is the RAW query string (GET) or
 * the raw body (POST) exactly as received: never a re-encoded or re-sorted copy, because ccxt and
 * pybit order parameters differ. WebSocket auth signs `"GET/realtime" + expires`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ApiKeyConfig {
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Read-only keys get 10005 on trading endpoints. Default false. */
  readonly readOnly?: boolean;
  /** Whether `user/query-api` lists the Withdraw permission. Default false. */
  readonly withdraw?: boolean;
  /** IP whitelist; empty or absent means any IP (Bybit lists "*"). */
  readonly ips?: readonly string[];
  readonly note?: string;
  /** false: `user/query-api` lists Contract → Order without Position. Default true. */
  readonly positionPermission?: boolean;
}

export type AuthResult =
  | { readonly ok: true; readonly key: ApiKeyConfig }
  | { readonly ok: false; readonly code: number; readonly msg: string };

export function hmacSha256Hex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** The REST signature a client sends in `X-BAPI-SIGN`. */
export function signRest(secret: string, timestamp: string, apiKey: string, recvWindow: string, payload: string): string {
  return hmacSha256Hex(secret, timestamp + apiKey + recvWindow + payload);
}

/** The third argument of the private websocket `auth` op. */
export function signWsAuth(secret: string, expires: string | number): string {
  return hmacSha256Hex(secret, 'GET/realtime' + String(expires));
}

function sameHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export interface RestAuthInput {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** GET: the raw text after "?" ("" if none); POST: the raw body. */
  readonly payload: string;
  readonly keys: ReadonlyMap<string, ApiKeyConfig>;
  /** The sandbox's (skewed) clock. */
  readonly serverTimeMs: number;
  readonly clientIp: string;
}

function header(h: RestAuthInput['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Checks in Bybit's order: key (10003), timestamp window (10002), signature (10004), IP whitelist
 * (10010). The 10002 and 10004 texts are Bybit's (reference section 1 and 4).
 */
export function verifyRest(input: RestAuthInput): AuthResult {
  const apiKey = header(input.headers, 'x-bapi-api-key') ?? '';
  const key = input.keys.get(apiKey);
  if (!key) return { ok: false, code: 10003, msg: 'API key is invalid.' };
  const tsText = header(input.headers, 'x-bapi-timestamp') ?? '';
  const recvText = header(input.headers, 'x-bapi-recv-window') ?? '5000';
  const ts = Number(tsText);
  const recv = Number(recvText);
  const now = input.serverTimeMs;
  if (!/^\d+$/.test(tsText) || !Number.isFinite(recv) || !(now - recv <= ts && ts < now + 1000)) {
    return {
      ok: false,
      code: 10002,
      msg: `invalid request, please check your server timestamp or recv_window param. req_timestamp[${tsText}],server_timestamp[${now}],recv_window[${recvText}]`,
    };
  }
  const sign = (header(input.headers, 'x-bapi-sign') ?? '').toLowerCase();
  const origin = tsText + apiKey + recvText + input.payload;
  if (!sameHex(sign, hmacSha256Hex(key.apiSecret, origin))) {
    return { ok: false, code: 10004, msg: `error sign! origin_string[${origin}]` };
  }
  const ips = key.ips ?? [];
  if (ips.length > 0 && !ips.includes('*') && !ips.includes(normaliseIp(input.clientIp))) {
    return { ok: false, code: 10010, msg: "Unmatched IP, please check your API key's bound IP addresses." };
  }
  return { ok: true, key };
}

/** "::ffff:127.0.0.1" → "127.0.0.1". */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export type WsAuthResult = { readonly ok: true; readonly key: ApiKeyConfig } | { readonly ok: false; readonly msg: string };

/** Private websocket `auth` op: args `[apiKey, expires, signature]`, expires a number or a string. */
export function verifyWsAuth(args: unknown, keys: ReadonlyMap<string, ApiKeyConfig>, serverTimeMs: number): WsAuthResult {
  if (!Array.isArray(args) || args.length < 3) return { ok: false, msg: 'Params Error' };
  const [apiKey, expires, sign] = args as unknown[];
  if (typeof apiKey !== 'string' || (typeof expires !== 'string' && typeof expires !== 'number') || typeof sign !== 'string') {
    return { ok: false, msg: 'Params Error' };
  }
  const key = keys.get(apiKey);
  if (!key) return { ok: false, msg: 'Invalid apikey' };
  const exp = Number(expires);
  // An expired `expires` is what Bybit answers with "Params Error" (clock skew, reference section 2).
  if (!Number.isFinite(exp) || exp <= serverTimeMs) return { ok: false, msg: 'Params Error' };
  if (!sameHex(sign.toLowerCase(), signWsAuth(key.apiSecret, String(expires)))) return { ok: false, msg: 'Invalid sign' };
  return { ok: true, key };
}
