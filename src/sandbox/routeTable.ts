/**
 * The REST paths the sandbox answers, each with its method, whether it needs a signed key, whether it
 * trades (read-only keys are refused), and the function that answers it. The route files
 * (marketRoutes, accountRoutes, orderRoutes) fill one table; RestApi looks paths up in it.
 */
import type { SimResult } from '../sim/simTypes.js';
import type { ApiKeyConfig } from './auth.js';
import type { Params } from './restParams.js';

/**
 * Answers one request: the `result` of Bybit's envelope, or a SimFailure. Throws ParamError for bad
 * parameters. `key` is the verified key on private routes, null on public ones.
 */
export type RouteRun = (p: Params, key: ApiKeyConfig | null) => unknown;

export interface RestRoute {
  readonly method: 'GET' | 'POST';
  readonly auth: boolean;
  readonly trade?: boolean;
  readonly run: RouteRun;
}

export class RouteTable {
  readonly #routes = new Map<string, RestRoute>();

  /** A GET route, public or private. */
  get(path: string, auth: boolean, run: RouteRun): void {
    this.#routes.set(path, { method: 'GET', auth, run });
  }

  /** A POST route: every one of them is private and trades. */
  post(path: string, run: RouteRun): void {
    this.#routes.set(path, { method: 'POST', auth: true, trade: true, run });
  }

  find(path: string): RestRoute | undefined {
    return this.#routes.get(path);
  }
}

/** A simulator refusal carried out of a route as a value. */
export class SimFailure {
  constructor(
    readonly code: number,
    readonly msg: string,
  ) {}
}

export function unwrap<T>(r: SimResult<T>, ok: (v: T) => unknown): unknown {
  return r.ok ? ok(r.value) : new SimFailure(r.code, r.msg);
}
