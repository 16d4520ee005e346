/**
 * The alert router (issue 8 item 1): plain words for internal names (humanText), redaction, quiet hours, de-duplication and per-kind rate
 * limits, then fan-out to every channel. `send` decides synchronously and returns at once; delivery
 * runs in the background, so a hung or failing channel never blocks or throws into the caller
 * (the trading loop). `drain()` waits for deliveries (shutdown, tests).
 *
 * Order of checks: quiet hours first (a suppressed alert spends neither its dedupe slot nor a
 * rate token), then de-duplication (a repeat spends no token), then the rate limit. Alerts dropped
 * by the rate limit are counted and mentioned on the next one of that kind that goes out.
 */
import type { Logger } from '../util/logger.js';
import { levelRank, type Alert, type AlertInput, type AlertKind, type AlertLevel, type StatusSnapshot } from './Alert.js';
import type { AlertChannel, DeliveryResult } from './AlertChannel.js';
import { QuietHours, type QuietHoursOptions } from './QuietHours.js';
import { checkRateLimit, RateLimiter, type RateLimit } from './RateLimiter.js';
import { Redactor } from './Redactor.js';
import { humanText } from './humanText.js';

export interface RoutedChannel {
  readonly channel: AlertChannel;
  /** Alerts below this level skip this channel (e.g. Telegram only for warnings). Default 'info'. */
  readonly minLevel?: AlertLevel;
}

export type AlertLog = Pick<Logger, 'info' | 'warn'>;

export interface AlertRouterOptions {
  readonly channels: readonly (AlertChannel | RoutedChannel)[];
  readonly now?: () => number;
  /** Same dedupeKey within this window → delivered once. Default 10 min. */
  readonly dedupeWindowMs?: number;
  /** Limit for kinds not listed in `rateLimits`; null = unlimited. */
  readonly defaultRateLimit?: RateLimit | null;
  /** Per-kind limits; null = unlimited for that kind. Merged over DEFAULT_RATE_LIMITS. */
  readonly rateLimits?: Partial<Record<AlertKind, RateLimit | null>>;
  readonly quietHours?: QuietHoursOptions | null;
  readonly redactor?: Redactor;
  readonly logger?: AlertLog;
}

export const DEFAULT_DEDUPE_WINDOW_MS = 10 * 60_000;
export const DEFAULT_RATE_LIMIT: RateLimit = { burst: 10, perHour: 60 };
/** Errors repeat in storms (a dead stream, a rejected order); a few per hour say enough. */
export const DEFAULT_RATE_LIMITS: Readonly<Partial<Record<AlertKind, RateLimit | null>>> = {
  error: { burst: 3, perHour: 6 },
  streamOutage: { burst: 3, perHour: 6 },
  streamRestored: { burst: 3, perHour: 6 },
  reconcile: { burst: 3, perHour: 12 },
  // The owner pressed a button or ran a command: always acknowledge.
  control: null,
  dailySummary: null,
};

export type SuppressReason = 'quietHours' | 'duplicate' | 'rateLimited';

export interface ChannelReport {
  readonly channel: string;
  readonly result: DeliveryResult;
}

export type RouteOutcome =
  | { readonly status: 'routed'; readonly alert: Alert; readonly deliveries: Promise<readonly ChannelReport[]> }
  | { readonly status: 'suppressed'; readonly alert: Alert; readonly reason: SuppressReason };

export interface RouterStats {
  readonly routed: number;
  readonly suppressed: Readonly<Record<SuppressReason, number>>;
  readonly failed: Readonly<Record<string, number>>;
}

const MAX_DEDUPE_KEYS = 1000;

export class AlertRouter {
  readonly redactor: Redactor;
  readonly #channels: readonly Required<RoutedChannel>[];
  readonly #now: () => number;
  readonly #dedupeWindowMs: number;
  readonly #limiter: RateLimiter;
  readonly #quiet: QuietHours | null;
  readonly #log: AlertLog | null;
  readonly #lastByKey = new Map<string, number>();
  readonly #droppedByKind = new Map<AlertKind, number>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #routed = 0;
  readonly #suppressed: Record<SuppressReason, number> = { quietHours: 0, duplicate: 0, rateLimited: 0 };
  readonly #failed: Record<string, number> = {};

