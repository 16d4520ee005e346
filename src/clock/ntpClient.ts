/**
 * NTP client (issue 4, item 1): several samples per server, the lowest-delay sample kept, the
 * round's other samples checked against it (a server answering different times to different packets
 * is inconsistent), servers combined by their median with falsetickers set aside (combineNtpResults.ts).
 *
 * Why not `ntp-time-sync`'s `getTime()`: its offset is
 * `sign(T3 − T4) · (|T2 − T1| + |T3 − T4|) / 2`, which is wrong whenever the true offset is smaller
 * than the one-way delay (true +30 ms with 150 ms each way reads as −150 ms; the issue measured
 * −152 ms). We use RFC 5905 section 8: θ = ((T2 − T1) + (T3 − T4)) / 2, δ = (T4 − T1) − (T3 − T2).
 *
 * Why not its per-server `getNetworkTime()` either: it builds the request inside (a private method
 * stamping `Date.now()`), so we cannot know the transmit timestamp the server will echo and cannot
 * check the origin timestamp (RFC 5905 section 8, the "bogus" test that rejects stale and forged
 * replies); it stamps the request before `send()` resolves the host name, so DNS time pollutes T1; its
 * T4 is a 1 ms `Date`; and its socket error handler is a no-op, so an ICMP "port unreachable" only
 * shows up as a timeout. So the UDP exchange is done here with `node:dgram` on a connected socket, T1
 * and T4 come from a high-resolution epoch clock, and the library's packet parser
 * (`ntp-packet-parser`, the parser `ntp-time-sync` itself uses) decodes the header fields. T2/T3 are
 * decoded here too, because that parser returns them as `Date`s truncated to whole milliseconds.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { NtpPacketParser } from 'ntp-packet-parser';
import { UsageError } from '../util/errors.js';
import { combineNtpResults, sampleSpread, type NtpMeasurement } from './combineNtpResults.js';
import { createEpochClock, type EpochMs } from './epochClock.js';
import type { NtpServerResult } from './ntpServerResult.js';
import { isZeroNtpTimestamp, readNtpTimestamp, writeNtpTimestamp } from './ntpTimestamp.js';

export type { NtpServerResult } from './ntpServerResult.js';

export const NTP_DEFAULT_PORT = 123;

export interface NtpServerSpec {
  readonly host: string;
  readonly port: number;
  /** `host:port` (IPv6 as `[addr]:port`), used in reports. */
  readonly label: string;
}

/** One request/reply, all times in Unix epoch ms. T1/T4 are the client's clock, T2/T3 the server's. */
export interface NtpSample {
  readonly t1Ms: number;
  readonly t2Ms: number;
  readonly t3Ms: number;
  readonly t4Ms: number;
  readonly offsetMs: number;
  readonly delayMs: number;
}

export interface NtpQueryOptions {
  /** Requests per server; the lowest-delay valid reply is used. Default 4. */
  readonly samplesPerServer?: number;
  /** Per-request reply deadline (and DNS lookup deadline), ms. Default 2000. */
  readonly timeoutMs?: number;
  /** Clock for T1/T4; default a high-resolution epoch clock. */
  readonly epochMs?: EpochMs;
}

export class NtpError extends Error {
  override name = 'NtpError';
}

const NTP_PACKET_BYTES = 48;
const MODE_CLIENT = 3;
const MODE_SERVER = 4;
/** Two lost replies in a row with nothing received: the server is unreachable, stop paying timeouts. */
const MAX_CONSECUTIVE_TIMEOUTS = 2;
const MAX_REJECTIONS_REPORTED = 5;
/** Parses `host`, `host:port`, `[v6]:port` or a bare IPv6 address. Throws UsageError on bad input. */
export function parseNtpServer(spec: string, defaultPort = NTP_DEFAULT_PORT): NtpServerSpec {
  const text = spec.trim();
  let host = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (text.split(':').length === 2) {
    [host, portText] = text.split(':') as [string, string];
  }
  if (host === '' || /\s|\//.test(host)) throw new UsageError(`NTP server "${spec}": expected host or host:port`);
  let port = defaultPort;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65_535) {
      throw new UsageError(`NTP server "${spec}": port must be a whole number from 1 to 65535`);
    }
  }
  const label = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  return { host, port, label };
}

/** Microsecond rounding keeps reports readable; the timers behind them are not finer than that. */
const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

