/**
 * The clocks of one Bybit WebSocket connection (./wsConnection.ts): ping cadence and deadlines per
 * Bybit's stream rules (reference section 2), and the reconnect backoff (STYLE point 9).
 */
import type { BackoffPolicy } from '../../util/backoffDelayMs.js';

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
