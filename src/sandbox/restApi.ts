/**
 * The sandbox's REST side: Bybit V5 endpoints (reference section 3, plus what ccxt calls for
 * loadMarkets and account detection, section 5) answered from the simulator in Bybit's envelope
 * `{retCode, retMsg, result, retExtInfo, time}` with Bybit's field names and error codes.
 *
 * Unknown paths get HTTP 404 (as Bybit's gateway answers them); known paths with bad or missing
 * parameters get retCode 10001. Private endpoints check auth (./auth.ts), then the per-UID rate limit
 * (./rateLimiter.ts), then injected faults (./faults.ts).
 *
 * This file is the gateway every request passes (faults, limits, auth, parameter parsing, envelope);
 * the endpoints themselves live in marketRoutes, accountRoutes and orderRoutes.
 */
import type { Replay } from '../sim/replay.js';
import type { Simulator } from '../sim/simulator.js';
import type { SimOrder } from '../sim/simTypes.js';
import { accountRoutes } from './accountRoutes.js';
import type { AccountSettings } from './accountSettings.js';
import { type ApiKeyConfig, verifyRest } from './auth.js';
import { inFaultPhase, type FaultName, type FaultSettings } from './faults.js';
import type { MarketData } from './marketData.js';
import { marketRoutes } from './marketRoutes.js';
import { orderRoutes } from './orderRoutes.js';
import { RollingWindowLimiter, endpointLimitPerSec } from './rateLimiter.js';
import { ParamError, type Params } from './restParams.js';
import { RouteTable, SimFailure } from './routeTable.js';

export interface RestContext {
  readonly sim: Simulator;
  readonly replay: Replay;
  readonly market: MarketData;
  readonly keys: ReadonlyMap<string, ApiKeyConfig>;
  readonly nowMs: () => number;
  readonly faults: () => FaultSettings;
  /** Uniform [0, 1) from the fault dice (seeded). */
  readonly dice: () => number;
  readonly rateLimits: boolean;
  /** Per-IP limit over 5 s; 0 disables it. */
  readonly ipLimitPer5s: number;
  readonly makerFeeRate: string;
  readonly takerFeeRate: string;
  /** Called when a cancel loses the race: the sandbox pushes the Filled order a second time. */
  readonly onRaceFill: (order: SimOrder) => void;
  /** Counts a fault that struck (FaultCounts). */
  readonly struck: (fault: FaultName) => void;
  /** Position mode, margin mode, demo, instrument status (./accountSettings.ts). */
  readonly account: AccountSettings;
}

export interface RestResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What the server should do: answer, or hold the request unanswered (timeout fault). */
export type RestOutcome = { readonly kind: 'answer'; readonly response: RestResponse } | { readonly kind: 'hang' };

export class RestApi {
  readonly #ctx: RestContext;
  readonly #routes = new RouteTable();
  readonly #uidLimiter = new RollingWindowLimiter(1000);
  readonly #ipLimiter = new RollingWindowLimiter(5000);
  /** The fault window (`during=`): the settings it belongs to and when it opened. */
  #window: { readonly for: FaultSettings; openedMs: number | null } | null = null;
  /** The `http403=` ban: the settings it belongs to and when it began (at the first request after them). */
  #ban: { readonly for: FaultSettings; startedMs: number | null } | null = null;
  /** REST requests received (every one, whatever the answer). */
  requests = 0;