async function resolveHost(host: string, timeoutMs: number): Promise<{ address: string; family: 4 | 6 }> {
  const ipFamily = isIP(host);
  if (ipFamily !== 0) return { address: host, family: ipFamily === 6 ? 6 : 4 };
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      lookup(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new NtpError(`DNS lookup timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  } finally {
    clearTimeout(timer);
  }
}

/** Why a reply cannot be used, or null when it passes RFC 5905's packet sanity tests. */
function rejectReason(reply: Buffer, sentTransmit: Buffer): string | null {
  if (reply.length < NTP_PACKET_BYTES) return `short packet (${reply.length} bytes)`;
  // Origin first: a reply that does not answer this request says nothing about anything else.
  if (!reply.subarray(24, 32).equals(sentTransmit)) return 'origin timestamp does not match the request (stale or forged reply)';
  const header = NtpPacketParser.parse(reply);
  if (header.mode !== MODE_SERVER) return `not a server reply (mode ${header.mode})`;
  if (header.version !== 3 && header.version !== 4) return `unsupported NTP version ${header.version}`;
  if (header.stratum === 0) {
    // Kiss-o'-Death (RFC 5905 section 7.4): the reference id is an ASCII code such as RATE or DENY.
    const code = reply.toString('ascii', 12, 16).replace(/[^\x20-\x7e]/g, '');
    return `kiss-o'-death ${code || '(no code)'}`;
  }
  if (header.leapIndicator === 3 || (header.stratum ?? 16) >= 16) return 'server is not synchronised';
  if (isZeroNtpTimestamp(reply, 32) || isZeroNtpTimestamp(reply, 40)) return 'receive or transmit timestamp is zero';
  return null;
}

/** Root distance λ = root delay / 2 + root dispersion (RFC 5905 section 11.2.1), from NTP short format. */
function rootDistanceMs(reply: Buffer): number {
  const rootDelayMs = (reply.readUInt32BE(4) / 65_536) * 1000;
  const rootDispersionMs = (reply.readUInt32BE(8) / 65_536) * 1000;
  return rootDelayMs / 2 + rootDispersionMs;
}

/** The server's clock precision, 2^precision s (RFC 5905 section 7.3), ms: what one of its stamps can resolve. */
function precisionMs(reply: Buffer): number {
  return 2 ** reply.readInt8(3) * 1000;
}

/** A sample's error bound: half its round trip, the server's root distance and its precision. */
function sampleUncertaintyMs(s: { sample: NtpSample; reply: Buffer }): number {
  return s.sample.delayMs / 2 + rootDistanceMs(s.reply) + precisionMs(s.reply);
}

function buildRequest(transmitMs: number): Buffer {
  const request = Buffer.alloc(NTP_PACKET_BYTES);
  request[0] = (0 << 6) | (4 << 3) | MODE_CLIENT; // LI 0, version 4, client
  writeNtpTimestamp(request, 40, transmitMs);
  // The low 16 bits of the fraction (15 µs) are random, so a reply can only match if the server saw
  // this very packet (the nonce role RFC 9109 gives the transmit timestamp). We keep T1 ourselves.
  randomBytes(2).copy(request, 46);
  return request;
}

interface Waiter {
  readonly sentTransmit: Buffer;
  readonly resolve: (value: { reply: Buffer; t4Ms: number } | { error: string }) => void;
}

/**
 * Queries one server `samplesPerServer` times in sequence over one connected UDP socket and keeps the
 * lowest-delay valid sample. Never throws for network trouble: the result says `ok: false` and why.
 */
export async function queryNtpServer(server: string | NtpServerSpec, opts: NtpQueryOptions = {}): Promise<NtpServerResult> {
  const spec = typeof server === 'string' ? parseNtpServer(server) : server;
  const samplesWanted = opts.samplesPerServer ?? 4;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const epochMs = opts.epochMs ?? createEpochClock();
  const rejected: string[] = [];
  const samples: { sample: NtpSample; reply: Buffer }[] = [];
  let sent = 0;
  const failed = (error: string): NtpServerResult => ({
    server: spec.label,
    ok: false,
    samplesSent: sent,
    samplesAccepted: 0,
    ...(rejected.length > 0 ? { rejected } : {}),
    error,
  });

  let target: { address: string; family: 4 | 6 };
  try {
    target = await resolveHost(spec.host, timeoutMs);
  } catch (err) {
    return failed(`cannot resolve ${spec.host}: ${errorText(err)}`);
  }

  const socket: Socket = createSocket(target.family === 6 ? 'udp6' : 'udp4');
  let waiter: Waiter | null = null;
  let socketError: string | null = null;
  socket.on('error', (err) => {
    socketError = errorText(err);
    waiter?.resolve({ error: socketError });
  });
  socket.on('message', (reply) => {
    const t4Ms = epochMs();
    if (waiter === null) {
      if (rejected.length < MAX_REJECTIONS_REPORTED) rejected.push('reply arrived after its deadline');
      return;
    }
    const reason = rejectReason(reply, waiter.sentTransmit);
    if (reason !== null) {
      // Keep waiting: the genuine reply may still come before the deadline.
      if (rejected.length < MAX_REJECTIONS_REPORTED) rejected.push(reason);
      return;
    }
    waiter.resolve({ reply, t4Ms });
  });

  try {
    // Connected, so the kernel drops datagrams from other addresses and reports ICMP unreachable.
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(spec.port, target.address, () => {
        socket.off('error', reject);
        resolve();
      });
    });

    let consecutiveTimeouts = 0;
    for (let i = 0; i < samplesWanted && socketError === null; i++) {
      const t1Ms = epochMs();
      const request = buildRequest(t1Ms);
      const sentTransmit = Buffer.from(request.subarray(40, 48));
      let timer: NodeJS.Timeout | undefined;
      const outcome = await new Promise<{ reply: Buffer; t4Ms: number } | { error: string }>((resolve) => {
        waiter = { sentTransmit, resolve };
        timer = setTimeout(() => resolve({ error: `no reply within ${timeoutMs} ms` }), timeoutMs);
        sent++;
        socket.send(request, (err) => {
          if (err) resolve({ error: errorText(err) });
        });
      });
      clearTimeout(timer);
      waiter = null;
      if ('error' in outcome) {
        if (socketError !== null) break;
        consecutiveTimeouts++;
        if (samples.length === 0 && consecutiveTimeouts >= MAX_CONSECUTIVE_TIMEOUTS) break;
        continue;
      }
      consecutiveTimeouts = 0;
      const t2Ms = readNtpTimestamp(outcome.reply, 32);
      const t3Ms = readNtpTimestamp(outcome.reply, 40);
      const t4Ms = outcome.t4Ms;
      const sample: NtpSample = {
        t1Ms,
        t2Ms,
        t3Ms,
        t4Ms,
        offsetMs: (t2Ms - t1Ms + (t3Ms - t4Ms)) / 2,
        // Negative only through rounding when the server's processing time exceeds our resolution.
        delayMs: Math.max(0, t4Ms - t1Ms - (t3Ms - t2Ms)),
      };
      samples.push({ sample, reply: outcome.reply });
    }
  } catch (err) {
    socketError = errorText(err);
  } finally {
    try {
      socket.close();
    } catch {
      // Already closed after a socket error: nothing left to release.
    }
  }

  if (samples.length === 0) {
    const why = socketError ?? (rejected.length > 0 ? `no valid reply (${rejected[0]})` : `no reply within ${timeoutMs} ms`);
    return failed(why);
  }
  // The lowest-delay sample has the least room for asymmetric delay (RFC 5905 section 10, clock filter).
  samples.sort((a, b) => a.sample.delayMs - b.sample.delayMs);
  const best = samples[0]!;
  const header = NtpPacketParser.parse(best.reply);
  const jitterMs = Math.sqrt(samples.reduce((acc, s) => acc + (s.sample.offsetMs - best.sample.offsetMs) ** 2, 0) / samples.length);
  const reading = (s: { sample: NtpSample; reply: Buffer }) => ({ offsetMs: s.sample.offsetMs, uncertaintyMs: sampleUncertaintyMs(s) });
  const spread = sampleSpread(reading(best), samples.slice(1).map(reading));
  return {
    server: spec.label,
    ok: true,
    offsetMs: round3(best.sample.offsetMs),
    delayMs: round3(best.sample.delayMs),
    uncertaintyMs: round3(sampleUncertaintyMs(best)),
    jitterMs: round3(jitterMs),
    ...(spread !== null ? { sampleSpreadMs: round3(spread.spreadMs), sampleSpreadLimitMs: round3(spread.limitMs) } : {}),
    stratum: header.stratum ?? 0,
    referenceId: header.referenceId ?? '',
    samplesSent: sent,
    samplesAccepted: samples.length,
    ...(rejected.length > 0 ? { rejected } : {}),
  };
}

