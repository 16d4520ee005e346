/**
 * Bybit server time, `GET /v5/market/time` (reference/bybit-v5.md section 3): the exchange-side
 * cross-check of clock discipline (issue 4, item 1). Envelope `{retCode, retMsg, result:{timeSecond,
 * timeNano}, retExtInfo, time}`; `timeSecond`/`timeNano` are decimal strings, `time` a number (ms).
 * `timeNano` is used because it keeps sub-millisecond precision.
 */
import * as v from 'valibot';
import type { ExchangeTimeSample } from '../../clock/clockMeasurement.js';
import { createEpochClock } from '../../clock/epochClock.js';
import { httpFetch, type HttpResponse } from '../../util/httpFetch.js';

export class BybitServerTimeError extends Error {
  override name = 'BybitServerTimeError';
}

const Digits = v.pipe(v.string(), v.regex(/^\d{1,30}$/, 'must be a string of digits'));

const ServerTimeResponse = v.object({
  retCode: v.number(),
  retMsg: v.string(),
  result: v.unknown(),
  time: v.number(),
});

const ServerTimeResult = v.object({
  timeSecond: Digits,
  timeNano: Digits,
});

export interface BybitServerTime extends ExchangeTimeSample {
  /** Server time minus the midpoint of our round trip, ms: how far Bybit is ahead of this machine. */
  readonly offsetMs: number;
  readonly rttMs: number;
}

export interface ServerTimeOptions {
  readonly timeoutMs?: number;
  /** Clock for the send/receive stamps (machine time, epoch ms); default a high-resolution clock. */
  readonly epochMs?: () => number;
}

function issuesText(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path?.map((p) => String(p.key)).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Reads Bybit's server time; throws BybitServerTimeError naming what is wrong. */
export async function fetchBybitServerTime(baseUrl: string, opts: ServerTimeOptions = {}): Promise<BybitServerTime> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const epochMs = opts.epochMs ?? createEpochClock();
  const url = `${baseUrl.replace(/\/+$/, '')}/v5/market/time`;
  const where = `GET ${url}`;
  let response: HttpResponse;
  const sentMs = epochMs();
  try {
    response = await httpFetch(url, { timeout: timeoutMs, headers: { accept: 'application/json' } });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw new BybitServerTimeError(timedOut ? `${where}: no answer within ${timeoutMs} ms` : `${where}: ${err instanceof Error ? err.message : String(err)}${cause}`);
  }
  // Headers in hand: the server stamped its time before this, so the body read stays out of the RTT.
  const receivedMs = epochMs();
  const text = await response.text().catch(() => '');
  if (!response.ok) throw new BybitServerTimeError(`${where}: HTTP ${response.status} ${text.slice(0, 120)}`.trimEnd());
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BybitServerTimeError(`${where}: the answer is not JSON: ${text.slice(0, 120)}`);
  }
  const envelope = v.safeParse(ServerTimeResponse, body);
  if (!envelope.success) throw new BybitServerTimeError(`${where}: unexpected answer (${issuesText(envelope.issues)})`);
  if (envelope.output.retCode !== 0) {
    throw new BybitServerTimeError(`${where}: retCode ${envelope.output.retCode} ${envelope.output.retMsg}`);
  }
  const result = v.safeParse(ServerTimeResult, envelope.output.result);
  if (!result.success) throw new BybitServerTimeError(`${where}: unexpected result (${issuesText(result.issues)})`);
  const nanos = BigInt(result.output.timeNano);
  // Whole microseconds through BigInt, then to ms, so no precision is lost in a 19-digit number.
  const serverMs = Number(nanos / 1000n) / 1000;
  const seconds = Number(result.output.timeSecond);
  if (Math.abs(seconds * 1000 - serverMs) >= 2000) {
    throw new BybitServerTimeError(`${where}: timeSecond ${result.output.timeSecond} and timeNano ${result.output.timeNano} disagree`);
  }
  const rttMs = receivedMs - sentMs;
  return { serverMs, sentMs, receivedMs, rttMs, offsetMs: serverMs - (sentMs + receivedMs) / 2 };
}
