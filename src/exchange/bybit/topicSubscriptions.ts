/**
 * The topics one Bybit connection wants, and the request frames that ask for them (reference section
 * 2). The wanted set outlives sockets (it is subscribed afresh on every open); pending requests belong
 * to one socket. Request ids are one sequence, pings included, so that an answer names its request.
 */

/** Bybit public linear accepts at most 10 args per subscribe request. */
const SUBSCRIBE_BATCH = 10;

export type SubscriptionOp = 'subscribe' | 'unsubscribe';

export class TopicSubscriptions {
  readonly #wanted = new Set<string>();
  /** Subscribe requests sent and not yet answered, by req_id. */
  readonly #pending = new Map<string, readonly string[]>();
  #reqId = 0;

  get wanted(): ReadonlySet<string> {
    return this.#wanted;
  }

  /** Returns the topics that were not wanted before. */
  add(topics: readonly string[]): string[] {
    const fresh = topics.filter((t) => !this.#wanted.has(t));
    for (const t of fresh) this.#wanted.add(t);
    return fresh;
  }

  /** Returns the topics that were wanted before. */
  remove(topics: readonly string[]): string[] {
    return topics.filter((t) => this.#wanted.delete(t));
  }

  /** The frames for `op` on `topics`, in batches; subscribe requests are remembered until answered. */
  requests(op: SubscriptionOp, topics: readonly string[]): Record<string, unknown>[] {
    const frames: Record<string, unknown>[] = [];
    for (let i = 0; i < topics.length; i += SUBSCRIBE_BATCH) {
      const args = topics.slice(i, i + SUBSCRIBE_BATCH);
      const reqId = `${op === 'subscribe' ? 's' : 'u'}${++this.#reqId}`;
      if (op === 'subscribe') this.#pending.set(reqId, args);
      frames.push({ req_id: reqId, op, args });
    }
    return frames;
  }

  pingFrame(): Record<string, unknown> {
    return { req_id: `p${++this.#reqId}`, op: 'ping' };
  }

  /**
   * The topics of an answered subscribe request. An answer without our req_id (the private stream's
   * answers may carry none) names, for a refusal, the topic in Bybit's text (`…,topic:adlAlert`) or else
   * every request still unanswered: one bad topic fails its whole batch.
   */
  answered(reqId: string, refusal: string | null = null): readonly string[] {
    const own = this.#pending.get(reqId);
    if (own !== undefined) {
      this.#pending.delete(reqId);
      return own;
    }
    if (refusal === null) return [];
    const named = /topic:\s*([^\s,;]+)/.exec(refusal)?.[1];
    if (named !== undefined) return [named];
    const all = [...this.#pending.values()].flat();
    this.#pending.clear();
    return all;
  }

  /** A new socket: the old one's requests will never be answered. */
  forgetPending(): void {
    this.#pending.clear();
  }
}
