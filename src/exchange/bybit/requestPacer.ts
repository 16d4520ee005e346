/**
 * Our own request pacing (ccxt's limiter is off: `enableRateLimit: false`). Bybit counts requests per
 * UID in a rolling 1 s window per endpoint group (reference/bybit-v5.md section 4: linear order
 * create/amend/cancel 10/s, trading-stop 10/s, realtime/position/wallet 50/s). The pacer keeps us
 * under those, and after a `10006` holds the whole group until Bybit's reset time so that concurrent
 * callers do not each hit the limit again.
 */
export const PACE_GROUPS = ['order', 'tradingStop', 'account', 'market'] as const;
export type PaceGroup = (typeof PACE_GROUPS)[number];

/** Requests per rolling second per group; a little under Bybit's limits, whose windows are theirs, not ours. */
const LIMIT_PER_SEC: Readonly<Record<PaceGroup, number>> = { order: 9, tradingStop: 9, account: 45, market: 45 };
const WINDOW_MS = 1000;

export class RequestPacer {
  readonly #sent = new Map<PaceGroup, number[]>();
  readonly #heldUntil = new Map<PaceGroup, number>();
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(now: () => number, sleep: (ms: number) => Promise<void>) {
    this.#now = now;
    this.#sleep = sleep;
  }

  /** Counts a request of `group` and returns true when it may be sent now; false (nothing counted) when it must wait in take(). */
  tryTake(group: PaceGroup): boolean {
    const now = this.#now();
    if ((this.#heldUntil.get(group) ?? 0) > now) return false;
    const stamps = this.#sent.get(group) ?? [];
    while (stamps.length > 0 && stamps[0]! <= now - WINDOW_MS) stamps.shift();
    if (stamps.length >= LIMIT_PER_SEC[group]) return false;
    stamps.push(now);
    this.#sent.set(group, stamps);
    return true;
  }

  /** Waits until a request of `group` may be sent, and counts it. */
  async take(group: PaceGroup): Promise<void> {
    for (;;) {
      const now = this.#now();
      const held = this.#heldUntil.get(group) ?? 0;
      if (held > now) {
        await this.#sleep(held - now);
        continue;
      }
      const stamps = this.#sent.get(group) ?? [];
      while (stamps.length > 0 && stamps[0]! <= now - WINDOW_MS) stamps.shift();
      if (stamps.length < LIMIT_PER_SEC[group]) {
        stamps.push(now);
        this.#sent.set(group, stamps);
        return;
      }
      await this.#sleep(stamps[0]! + WINDOW_MS - now + 1);
    }
  }

  /** Holds `group` until `untilMs` (Bybit's X-Bapi-Limit-Reset-Timestamp after a 10006). */
  hold(group: PaceGroup, untilMs: number): void {
    if (untilMs > (this.#heldUntil.get(group) ?? 0)) this.#heldUntil.set(group, untilMs);
  }
}

/** Which group a V5 path counts against. */
export function paceGroupOf(path: string): PaceGroup {
  if (path.startsWith('/v5/order/create') || path.startsWith('/v5/order/amend') || path.startsWith('/v5/order/cancel')) return 'order';
  if (path.startsWith('/v5/position/trading-stop')) return 'tradingStop';
  if (path.startsWith('/v5/market/')) return 'market';
  return 'account';
}