  constructor(ctx: RestContext) {
    this.#ctx = ctx;
    marketRoutes(this.#routes, ctx);
    accountRoutes(this.#routes, ctx);
    orderRoutes(this.#routes, ctx);
  }

  handle(method: string, rawUrl: string, headers: Record<string, string | string[] | undefined>, rawBody: string, clientIp: string): RestOutcome {
    const ctx = this.#ctx;
    const f = ctx.faults();
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    this.requests++;
    if (this.#banned(f)) {
      // Bybit's gateway during an IP ban (reference section 4): HTTP 403, no JSON envelope.
      ctx.struck('http403');
      return answer(403, { 'content-type': 'text/html' }, ACCESS_TOO_FREQUENT);
    }
    const faulty = this.#inWindow(f, path);
    if (faulty && f.timeoutRate > 0 && ctx.dice() < f.timeoutRate) {
      ctx.struck('timeout');
      return { kind: 'hang' };
    }
    if (faulty && f.http5xxRate > 0 && ctx.dice() < f.http5xxRate) {
      ctx.struck('http5xx');
      return answer(503, { 'content-type': 'text/html' }, '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>');
    }
    const now = ctx.nowMs();
    if (ctx.ipLimitPer5s > 0 && !this.#ipLimiter.take(clientIp, ctx.ipLimitPer5s, now).allowed) {
      return answer(403, { 'content-type': 'text/html' }, ACCESS_TOO_FREQUENT);
    }
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    const route = ctx.account.demo && path.startsWith('/v5/user/') ? undefined : this.#routes.find(path);
    if (!route || route.method !== method) return answer(404, { 'content-type': 'text/plain' }, '404 page not found');

    const extra: Record<string, string> = { timenow: String(now) };
    let key: ApiKeyConfig | null = null;
    if (route.auth) {
      const auth = verifyRest({ headers, payload: method === 'GET' ? rawQuery : rawBody, keys: ctx.keys, serverTimeMs: now, clientIp });
      if (!auth.ok) return this.#envelope(auth.code, auth.msg, {}, extra);
      key = auth.key;
      if (ctx.rateLimits) {
        const v = this.#uidLimiter.take(`${key.apiKey} ${path}`, endpointLimitPerSec(path), now);
        extra['x-bapi-limit'] = String(v.limit);
        extra['x-bapi-limit-status'] = String(v.remaining);
        extra['x-bapi-limit-reset-timestamp'] = String(v.resetMs);
        if (!v.allowed) return this.#envelope(10006, 'Too many visits!', {}, extra);
      }
      if (faulty && f.storm10006Rate > 0 && ctx.dice() < f.storm10006Rate) {
        ctx.struck('storm10006');
        return this.#envelope(10006, 'Too many visits!', {}, extra);
      }
      if (faulty && f.err10016Rate > 0 && ctx.dice() < f.err10016Rate) {
        ctx.struck('err10016');
        return this.#envelope(10016, 'Internal server error.', {}, extra);
      }
      if (route.trade && key.readOnly) return this.#envelope(10005, 'Permission denied, please check your API key permissions.', {}, extra);
    }
    let params: Params;
    try {
      params = method === 'GET' ? Object.fromEntries(new URLSearchParams(rawQuery)) : rawBody.trim() === '' ? {} : (JSON.parse(rawBody) as Params);
      if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new ParamError('params error: request body must be a JSON object');
    } catch (e) {
      return this.#envelope(10001, e instanceof ParamError ? e.message : 'params error: request body is not valid JSON', {}, extra);
    }
    try {
      const result = route.run(params, key);
      if (result instanceof SimFailure) return this.#envelope(result.code, result.msg, {}, extra);
      return this.#envelope(0, 'OK', result, extra);
    } catch (e) {
      if (e instanceof ParamError) return this.#envelope(e.code, e.message, {}, extra);
      throw e;
    }
  }

  /** Whether the `http403=` ban is on: it starts at the first request after it was set and lasts its DURATION. */
  #banned(f: FaultSettings): boolean {
    if (f.http403ForMs === null) return false;
    if (this.#ban?.for !== f) this.#ban = { for: f, startedMs: null };
    const now = this.#ctx.nowMs();
    this.#ban.startedMs ??= now;
    return now < this.#ban.startedMs + f.http403ForMs;
  }

  /** Whether the REST faults may strike this request: always, or inside the open `during=` window. */
  #inWindow(f: FaultSettings, path: string): boolean {
    if (f.during === 'always') return true;
    if (this.#window?.for !== f) this.#window = { for: f, openedMs: null };
    if (!inFaultPhase(f.during, path)) return false;
    const now = this.#ctx.nowMs();
    this.#window.openedMs ??= now;
    return now < this.#window.openedMs + f.windowMs;
  }

  #envelope(code: number, msg: string, result: unknown, extra: Record<string, string>): RestOutcome {
    const body = JSON.stringify({ retCode: code, retMsg: msg, result, retExtInfo: {}, time: this.#ctx.nowMs() });
    return answer(200, { 'content-type': 'application/json', ...extra }, body);
  }
}

/** Bybit does not publish the ban's body; its docs name the error "403, access too frequent" (tests/fixtures/bybit-real/README.md). */
const ACCESS_TOO_FREQUENT = '<html><body>403 Forbidden: access too frequent</body></html>';

function answer(status: number, headers: Record<string, string>, body: string): RestOutcome {
  return { kind: 'answer', response: { status, headers, body } };
}
