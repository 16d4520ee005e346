/**
 * A loopback NTP server (RFC 5905 mode 4 replies to v3/v4 mode 3 requests) with a configurable clock
 * offset and a simulated symmetric network delay. It stands in for public NTP servers in tests and in
 * the sandbox (`dist/sandbox.js --ntp-port`, DESIGN section 4), so the bot's clock discipline can be
 * exercised without the internet.
 *
 * With one-way delay d: T2 (receive) and T3 (transmit) are stamped as the moment d after the request
 * arrived, and the reply is sent 2d after it arrived, so a correct client measures offset ≈ offsetMs
 * and delay ≈ 2d (RFC 5905 section 8 formulas).
 *
 * It can also lie the way a broken server does (issue 20, item 5): `setOffsetPatternMs([0, 3000])`
 * answers each packet with the next offset of the pattern, in turn.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { createEpochClock } from './epochClock.js';
import { writeNtpTimestamp } from './ntpTimestamp.js';

export interface NtpResponderOptions {
  /** Interface to bind; default 127.0.0.1 (loopback only). */
  host?: string;
  /** UDP port; default 0 (ephemeral, read it back from `port`). */
  port?: number;
  /** How far the responder's clock is ahead of the machine clock, ms (negative: behind). */
  offsetMs?: number;
  /** Simulated one-way network delay, ms, applied on the way in and on the way out. */
  delayMs?: number;
}

export interface NtpResponder {
  readonly port: number;
  /** One offset for every reply (clears a pattern). */
  setOffsetMs(ms: number): void;
  /** Each reply uses the next offset of the list, cycling: a server that answers packets inconsistently. */
  setOffsetPatternMs(ms: readonly number[]): void;
  setDelayMs(ms: number): void;
  close(): Promise<void>;
}

export class NtpResponderError extends Error {
  override name = 'NtpResponderError';
}

const NTP_PACKET_BYTES = 48;
const MODE_CLIENT = 3;
const MODE_SERVER = 4;
/** Stratum 1: a primary server with its own reference clock (RFC 5905 figure 11). */
const STRATUM = 1;
/** log2 seconds: 2^-20 s ≈ 1 µs, the resolution of the timer we stamp with. */
const PRECISION_LOG2 = -20;
/** Root dispersion 65/65536 s ≈ 1 ms in NTP short format (16.16): small, as for a disciplined local clock. */
const ROOT_DISPERSION_SHORT = 0x0000_0041;
/** Stratum-1 reference identifiers are four ASCII characters; "LOCL" = uncalibrated local clock. */
const REFERENCE_ID = 'LOCL';

function checkMs(name: string, ms: number, min: number): number {
  if (!Number.isFinite(ms) || ms < min) {
    throw new NtpResponderError(`${name} must be a finite number of milliseconds${min === 0 ? ' >= 0' : ''}, got ${ms}`);
  }
  return ms;
}

export async function startNtpResponder(opts: NtpResponderOptions = {}): Promise<NtpResponder> {
  const host = opts.host ?? '127.0.0.1';
  let offsetMs = checkMs('offsetMs', opts.offsetMs ?? 0, -Infinity);
  let pattern: readonly number[] = [];
  let replies = 0;
  let delayMs = checkMs('delayMs', opts.delayMs ?? 0, 0);
  const epochMs = createEpochClock();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const socket: Socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');

  /**
   * Runs `fn` once the epoch clock reaches `dueMs`. Node measures timers from the event loop's cached
   * time, which on a busy loop is behind, so a timer can fire early: check and re-arm until due.
   */
  const at = (dueMs: number, fn: () => void): void => {
    const waitMs = dueMs - epochMs();
    if (waitMs <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) at(dueMs, fn);
    }, Math.ceil(waitMs));
    timers.add(timer);
  };

  const reply = (request: Buffer, peer: RemoteInfo): void => {
    if (request.length < NTP_PACKET_BYTES) return;
    const first = request[0]!;
    const version = (first >> 3) & 0b111;
    if ((first & 0b111) !== MODE_CLIENT || (version !== 3 && version !== 4)) return;
    // The delay in force when the request arrived applies to both legs of this exchange. T2 and T3
    // are the arrival time plus d, computed rather than read when the timer fires, so a late timer on
    // a busy machine does not skew the simulated path; the reply is due at arrival + 2d.
    const arrivedMs = epochMs();
    const d = delayMs;
    const offsetNowMs = pattern.length > 0 ? pattern[replies++ % pattern.length]! : offsetMs;
    const stampedMs = arrivedMs + d + offsetNowMs;
    const out = Buffer.alloc(NTP_PACKET_BYTES);
    out[0] = (0 << 6) | (version << 3) | MODE_SERVER; // leap indicator 0: synchronised
    out[1] = STRATUM;
    out[2] = request[2]!; // echo the client's poll interval
    out.writeInt8(PRECISION_LOG2, 3);
    out.writeUInt32BE(0, 4); // root delay: we are the reference
    out.writeUInt32BE(ROOT_DISPERSION_SHORT, 8);
    out.write(REFERENCE_ID, 12, 4, 'ascii');
    writeNtpTimestamp(out, 16, Math.floor(stampedMs / 1000) * 1000); // reference: last "sync", on the second
    request.copy(out, 24, 40, 48); // origin = the client's transmit timestamp, byte for byte
    writeNtpTimestamp(out, 32, stampedMs);
    // Without a simulated delay, T3 is the real transmit time (a real server's processing time).
    writeNtpTimestamp(out, 40, d > 0 ? stampedMs : epochMs() + offsetNowMs);
    at(arrivedMs + 2 * d, () => {
      socket.send(out, peer.port, peer.address);
    });
  };

  socket.on('message', reply);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(new NtpResponderError(`cannot bind NTP responder on ${host}:${opts.port ?? 0}: ${err.message}`));
    socket.once('error', onError);
    socket.bind(opts.port ?? 0, host, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  // A send error (e.g. the client went away) must not crash the host process.
  socket.on('error', () => undefined);
  const port = socket.address().port;

  return {
    port,
    setOffsetMs(ms: number): void {
      offsetMs = checkMs('offsetMs', ms, -Infinity);
      pattern = [];
    },
    setOffsetPatternMs(ms: readonly number[]): void {
      pattern = ms.map((x) => checkMs('offsetMs', x, -Infinity));
      replies = 0;
    },
    setDelayMs(ms: number): void {
      delayMs = checkMs('delayMs', ms, 0);
    },
    close(): Promise<void> {
      if (closed) return Promise.resolve();
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise((resolve) => socket.close(() => resolve()));
    },
  };
}
