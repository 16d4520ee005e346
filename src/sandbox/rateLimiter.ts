/**
 * Bybit's rate limits (reference section 4): a rolling 1 s window per UID and endpoint, with the
 * `X-Bapi-Limit*` headers on every private response and retCode 10006 when exceeded; and a per-IP
 * limit of 600 requests per 5 s, answered with HTTP 403.
 */
export interface LimitVerdict {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** When the oldest request in the window leaves it (Unix ms). */
  readonly resetMs: number;
}

export class RollingWindowLimiter {
  readonly #windowMs: number;
  readonly #hits = new Map<string, number[]>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  take(key: string, limit: number, nowMs: number): LimitVerdict {
    let list = this.#hits.get(key);
    if (!list) {
      list = [];
      this.#hits.set(key, list);
    }
    let drop = 0;
    while (drop < list.length && list[drop]! <= nowMs - this.#windowMs) drop++;
    if (drop > 0) list.splice(0, drop);
    if (list.length >= limit) return { allowed: false, limit, remaining: 0, resetMs: list[0]! + this.#windowMs };
    list.push(nowMs);
    return { allowed: true, limit, remaining: limit - list.length, resetMs: list[0]! + this.#windowMs };
  }

  clear(): void {
    this.#hits.clear();
  }
}

/** Per-UID limits per second, by endpoint (reference section 4). */
export function endpointLimitPerSec(path: string): number {
  switch (path) {
    case '/v5/order/create':
    case '/v5/order/amend':
    case '/v5/order/cancel':
    case '/v5/order/cancel-all':
    case '/v5/position/trading-stop':
    case '/v5/position/set-leverage':
      return 10;
    default:
      return 50;
  }
}
