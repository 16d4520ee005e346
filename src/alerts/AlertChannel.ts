/**
 * A place alerts go (termux-notification, webhook, Telegram). Channels never throw into the router:
 * they return what happened, so a dead channel is visible without stopping the bot (STYLE point 4's
 * "return, don't throw" applied to delivery).
 */
import type { Alert, StatusSnapshot } from './Alert.js';

export type DeliveryResult =
  | { readonly status: 'sent' }
  /** Not attempted: the channel is backing off after a failure. */
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'failed'; readonly error: string };

export interface AlertChannel {
  readonly name: string;
  send(alert: Alert): Promise<DeliveryResult>;
  /** Channels with a persistent status display (the ongoing notification) implement this. */
  postStatus?(snapshot: StatusSnapshot): Promise<DeliveryResult>;
  /** Called once on shutdown (removes the ongoing notification). */
  close?(): Promise<void>;
}
