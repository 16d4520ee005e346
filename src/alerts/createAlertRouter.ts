/**
 * Builds the router and its channels from a plain options object (the `alerts` section of
 * config.json maps onto it one to one). Secrets handed to channels (Telegram token, webhook URL and
 * header values, anything in `secrets`) are registered with the router's redactor and with the
 * shared log redaction, so they reach neither a notification nor a log line.
 */
import type { AlertKind, AlertLevel } from './Alert.js';
import type { AlertChannel } from './AlertChannel.js';
import { AlertRouter, type AlertLog, type RoutedChannel } from './AlertRouter.js';
import type { QuietHoursOptions } from './QuietHours.js';
import type { RateLimit } from './RateLimiter.js';
import { Redactor } from './Redactor.js';
import { TelegramChannel, type TelegramOptions } from './TelegramChannel.js';
import { TermuxNotificationChannel, type TermuxNotificationOptions } from './TermuxNotificationChannel.js';
import { WebhookChannel, type WebhookOptions } from './WebhookChannel.js';
import { registerSecret } from '../util/redact.js';

interface ChannelToggle {
  /** Default true when the section is present. */
  readonly enabled?: boolean;
  /** Alerts below this level skip the channel. Default 'info'. */
  readonly minLevel?: AlertLevel;
}

export interface AlertsOptions {
  readonly dedupeWindowMs?: number;
  /** `default` applies to unlisted kinds; null = unlimited. */
  readonly rateLimits?: { readonly default?: RateLimit | null } & Partial<Record<AlertKind, RateLimit | null>>;
  readonly quietHours?: QuietHoursOptions | null;
  /** Extra strings to redact (API key, API secret). */
  readonly secrets?: readonly string[];
  /** The channels' own options, less what the factory supplies (environment, clock, test seams). */
  readonly termux?: (ChannelToggle & Pick<TermuxNotificationOptions, 'nodePath' | 'botPath' | 'stateDir' | 'timeoutMs' | 'backoffBaseMs' | 'backoffMaxMs' | 'priorities' | 'group' | 'idPrefix' | 'vibratePattern'>) | null;
  readonly webhook?: (ChannelToggle & Pick<WebhookOptions, 'url' | 'headers' | 'timeoutMs' | 'retries' | 'backoff'>) | null;
  readonly telegram?: (ChannelToggle & Pick<TelegramOptions, 'token' | 'chatId' | 'apiBase' | 'timeoutMs' | 'retries' | 'backoff'>) | null;
}

/** Things the running bot injects (and tests replace). */
export interface AlertsDeps {
  readonly now?: () => number;
  readonly logger?: AlertLog;
  /** Environment for the termux-* commands. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface AlertSystem {
  readonly router: AlertRouter;
  readonly termux: TermuxNotificationChannel | null;
  readonly webhook: WebhookChannel | null;
  readonly telegram: TelegramChannel | null;
}

export function createAlertRouter(options: AlertsOptions, deps: AlertsDeps = {}): AlertSystem {
  const redactor = new Redactor();
  const secret = (s: string | null | undefined): void => {
    redactor.add(s);
    registerSecret(s);
  };
  for (const s of options.secrets ?? []) secret(s);

  const io = {
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  };
  const channels: RoutedChannel[] = [];
  const add = (channel: AlertChannel, toggle: ChannelToggle): void => {
    channels.push({ channel, minLevel: toggle.minLevel ?? 'info' });
  };

  let router: AlertRouter | null = null;
  let termux: TermuxNotificationChannel | null = null;
  const t = options.termux;
  if (t && t.enabled !== false) {
    termux = new TermuxNotificationChannel({
      ...t,
      ...(deps.env ? { env: deps.env } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      onAvailabilityChange: (available, detail) => {
        if (available) {
          deps.logger?.info(`Android notifications work again (${detail})`);
          return;
        }
        deps.logger?.warn(`Android notifications unavailable: ${detail}`);
        // Other channels (webhook, Telegram) still tell the owner; the termux one is backing off.
        router?.send({ level: 'warning', kind: 'error', title: 'Android notifications unavailable', body: detail, dedupeKey: 'termux.unavailable' });
      },
    });
    add(termux, t);
  }

  let webhook: WebhookChannel | null = null;
  const w = options.webhook;
  if (w && w.enabled !== false) {
    secret(w.url);
    for (const value of Object.values(w.headers ?? {})) secret(value);
    webhook = new WebhookChannel({ ...w, ...io });
    add(webhook, w);
  }

  let telegram: TelegramChannel | null = null;
  const g = options.telegram;
  if (g && g.enabled !== false) {
    secret(g.token);
    telegram = new TelegramChannel({ ...g, ...io });
    add(telegram, g);
  }

  const { default: defaultRateLimit, ...perKind } = options.rateLimits ?? {};
  router = new AlertRouter({
    channels,
    redactor,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(options.dedupeWindowMs !== undefined ? { dedupeWindowMs: options.dedupeWindowMs } : {}),
    ...(defaultRateLimit !== undefined ? { defaultRateLimit } : {}),
    rateLimits: perKind,
    ...(options.quietHours ? { quietHours: options.quietHours } : {}),
  });
  return { router, termux, webhook, telegram };
}
