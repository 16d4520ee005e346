/**
 * One self-healing Bybit WebSocket connection (STYLE point 9; issue 4, item 3). bybit-api retries at
 * a fixed 500 ms and has no tests of it; this one:
 *
 * - has a state, `idle | connecting | open | reconnecting | closing`, and reports the stream's health
 *   (`open` only once the server has answered something since the socket opened);
 * - keeps a wanted-topic set and subscribes to all of it on every open (after auth on the private
 *   stream), in batches of 10 args;
 * - sends `{"op":"ping"}` every 20 s (reference section 2) and drops the socket when nothing (pong or
 *   data) arrives within the pong deadline; optionally drops it when no topic data arrives for
 *   `dataStaleAfterMs` (a stream that pongs but has stopped pushing);
 * - reconnects after an unexpected close with exponential backoff and full jitter, and never after
 *   `close()`.
 *
 * Timers are few and periodic (one ping timer, one deadline check), not one per message, so an idle
 * stream costs next to nothing (bench/streams.bench.ts).
 */
import WebSocket from 'ws';
import type { StreamHealth } from '../../engine/exchangePort.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { backoffDelayMs, type BackoffPolicy } from '../../util/backoffDelayMs.js';

export const WS_STATES = ['idle', 'connecting', 'open', 'reconnecting', 'closing'] as const;
export type WsState = (typeof WS_STATES)[number];

export interface WsTiming {
  /** Bybit: send a ping every 20 s. */
  readonly pingIntervalMs: number;
  /** No pong (or anything) this long after a ping: the connection is dead. */
  readonly pongTimeoutMs: number;
  /** No topic data this long while open: stale. Null: silence is normal (the private stream). */
  readonly dataStaleAfterMs: number | null;
  readonly connectTimeoutMs: number;
  /** Auth answer deadline on the private stream. */
  readonly authTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  /** A connection that stayed healthy this long resets the backoff. */
  readonly healthyResetMs: number;
}

export const DEFAULT_WS_TIMING: WsTiming = {
  pingIntervalMs: 20_000,
  pongTimeoutMs: 10_000,
  dataStaleAfterMs: null,
  connectTimeoutMs: 10_000,
  authTimeoutMs: 10_000,
  backoff: { baseMs: 500, maxMs: 30_000, minMs: 100 },
  healthyResetMs: 5_000,
};

export interface WsConnectionOptions {
  /** "public" / "private": for logs and health reports. */
  readonly name: string;
  readonly url: string;
  readonly timing?: Partial<WsTiming>;
  /**
   * Private streams: builds the auth frame on every open. Throwing postpones the connection (e.g. the
   * clock is not trusted); the error message becomes the health detail.
   */
  readonly auth?: () => Record<string, unknown>;
  readonly logger?: Logger;
  readonly random?: () => number;
  /** Frames larger than this close the socket (then it reconnects). Default MAX_FRAME_BYTES. */
  readonly maxFrameBytes?: number;
}

/**
 * Bybit's largest push, an orderbook.1000 snapshot, is some 60 KB. ws accepts 100 MiB by default, which
 * a bad peer could make the phone buffer and parse; 4 MiB leaves a wide margin and bounds the memory.
 */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** How much of a frame a log line quotes. */
const SAMPLE_CHARS = 80;

export interface WsHandlers {
  /** A topic push (`topic` present). `receivedMs` is Date.now() at arrival. */
  onData(message: Record<string, unknown>, receivedMs: number): void;
  onHealth(health: StreamHealth, detail: string): void;
  /** Auth refused (often the clock): the owner of the connection may re-measure. */
  onAuthFailed?(retMsg: string): void;
  /** A subscribe request was refused, e.g. `error:handler not found,topic:...`. */
  onSubscribeFailed?(retMsg: string, topics: readonly string[]): void;
}

export interface WsCounters {
  opens: number;
  reconnects: number;
  pongTimeouts: number;
  staleDrops: number;
  authFailures: number;
  subscribeFailures: number;
  messages: number;
}

/** Bybit public linear accepts at most 10 args per subscribe request. */
const SUBSCRIBE_BATCH = 10;

