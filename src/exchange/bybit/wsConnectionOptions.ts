/**
 * What a ./wsConnection.ts is built with and talks to: its options, the handlers it reports to, and
 * the counters it keeps (plain data, read by ./bybitStreams.ts and the benchmarks).
 */
import type { StreamHealth } from '../../engine/exchangePort.js';
import type { Logger } from '../../util/logger.js';
import type { WsTiming } from './wsTiming.js';

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
  /** Frames larger than this close the socket (then it reconnects). Default ./wsConnection.ts's MAX_FRAME_BYTES. */
  readonly maxFrameBytes?: number;
}

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
