/**
 * Webhook channel (issue 8 item 1): each alert is POSTed as JSON to a configured URL. The URL is
 * treated as a secret (Discord and Slack webhook URLs embed their token): errors name only the origin.
 */
import type { Alert } from './Alert.js';
import { AlertConfigError } from './AlertConfigError.js';
import type { AlertChannel, DeliveryResult } from './AlertChannel.js';
import type { BackoffOptions } from '../util/backoffDelayMs.js';
import { attemptsText, postJson, safeOrigin } from './postJson.js';

export interface WebhookOptions {
  readonly url: string;
  /** Extra headers (e.g. authorization); their values are treated as secrets by the factory. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per attempt. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Default 3. */
  readonly retries?: number;
  /** Default 500 ms doubling to 15 s, with jitter. */
  readonly backoff?: BackoffOptions;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** The JSON body a webhook receives. */
export interface WebhookPayload {
  readonly source: 'pocket-scalper';
  readonly level: Alert['level'];
  readonly kind: Alert['kind'];
  readonly title: string;
  readonly body: string;
  readonly symbol: string | null;
  readonly ts: number;
  readonly time: string;
}

export class WebhookChannel implements AlertChannel {
  readonly name = 'webhook';
  readonly #o: WebhookOptions;
  readonly #target: string;

  constructor(options: WebhookOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new AlertConfigError('webhook.url is not a valid URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new AlertConfigError(`webhook.url must be http(s), got ${parsed.protocol}`);
    this.#o = options;
    this.#target = `POST ${safeOrigin(options.url)}/…`;
  }

  static payload(alert: Alert): WebhookPayload {
    return {
      source: 'pocket-scalper',
      level: alert.level,
      kind: alert.kind,
      title: alert.title,
      body: alert.body,
      symbol: alert.symbol ?? null,
      ts: alert.ts,
      time: new Date(alert.ts).toISOString(),
    };
  }

  async send(alert: Alert): Promise<DeliveryResult> {
    const result = await postJson(this.#o.url, WebhookChannel.payload(alert), {
      timeoutMs: this.#o.timeoutMs ?? 5000,
      retries: this.#o.retries ?? 3,
      backoff: this.#o.backoff ?? { baseMs: 500, maxMs: 15_000 },
      safeTarget: this.#target,
      ...(this.#o.headers ? { headers: this.#o.headers } : {}),
      ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
      ...(this.#o.sleep ? { sleep: this.#o.sleep } : {}),
      ...(this.#o.random ? { random: this.#o.random } : {}),
    });
    return result.ok ? { status: 'sent' } : { status: 'failed', error: `${result.error} (${attemptsText(result.attempts)})` };
  }
}
