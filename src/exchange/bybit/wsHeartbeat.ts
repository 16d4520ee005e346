/**
 * Liveness of one open Bybit socket (STYLE point 9: ping with a pong deadline). Two periodic timers,
 * not one per message, so an idle stream costs next to nothing (bench/streams.bench.ts): one sends
 * pings, the other checks the deadlines. The heartbeat only judges; its owner sends the ping and
 * drops the socket.
 */
import type { WsTiming } from './wsTiming.js';

/** Why a socket should be dropped: no answer to a ping, or no topic data for too long. */
export type WsVerdict = 'noPong' | 'noData' | null;

export class WsHeartbeat {
  readonly #timing: Pick<WsTiming, 'pingIntervalMs' | 'pongTimeoutMs' | 'dataStaleAfterMs'>;
  #lastMessageMs = 0;
  #lastDataMs = 0;
  /** When the outstanding ping went out; null when none is outstanding. */
  #pingSentMs: number | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  #watchTimer: NodeJS.Timeout | null = null;

  constructor(timing: Pick<WsTiming, 'pingIntervalMs' | 'pongTimeoutMs' | 'dataStaleAfterMs'>) {
    this.#timing = timing;
  }

  /** A socket just opened at `nowMs`: `ping` every ping interval, `watch` often enough to catch a deadline. */
  start(nowMs: number, ping: () => void, watch: () => void): void {
    this.#lastMessageMs = nowMs;
    this.#lastDataMs = nowMs;
    this.#pingSentMs = null;
    this.#pingTimer = setInterval(ping, this.#timing.pingIntervalMs);
    this.#pingTimer.unref();
    const stale = this.#timing.dataStaleAfterMs;
    const watchEvery = Math.max(10, Math.min(this.#timing.pongTimeoutMs, stale ?? Infinity) / 4);
    this.#watchTimer = setInterval(watch, watchEvery);
    this.#watchTimer.unref();
  }

  stop(): void {
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    if (this.#watchTimer !== null) clearInterval(this.#watchTimer);
    this.#pingTimer = null;
    this.#watchTimer = null;
  }

  /** A ping is going out; one outstanding ping at a time, judged from the first. */
  pingSent(nowMs: number): void {
    if (this.#pingSentMs === null) this.#pingSentMs = nowMs;
  }

  /** Anything arrived: the socket is alive. */
  messageReceived(nowMs: number): void {
    this.#lastMessageMs = nowMs;
  }

  /** Topic data arrived: it answers any ping too. */
  dataReceived(nowMs: number): void {
    this.#lastDataMs = nowMs;
    this.#pingSentMs = null;
  }

  pongReceived(): void {
    this.#pingSentMs = null;
  }

  /** The deadline check at `nowMs`; the data deadline only counts while `expectingData`. */
  verdict(nowMs: number, expectingData: boolean): WsVerdict {
    if (this.#pingSentMs !== null && this.#lastMessageMs < this.#pingSentMs && nowMs - this.#pingSentMs > this.#timing.pongTimeoutMs) return 'noPong';
    const stale = this.#timing.dataStaleAfterMs;
    if (stale !== null && expectingData && nowMs - this.#lastDataMs > stale) return 'noData';
    return null;
  }
}