export class WsConnection {
  readonly name: string;
  readonly counters: WsCounters = { opens: 0, reconnects: 0, pongTimeouts: 0, staleDrops: 0, authFailures: 0, subscribeFailures: 0, messages: 0 };
  readonly #url: string;
  readonly #timing: WsTiming;
  readonly #auth: (() => Record<string, unknown>) | undefined;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #handlers: WsHandlers;
  readonly #maxFrameBytes: number;
  readonly #wanted = new Set<string>();
  #state: WsState = 'idle';
  #health: StreamHealth = 'closed';
  #ws: WebSocket | null = null;
  #attempt = 0;
  #ready = false;
  #reqId = 0;
  #openedAtMs = 0;
  #lastMessageMs = 0;
  #lastDataMs = 0;
  #pingSentMs: number | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  #watchTimer: NodeJS.Timeout | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #authTimer: NodeJS.Timeout | null = null;
  #pendingSubs = new Map<string, readonly string[]>();
  #closeWaiters: (() => void)[] = [];

  constructor(opts: WsConnectionOptions, handlers: WsHandlers) {
    this.name = opts.name;
    this.#url = opts.url;
    this.#timing = { ...DEFAULT_WS_TIMING, ...opts.timing };
    this.#auth = opts.auth;
    this.#log = (opts.logger ?? silentLogger).child(`ws/${opts.name}`);
    this.#random = opts.random ?? Math.random;
    this.#handlers = handlers;
    this.#maxFrameBytes = opts.maxFrameBytes ?? MAX_FRAME_BYTES;
  }

  get state(): WsState {
    return this.#state;
  }

  get health(): StreamHealth {
    return this.#health;
  }

  get wantedTopics(): ReadonlySet<string> {
    return this.#wanted;
  }