/** Queries all servers in parallel and combines them. Throws NtpError when none answered usefully. */
export async function measureNtp(servers: readonly string[], opts: NtpQueryOptions = {}): Promise<NtpMeasurement> {
  const results = await queryAllNtp(servers, opts);
  const combined = combineNtpResults(results);
  if (combined === null) {
    const why = results.map((r) => `${r.server}: ${r.error ?? 'no answer'}`).join('; ');
    throw new NtpMeasurementError(`no NTP server gave a usable reply (${why})`, results);
  }
  return combined;
}

/** The per-server results without combining (for reports when nothing answered). */
export async function queryAllNtp(servers: readonly string[], opts: NtpQueryOptions = {}): Promise<NtpServerResult[]> {
  if (servers.length === 0) throw new UsageError('no NTP servers configured');
  const specs = servers.map((s) => parseNtpServer(s));
  const epochMs = opts.epochMs ?? createEpochClock();
  return Promise.all(specs.map((spec) => queryNtpServer(spec, { ...opts, epochMs })));
}

/** Thrown by `measureNtp` when no server answered; carries each server's failure for reports. */
export class NtpMeasurementError extends NtpError {
  override name = 'NtpMeasurementError';
  constructor(
    message: string,
    readonly servers: readonly NtpServerResult[],
  ) {
    super(message);
  }
}
