/**
 * The API key checks of `doctor` (issue 10 item 4): one signed `GET /v5/user/query-api` reads the
 * key's permissions. Signing per reference/bybit-v5.md section 1: lowercase hex HMAC-SHA256 of
 * `timestamp + apiKey + recvWindow + queryString`. Deliberately small and independent of the ccxt
 * adapter, so doctor still explains a key problem when the adapter is what fails.
 *
 * A key that can withdraw is refused: the bot never needs that permission, and a leaked key with it
 * empties the account. A key without an IP whitelist only gets a warning: a phone on mobile data
 * changes IP address, so binding is not always possible.
 */
import { createHmac } from 'node:crypto';
import * as v from 'valibot';
import { redact } from '../util/redact.js';
import { check, type DoctorCheck } from './doctorChecks.js';
import { httpFetch, type HttpResponse } from '../util/httpFetch.js';

export class BybitRequestError extends Error {
  override name = 'BybitRequestError';
}

export function signBybitRequest(apiSecret: string, timestamp: string, apiKey: string, recvWindow: string, payload: string): string {
  return createHmac('sha256', apiSecret).update(timestamp + apiKey + recvWindow + payload).digest('hex');
}

export interface BybitEnvelope {
  readonly retCode: number;
  readonly retMsg: string;
  readonly result: unknown;
}

const Envelope = v.object({ retCode: v.number(), retMsg: v.string(), result: v.unknown() });

export interface SignedGetOptions {
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Epoch ms to sign with: the clock-corrected time when the clock is trusted. */
  readonly timestampMs: number;
  readonly recvWindowMs: number;
  readonly timeoutMs: number;
}