  /** Connects (if idle). Topics added before or after are subscribed on every open. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#connect();
  }

  subscribe(topics: readonly string[]): void {
    const fresh = topics.filter((t) => !this.#wanted.has(t));
    for (const t of fresh) this.#wanted.add(t);
    if (this.#ready && fresh.length > 0) this.#sendSubscribe('subscribe', fresh);
  }

  unsubscribe(topics: readonly string[]): void {
    const gone = topics.filter((t) => this.#wanted.delete(t));
    if (this.#ready && gone.length > 0) this.#sendSubscribe('unsubscribe', gone);
  }

  /** Asks for a topic afresh (Bybit answers a new subscribe with a snapshot): an order-book re-sync. */
  resubscribe(topic: string): void {
    if (!this.#ready || !this.#wanted.has(topic)) return;
    this.#sendSubscribe('unsubscribe', [topic]);
    this.#sendSubscribe('subscribe', [topic]);
  }

  /** Drops the socket on purpose and reconnects (e.g. a re-sync that got no snapshot). */
  reconnect(reason: string): void {
    if (this.#state === 'open' || this.#state === 'connecting') this.#drop(reason);
  }

  /** Intentional close: no reconnect. Resolves once the socket is gone. */
  close(): Promise<void> {
    if (this.#state === 'idle') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    if (this.#state !== 'closing') {
      this.#state = 'closing';
      this.#clearTimers();
      if (this.#reconnectTimer !== null) {
        clearTimeout(this.#reconnectTimer);
        this.#reconnectTimer = null;
      }
      const ws = this.#ws;
      if (ws === null) {
        this.#finishClose();
      } else if (ws.readyState === WebSocket.OPEN) {
        ws.close(1000, 'bye');
        // A peer that never answers the close frame must not hold us up.
        setTimeout(() => ws.terminate(), 1000).unref();
      } else {
        ws.terminate();
      }
    }
    return done;
  }

  // ---- internals ----

  #setHealth(health: StreamHealth, detail: string): void {
    if (health === this.#health && health !== 'stale') return;
    this.#health = health;
    this.#handlers.onHealth(health, detail);
  }

  #connect(): void {
    this.#state = 'connecting';
    this.#ready = false;
    this.#pendingSubs.clear();
    // No compression (Bybit does not offer it) and no UTF-8 check of each frame: JSON.parse rejects
    // what matters, and the check is a measurable share of an idle stream's CPU (bench/streams.bench.ts).
    const ws = new WebSocket(this.#url, { handshakeTimeout: this.#timing.connectTimeoutMs, perMessageDeflate: false, skipUTF8Validation: true, maxPayload: this.#maxFrameBytes });
    this.#ws = ws;
    ws.on('open', () => this.#onOpen(ws));
    ws.on('message', (data: WebSocket.RawData) => this.#onMessage(ws, data));
    ws.on('error', (err: Error & { code?: unknown }) => {
      // Network errors are routine on a phone (the close handler reconnects); a frame that breaks the
      // protocol or the size limit (ws's WS_ERR_* codes) is the peer's fault and worth a warning.
      if (typeof err.code === 'string' && err.code.startsWith('WS_ERR_')) {
        this.#log.warn('bad frame from the server; reconnecting', { code: err.code, error: err.message, maxFrameBytes: this.#maxFrameBytes });
      } else {
        this.#log.debug('socket error', { error: err.message });
      }
    });
    ws.on('close', (code: number) => this.#onClose(ws, code));
  }

  #onOpen(ws: WebSocket): void {
    if (ws !== this.#ws || this.#state !== 'connecting') return;
    this.#state = 'open';
    this.counters.opens++;
    const now = Date.now();
    this.#openedAtMs = now;
    this.#lastMessageMs = now;
    this.#lastDataMs = now;
    this.#pingSentMs = null;
    this.#pingTimer = setInterval(() => this.#ping(), this.#timing.pingIntervalMs);
    this.#pingTimer.unref();
    const stale = this.#timing.dataStaleAfterMs;
    const watchEvery = Math.max(10, Math.min(this.#timing.pongTimeoutMs, stale ?? Infinity) / 4);
    this.#watchTimer = setInterval(() => this.#watch(), watchEvery);
    this.#watchTimer.unref();
    if (this.#auth === undefined) {
      this.#becomeReady();
      return;
    }
    let frame: Record<string, unknown>;
    try {
      frame = this.#auth();
    } catch (err) {
      this.#drop(`cannot authenticate: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.#send(frame);
    this.#authTimer = setTimeout(() => this.#drop('no answer to auth'), this.#timing.authTimeoutMs);
  }

  #becomeReady(): void {
    this.#ready = true;
    if (this.#wanted.size > 0) this.#sendSubscribe('subscribe', [...this.#wanted]);
    // A fresh socket sends no push for a while on quiet topics: ask for a pong to prove it is alive.
    this.#ping();
  }

  #sendSubscribe(op: 'subscribe' | 'unsubscribe', topics: readonly string[]): void {
    for (let i = 0; i < topics.length; i += SUBSCRIBE_BATCH) {
      const args = topics.slice(i, i + SUBSCRIBE_BATCH);
      const reqId = `${op === 'subscribe' ? 's' : 'u'}${++this.#reqId}`;
      if (op === 'subscribe') this.#pendingSubs.set(reqId, args);
      this.#send({ req_id: reqId, op, args });
    }
  }

  #send(frame: Record<string, unknown>): void {
    const ws = this.#ws;
    if (ws === null || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(frame), (err) => {
      if (err) this.#log.debug('send failed', { error: err.message });
    });
  }

  #ping(): void {
    if (this.#state !== 'open') return;
    // One outstanding ping at a time; the deadline check (#watch) judges it.
    if (this.#pingSentMs === null) this.#pingSentMs = Date.now();
    this.#send({ req_id: `p${++this.#reqId}`, op: 'ping' });
  }

  #watch(): void {
    if (this.#state !== 'open') return;
    const now = Date.now();
    if (this.#pingSentMs !== null && this.#lastMessageMs < this.#pingSentMs && now - this.#pingSentMs > this.#timing.pongTimeoutMs) {
      this.counters.pongTimeouts++;
      this.#drop(`no pong within ${this.#timing.pongTimeoutMs} ms`);
      return;
    }
    const stale = this.#timing.dataStaleAfterMs;
    if (stale !== null && this.#ready && this.#wanted.size > 0 && now - this.#lastDataMs > stale) {
      this.counters.staleDrops++;
      this.#drop(`no data for ${stale} ms`);
      return;
    }
    if (this.#attempt > 0 && this.#health === 'open' && now - this.#openedAtMs > this.#timing.healthyResetMs) this.#attempt = 0;
  }

  #onMessage(ws: WebSocket, data: WebSocket.RawData): void {
    if (ws !== this.#ws) return;
    const now = Date.now();
    this.#lastMessageMs = now;
    this.counters.messages++;
    const text = data.toString();
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.#log.warn('a message that is not JSON', { bytes: text.length, sample: text.slice(0, SAMPLE_CHARS) });
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.#log.warn('a message that is not a JSON object', { sample: text.slice(0, SAMPLE_CHARS) });
      return;
    }
    const m = msg as Record<string, unknown>;
    if ('topic' in m && typeof m['topic'] !== 'string') {
      this.#log.warn('a message whose topic is not a string', { sample: text.slice(0, SAMPLE_CHARS) });
      return;
    }
    if (typeof m['topic'] === 'string') {
      this.#lastDataMs = now;
      this.#pingSentMs = null;
      if (this.#health !== 'open') this.#setHealth('open', 'receiving');
      this.#handlers.onData(m, now);
      return;
    }
    const op = m['op'];
    if (op === 'pong' || (op === 'ping' && m['ret_msg'] === 'pong')) {
      this.#pingSentMs = null;
      if (this.#health !== 'open' && this.#ready) this.#setHealth('open', 'pong received');
      return;
    }
    if (op === 'auth') {
      this.#onAuthAnswer(m);
      return;
    }
    if (op === 'subscribe' || op === 'unsubscribe') {
      const reqId = typeof m['req_id'] === 'string' ? m['req_id'] : '';
      const topics = this.#pendingSubs.get(reqId) ?? [];
      this.#pendingSubs.delete(reqId);
      if (m['success'] === false) {
        const retMsg = typeof m['ret_msg'] === 'string' ? m['ret_msg'] : '';
        this.counters.subscribeFailures++;
        this.#log.warn(`${String(op)} refused`, { retMsg, topics: topics.join(',') });
        this.#handlers.onSubscribeFailed?.(retMsg, topics);
      } else if (this.#health !== 'open' && this.#ready) {
        this.#setHealth('open', 'subscribed');
      }
      return;
    }
    this.#log.warn('a message with neither a known topic nor a known op', { sample: text.slice(0, SAMPLE_CHARS) });
  }

  #onAuthAnswer(m: Record<string, unknown>): void {
    if (this.#authTimer !== null) {
      clearTimeout(this.#authTimer);
      this.#authTimer = null;
    }
    if (m['success'] === true) {
      this.#becomeReady();
      this.#setHealth('open', 'authenticated');
      return;
    }
    const retMsg = typeof m['ret_msg'] === 'string' ? m['ret_msg'] : 'refused';
    this.counters.authFailures++;
    this.#handlers.onAuthFailed?.(retMsg);
    this.#drop(`auth refused: ${retMsg}`);
  }

  /** Unexpected trouble on a live socket: terminate it; the close handler schedules the reconnect. */
  #drop(reason: string): void {
    const ws = this.#ws;
    this.#log.info('dropping the connection', { reason });
    this.#clearTimers();
    this.#setHealth('stale', reason);
    if (ws !== null) ws.terminate();
  }

  #onClose(ws: WebSocket, code: number): void {
    if (ws !== this.#ws) return;
    this.#ws = null;
    this.#ready = false;
    this.#clearTimers();
    if (this.#state === 'closing') {
      this.#finishClose();
      return;
    }
    // Unexpected: the server, the network or our own deadline closed it. Come back, with backoff.
    const delayMs = backoffDelayMs(this.#attempt, this.#timing.backoff, this.#random);
    this.#attempt++;
    this.#state = 'reconnecting';
    this.counters.reconnects++;
    this.#setHealth('reconnecting', `closed (code ${code}); reconnecting in ${Math.round(delayMs)} ms`);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#state === 'reconnecting') this.#connect();
    }, delayMs);
  }

  #finishClose(): void {
    this.#state = 'idle';
    this.#setHealth('closed', 'closed on request');
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const w of waiters) w();
  }

  #clearTimers(): void {
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    if (this.#watchTimer !== null) clearInterval(this.#watchTimer);
    if (this.#authTimer !== null) clearTimeout(this.#authTimer);
    this.#pingTimer = null;
    this.#watchTimer = null;
    this.#authTimer = null;
  }
}
