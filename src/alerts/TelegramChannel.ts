/**
 * Telegram channel (issue 8 item 1): Bot API `POST {apiBase}/bot{token}/sendMessage` with
 * `{chat_id, text}` (https://core.telegram.org/bots/api#sendmessage). Plain text, no parse_mode, so
 * symbols and prices need no escaping. `info` alerts are sent silently (`disable_notification`).
 * The token is a secret: errors name the URL as `bot[REDACTED]`, and any error text is scrubbed of it.
 */
import type { Alert, AlertLevel } from './Alert.js';
import { AlertConfigError } from './AlertConfigError.js';
import type { AlertChannel, DeliveryResult } from './AlertChannel.js';
import type { BackoffOptions } from '../util/backoffDelayMs.js';
import { attemptsText, postJson } from './postJson.js';
import { REDACTED, Redactor } from './Redactor.js';

export interface TelegramOptions {
  readonly token: string;
  readonly chatId: string | number;
  /** Default https://api.telegram.org; tests point it at a loopback server. */
  readonly apiBase?: string;
  /** Per attempt. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Default 3. */
  readonly retries?: number;
  readonly backoff?: BackoffOptions;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Telegram caps a message at 4096 characters. */
const MAX_TEXT = 4096;

const LEVEL_MARK: Readonly<Record<AlertLevel, string>> = { info: 'ℹ️', trade: '💹', warning: '⚠️', critical: '🚨' };

export class TelegramChannel implements AlertChannel {
  readonly name = 'telegram';
  readonly #o: TelegramOptions;
  readonly #apiBase: string;
  readonly #scrub: Redactor;

  constructor(options: TelegramOptions) {
    if (!options.token || !/^\S+$/.test(options.token)) throw new AlertConfigError('telegram.token is empty or contains spaces');
    if (options.chatId === '' || options.chatId === undefined) throw new AlertConfigError('telegram.chatId is empty');
    this.#apiBase = (options.apiBase ?? 'https://api.telegram.org').replace(/\/+$/, '');
    try {
      new URL(this.#apiBase);
    } catch {
      throw new AlertConfigError('telegram.apiBase is not a valid URL');
    }
    this.#o = options;
    this.#scrub = new Redactor([options.token]);
  }

  static text(alert: Alert): string {
    const text = `${LEVEL_MARK[alert.level]} ${alert.title}\n${alert.body}`;
    return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
  }

  async send(alert: Alert): Promise<DeliveryResult> {
    const payload: Record<string, unknown> = { chat_id: this.#o.chatId, text: TelegramChannel.text(alert) };
    if (alert.level === 'info') payload.disable_notification = true;
    const result = await postJson(`${this.#apiBase}/bot${this.#o.token}/sendMessage`, payload, {
      timeoutMs: this.#o.timeoutMs ?? 5000,
      retries: this.#o.retries ?? 3,
      backoff: this.#o.backoff ?? { baseMs: 1000, maxMs: 30_000 },
      safeTarget: `POST ${this.#apiBase}/bot${REDACTED}/sendMessage`,
      ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
      ...(this.#o.sleep ? { sleep: this.#o.sleep } : {}),
      ...(this.#o.random ? { random: this.#o.random } : {}),
    });
    return result.ok ? { status: 'sent' } : { status: 'failed', error: this.#scrub.redact(`${result.error} (${attemptsText(result.attempts)})`) };
  }
}