  constructor(options: AlertRouterOptions) {
    this.#channels = options.channels.map((c) => ('channel' in c ? { channel: c.channel, minLevel: c.minLevel ?? 'info' } : { channel: c, minLevel: 'info' }));
    this.#now = options.now ?? Date.now;
    this.#dedupeWindowMs = options.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS;
    const fallback = options.defaultRateLimit === undefined ? DEFAULT_RATE_LIMIT : options.defaultRateLimit;
    const perKind: Partial<Record<AlertKind, RateLimit | null>> = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
    if (fallback) checkRateLimit(fallback, 'rateLimits.default');
    for (const [kind, limit] of Object.entries(perKind)) if (limit) checkRateLimit(limit, `rateLimits.${kind}`);
    this.#limiter = new RateLimiter((kind) => {
      const limit = perKind[kind as AlertKind];
      return limit === undefined ? fallback : limit;
    });
    this.#quiet = options.quietHours ? new QuietHours(options.quietHours) : null;
    this.redactor = options.redactor ?? new Redactor();
    this.#log = options.logger ?? null;
  }

  /** Registers a secret that must never appear in an alert or in the router's log lines. */
  addSecret(secret: string | null | undefined): void {
    this.redactor.add(secret);
  }

  /** Decides now, delivers in the background. Never throws for a channel's sake. */
  send(input: AlertInput): RouteOutcome {
    const nowMs = this.#now();
    const r = (t: string): string => this.redactor.redact(humanText(t));
    let alert: Alert = {
      level: input.level,
      kind: input.kind,
      title: r(input.title),
      body: r(input.body),
      ts: input.ts ?? nowMs,
      ...(input.symbol !== undefined ? { symbol: r(input.symbol) } : {}),
      ...(input.dedupeKey !== undefined ? { dedupeKey: input.dedupeKey } : {}),
    };

    if (alert.level !== 'critical' && this.#quiet?.isQuiet(nowMs)) return this.#suppress(alert, 'quietHours');

    if (alert.dedupeKey !== undefined) {
      const last = this.#lastByKey.get(alert.dedupeKey);
      if (last !== undefined && nowMs - last < this.#dedupeWindowMs) return this.#suppress(alert, 'duplicate');
    }

    if (!this.#limiter.tryTake(alert.kind, nowMs)) {
      this.#droppedByKind.set(alert.kind, (this.#droppedByKind.get(alert.kind) ?? 0) + 1);
      return this.#suppress(alert, 'rateLimited');
    }

    if (alert.dedupeKey !== undefined) this.#remember(alert.dedupeKey, nowMs);
    const dropped = this.#droppedByKind.get(alert.kind) ?? 0;
    if (dropped > 0) {
      this.#droppedByKind.delete(alert.kind);
      alert = { ...alert, body: `${alert.body}\n(+${dropped} similar suppressed by rate limit)` };
    }

    this.#routed += 1;
    const targets = this.#channels.filter((c) => levelRank(alert.level) >= levelRank(c.minLevel));
    const deliveries = this.#track(Promise.all(targets.map((c) => this.#deliver(c.channel, alert))));
    return { status: 'routed', alert, deliveries };
  }

  /** Posts the ongoing status to channels that have one. Not rate-limited or quiet-hours gated:
   * it is silent after the first post (`--alert-once`) and replaced in place. */
  updateStatus(snapshot: StatusSnapshot): Promise<readonly ChannelReport[]> {
    const clean: StatusSnapshot = {
      ...snapshot,
      ...(snapshot.pausedReason === undefined ? {} : { pausedReason: this.redactor.redact(humanText(snapshot.pausedReason)) }),
      ...(snapshot.waitingError === undefined ? {} : { waitingError: this.redactor.redact(snapshot.waitingError) }),
      ...(snapshot.mirror?.why === undefined ? {} : { mirror: { ...snapshot.mirror, why: this.redactor.redact(humanText(snapshot.mirror.why)) } }),
    };
    const work = this.#channels.flatMap((c) => {
      const post = c.channel.postStatus?.bind(c.channel);
      return post ? [this.#guard(c.channel.name, () => post(clean))] : [];
    });
    return this.#track(Promise.all(work));
  }

  /** Waits until every delivery started so far has finished. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Drains, then lets each channel clean up (the ongoing notification is removed). */
  async close(): Promise<void> {
    await this.drain();
    for (const { channel } of this.#channels) {
      try {
        await channel.close?.();
      } catch (e) {
        this.#log?.warn(this.redactor.redact(`alert channel ${channel.name} failed to close: ${e instanceof Error ? e.message : String(e)}`));
      }
    }
  }

  stats(): RouterStats {
    return { routed: this.#routed, suppressed: { ...this.#suppressed }, failed: { ...this.#failed } };
  }

  #suppress(alert: Alert, reason: SuppressReason): RouteOutcome {
    this.#suppressed[reason] += 1;
    return { status: 'suppressed', alert, reason };
  }

  #remember(key: string, nowMs: number): void {
    this.#lastByKey.delete(key);
    this.#lastByKey.set(key, nowMs);
    // Bounded memory (DESIGN section 1): forget expired keys, and the oldest beyond the cap.
    for (const [k, at] of this.#lastByKey) {
      if (nowMs - at < this.#dedupeWindowMs && this.#lastByKey.size <= MAX_DEDUPE_KEYS) break;
      this.#lastByKey.delete(k);
    }
  }

  #deliver(channel: AlertChannel, alert: Alert): Promise<ChannelReport> {
    return this.#guard(channel.name, () => channel.send(alert));
  }

  async #guard(name: string, run: () => Promise<DeliveryResult>): Promise<ChannelReport> {
    let result: DeliveryResult;
    try {
      result = await run();
    } catch (e) {
      result = { status: 'failed', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
    if (result.status === 'failed') {
      this.#failed[name] = (this.#failed[name] ?? 0) + 1;
      result = { status: 'failed', error: this.redactor.redact(result.error) };
      this.#log?.warn(`alert channel ${name} failed: ${result.error}`);
    }
    return { channel: name, result };
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    const forget = (): void => void this.#inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}
