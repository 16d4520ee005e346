/**
 * Where the stream feeds (./publicFeed.ts, ./privateFeed.ts) hand their events: the engine's
 * callbacks, guarded so that a consumer that throws is logged and never breaks a stream; and the
 * tally of pushes dropped as malformed or unexpected, shared by both streams.
 */
import type { ExchangeEvents, StreamName } from '../../engine/exchangePort.js';
import type { Logger } from '../../util/logger.js';
import { errorText } from './errorText.js';

/** Unexpected topics named in the log, at most; after that they are only counted. */
const UNKNOWN_TOPICS_CAP = 100;

export class StreamEventSink {
  readonly #log: Logger;
  #events: ExchangeEvents = {};
  /** Topics already reported as unexpected (logged once each, not on every push). */
  readonly #unknownTopics = new Set<string>();
  #wireErrors = 0;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** The engine's callbacks, replaced on every start. */
  get events(): ExchangeEvents {
    return this.#events;
  }

  set events(events: ExchangeEvents) {
    this.#events = events;
  }

  get wireErrors(): number {
    return this.#wireErrors;
  }

  /** Counts a push dropped because it was malformed or absurd (the caller logs it). */
  wireError(): void {
    this.#wireErrors++;
  }

  /** Runs an engine callback; a throw is logged, never propagated. */
  safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error('event consumer threw', { error: errorText(err) });
    }
  }

  /** A push on a topic we never asked for (tickers, another symbol…): ignored, and said once. */
  unexpectedTopic(stream: StreamName, topic: string): void {
    this.#wireErrors++;
    if (this.#unknownTopics.has(topic) || this.#unknownTopics.size >= UNKNOWN_TOPICS_CAP) return;
    this.#unknownTopics.add(topic);
    this.#log.warn(`ignoring pushes on a topic the ${stream} stream did not subscribe to`, { topic: topic.slice(0, 80) });
  }
}