/** A signed GET; resolves with Bybit's envelope whatever its retCode, throws BybitRequestError on transport trouble. */
export async function bybitSignedGet(baseUrl: string, path: string, query: string, opts: SignedGetOptions): Promise<BybitEnvelope> {
  const url = `${baseUrl.replace(/\/+$/, '')}${path}${query ? `?${query}` : ''}`;
  const timestamp = String(Math.round(opts.timestampMs));
  const recvWindow = String(opts.recvWindowMs);
  const where = `GET ${baseUrl.replace(/\/+$/, '')}${path}`;
  let response: HttpResponse;
  try {
    response = await httpFetch(url, {
      timeout: opts.timeoutMs,
      headers: {
        accept: 'application/json',
        'X-BAPI-API-KEY': opts.apiKey,
        'X-BAPI-TIMESTAMP': timestamp,
        'X-BAPI-RECV-WINDOW': recvWindow,
        'X-BAPI-SIGN': signBybitRequest(opts.apiSecret, timestamp, opts.apiKey, recvWindow, query),
      },
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw new BybitRequestError(timedOut ? `${where}: no answer within ${opts.timeoutMs} ms` : `${where}: ${err instanceof Error ? err.message : String(err)}${cause}`);
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) throw new BybitRequestError(`${where}: HTTP ${response.status}${response.status === 403 ? ' (rate limit or a blocked region)' : ''}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BybitRequestError(`${where}: the answer is not JSON`);
  }
  const parsed = v.safeParse(Envelope, body);
  if (!parsed.success) throw new BybitRequestError(`${where}: the answer is not a Bybit envelope`);
  return parsed.output;
}

/** The part of `/v5/user/query-api`'s result doctor reads. */
const ApiKeyInfoSchema = v.object({
  readOnly: v.number(),
  permissions: v.record(v.string(), v.array(v.string())),
  ips: v.optional(v.array(v.string()), []),
  note: v.optional(v.string()),
  expiredAt: v.optional(v.string()),
  deadlineDay: v.optional(v.number()),
});
export type ApiKeyInfo = v.InferOutput<typeof ApiKeyInfoSchema>;

/** Why Bybit refused the key, and what to do, by retCode (reference section 4). */
function refusalFix(retCode: number, mode: string): string {
  switch (retCode) {
    case 10003:
      return `Bybit does not know this key on ${mode}: testnet keys work only on testnet.bybit.com, demo keys only in demo trading, mainnet keys only on bybit.com. Create a key for this mode and store it with: node dist/bot.js init`;
    case 10004:
      return 'The secret does not match the key: copy both again from Bybit and store them with node dist/bot.js init (or BYBIT_API_KEY / BYBIT_API_SECRET).';
    case 10002:
      return 'The request time was outside Bybit\'s window: see the clock check, or run node dist/bot.js clock.';
    case 10010:
      return "The key is bound to other IP addresses than this phone's: add its current address in Bybit → API management, or use a key bound to a fixed-IP VPN.";
    case 10005:
      return 'The key lacks the permission to read its own settings: create a new key with Contract → Orders and Positions (read-write).';
    default:
      return 'Check the key in Bybit → API management; if it looks right, try again later.';
  }
}

export interface KeyCheckInput {
  readonly baseUrl: string;
  readonly mode: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly timestampMs: number;
  readonly recvWindowMs: number;
  readonly timeoutMs: number;
}

export const KEY_CHECK_IDS = ['api-key', 'key-withdraw', 'key-trade', 'key-ip'] as const;

/**
 * Demo trading offers only part of the V5 API, and no `/v5/user/*` endpoint (docs v5/demo, "Available
 * API List"); what it answers there is not documented. So on demo any refusal or HTTP error from
 * query-api means "not offered", and the key is tried on a call demo does offer (`/v5/account/info`):
 * accepted there, it is a working key whose permissions cannot be read; refused there, the key fails
 * with Bybit's own retCode and text.
 */
async function demoKeyChecks(input: KeyCheckInput, skipped: (why: string) => DoctorCheck[], queryApiAnswer: string): Promise<DoctorCheck[]> {
  const why = `demo trading does not offer /v5/user/query-api (${queryApiAnswer}), so the key's permissions cannot be read on demo`;
  const fix = 'Check the key in Bybit (demo trading → API): Contract → Orders and Positions, read-write, no Withdraw.';
  let envelope: BybitEnvelope;
  try {
    envelope = await bybitSignedGet(input.baseUrl, '/v5/account/info', '', input);
  } catch (err) {
    return [check('api-key', 'fail', `${why}; asking /v5/account/info instead failed: ${redact(err instanceof Error ? err.message : String(err))}`, 'See the exchange check; try again when the connection works.'), ...skipped('the key could not be read')];
  }
  if (envelope.retCode !== 0) {
    const retMsg = redact(envelope.retMsg.replace(/origin_string\[[^\]]*\]/, 'origin_string[…]'));
    return [check('api-key', 'fail', `Bybit refused the key: retCode ${envelope.retCode} (${retMsg})`, refusalFix(envelope.retCode, input.mode)), ...skipped('the key was refused')];
  }
  return [check('api-key', 'ok', `Bybit accepted the key on demo (/v5/account/info); ${why}`), ...['key-withdraw', 'key-trade', 'key-ip'].map((id) => check(id, 'warn', why, fix))];
}

/**
 * Bybit could not answer about the key just now (no connection, a timeout, a 5xx page, or a retCode
 * that means "later": server error, rate limit). Trying again can help; `run` waits and retries.
 */
export class KeyCheckUnavailable extends Error {
  override name = 'KeyCheckUnavailable';
  constructor(
    message: string,
    /** Bybit's retCode when it answered one. */
    readonly retCode: number | null = null,
  ) {
    super(message);
  }
}

/**
 * retCodes of /v5/user/query-api that say "try later", not "this key is wrong" (reference section 4):
 * server errors, rate limits, and 10002 (our timestamp outside recv_window: measure the clock again).
 */
const LATER_CODES: ReadonlySet<number> = new Set([10000, 10002, 10006, 10016, 10018, 10429]);

const skipped = (why: string): DoctorCheck[] => [check('key-withdraw', 'skip', why), check('key-trade', 'skip', why), check('key-ip', 'skip', why)];

/** `api-key` plus the permission checks; the latter are skipped when the key could not be read. */
export async function apiKeyChecks(input: KeyCheckInput): Promise<DoctorCheck[]> {
  try {
    return await readApiKeyChecks(input);
  } catch (err) {
    if (!(err instanceof KeyCheckUnavailable)) throw err;
    // 10002 is the clock's doing: doctor says so (run re-measures and tries again).
    const fix = err.retCode === 10002 ? refusalFix(10002, input.mode) : 'See the exchange check; try again when the connection works.';
    return [check('api-key', 'fail', `could not ask Bybit about the key: ${err.message}`, fix), ...skipped('the key could not be read')];
  }
}

/** As apiKeyChecks, but a failure that may pass is thrown as KeyCheckUnavailable (for a caller that retries). */
export async function readApiKeyChecks(input: KeyCheckInput): Promise<DoctorCheck[]> {
  let envelope: BybitEnvelope;
  try {
    envelope = await bybitSignedGet(input.baseUrl, '/v5/user/query-api', '', input);
  } catch (err) {
    const why = redact(err instanceof Error ? err.message : String(err));
    if (input.mode === 'demo' && err instanceof BybitRequestError && / HTTP \d{3}|not JSON|not a Bybit envelope/.test(err.message)) return demoKeyChecks(input, skipped, why);
    throw new KeyCheckUnavailable(why);
  }
  // Bybit's text as Bybit sent it, only the key blotted out.
  if (LATER_CODES.has(envelope.retCode)) throw new KeyCheckUnavailable(`GET /v5/user/query-api: Bybit retCode ${envelope.retCode}: ${redact(envelope.retMsg)}`, envelope.retCode);
  if (envelope.retCode !== 0) {
    // 10004's retMsg echoes the signed string (timestamp + key + window): keep the key out of the report.
    const retMsg = redact(envelope.retMsg.replace(/origin_string\[[^\]]*\]/, 'origin_string[…]'));
    if (input.mode === 'demo') return demoKeyChecks(input, skipped, `retCode ${envelope.retCode}: ${retMsg}`);
    return [
      check('api-key', 'fail', `Bybit refused the key: retCode ${envelope.retCode} (${retMsg})`, refusalFix(envelope.retCode, input.mode)),
      ...skipped('the key was refused'),
    ];
  }
  const info = v.safeParse(ApiKeyInfoSchema, envelope.result);
  if (!info.success) {
    return [check('api-key', 'fail', 'Bybit accepted the key but its answer to /v5/user/query-api has an unexpected shape', 'Report this with the output of doctor --json.'), ...skipped('the key settings could not be read')];
  }
  const note = info.output.note ? ` ("${redact(info.output.note)}")` : '';
  return [check('api-key', 'ok', `Bybit accepted the key${note} on ${input.mode}`), ...assessApiKey(info.output)];
}

function hasPermission(info: ApiKeyInfo, group: string, permission: string): boolean {
  return info.permissions[group]?.includes(permission) ?? false;
}

/**
 * The permission verdicts. Withdraw can appear under `Wallet` (Bybit's documented place) and is
 * looked for in every group so a renamed group cannot hide it.
 */
export function assessApiKey(info: ApiKeyInfo): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const withdrawIn = Object.entries(info.permissions)
    .filter(([, list]) => list.includes('Withdraw'))
    .map(([group]) => group);
  out.push(
    withdrawIn.length > 0
      ? check(
          'key-withdraw',
          'fail',
          `the key can withdraw funds (${withdrawIn.join(', ')}: Withdraw); the bot never needs that and refuses such a key`,
          'In Bybit → API management, create a new key without any Wallet/Withdraw permission, delete this one, and store the new one with node dist/bot.js init.',
        )
      : check('key-withdraw', 'ok', 'the key cannot withdraw funds'),
  );
  // USDT perpetuals are Bybit's "Contract" group: Order places orders; Position is what set-leverage
  // and trading-stop (the exchange stop loss of every position) need. Derivatives (USDC) is not enough.
  const canOrder = hasPermission(info, 'ContractTrade', 'Order');
  const canPosition = hasPermission(info, 'ContractTrade', 'Position');
  if (info.readOnly === 1) {
    out.push(check('key-trade', 'fail', 'the key is read-only: the bot cannot place orders or stops with it', 'Create a key with "Read-Write" and Contract → Orders and Positions.'));
  } else if (!canOrder || !canPosition) {
    const missing = [canOrder ? null : 'Orders', canPosition ? null : 'Positions'].filter((x) => x !== null).join(' and ');
    const why = canOrder ? ': it can place orders but not set leverage or the exchange stop loss (set-leverage and trading-stop need Positions)' : '';
    out.push(check('key-trade', 'fail', `the key lacks Contract → ${missing}${why}`, 'Edit the key in Bybit → API management: enable Contract → Orders and Positions.'));
  } else {
    out.push(check('key-trade', 'ok', 'the key can trade contracts (orders and positions)'));
  }
  const ips = info.ips.filter((ip) => ip !== '');
  if (ips.length === 0 || ips.includes('*')) {
    const expiry = info.expiredAt ? `; Bybit expires such keys, this one on ${info.expiredAt.slice(0, 10)}` : '';
    out.push(
      check(
        'key-ip',
        'warn',
        `the key is not bound to any IP address: if it leaks it works from anywhere${expiry}`,
        "Bybit → API management → edit the key → bind it to your IP address. A phone on mobile data changes IP; a fixed-IP VPN makes binding possible.",
      ),
    );
  } else {
    out.push(check('key-ip', 'ok', `the key is bound to ${ips.length} IP address(es)`));
  }
  return out;
}
