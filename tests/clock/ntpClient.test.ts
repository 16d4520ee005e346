import { createSocket, type Socket } from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { NtpTimeSync } from 'ntp-time-sync';
import { combineNtpResults, isInconsistent } from '../../src/clock/combineNtpResults.js';
import { measureNtp, parseNtpServer, queryNtpServer, type NtpServerResult } from '../../src/clock/ntpClient.js';
import { startNtpResponder, type NtpResponder } from '../../src/clock/ntpResponder.js';
import { writeNtpTimestamp } from '../../src/clock/ntpTimestamp.js';

const opened: { close(): unknown }[] = [];
afterAll(async () => {
  await Promise.all(opened.map((o) => o.close()));
});

async function responder(offsetMs: number, delayMs = 0): Promise<NtpResponder> {
  const r = await startNtpResponder({ offsetMs, delayMs });
  opened.push(r);
  return r;
}

/** A raw UDP server whose replies the test writes itself (for forged and kiss-o'-death replies). */
async function rawServer(onRequest: (request: Buffer, reply: (packet: Buffer) => void) => void): Promise<{ port: number; socket: Socket }> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, peer) => onRequest(msg, (packet) => socket.send(packet, peer.port, peer.address)));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  opened.push(socket);
  return { port: socket.address().port, socket };
}

function serverReply(request: Buffer, opts: { stratum?: number; refId?: string; originShift?: number } = {}): Buffer {
  const out = Buffer.alloc(48);
  out[0] = (4 << 3) | 4;
  out[1] = opts.stratum ?? 2;
  out.write(opts.refId ?? '\x0a\x00\x00\x01', 12, 4, 'latin1');
  request.copy(out, 24, 40, 48);
  if (opts.originShift !== undefined) out.writeUInt32BE((out.readUInt32BE(28) + opts.originShift) >>> 0, 28);
  writeNtpTimestamp(out, 32, Date.now());
  writeNtpTimestamp(out, 40, Date.now());
  return out;
}

describe('NTP client against the loopback responder (issue 4 "Done when")', () => {
  // θ from −5000 to +5000 ms, both signs, small and large; symmetric one-way delay d up to 250 ms.
  const offsets = [-5000, -30, 0, 30, 5000];
  const delays = [0, 150, 250];
  const cases = offsets.flatMap((offsetMs) => delays.map((delayMs) => ({ offsetMs, delayMs })));

  it.concurrent.each(cases)('measures θ=$offsetMs ms within ±10 ms with one-way delay $delayMs ms', async ({ offsetMs, delayMs }) => {
    const r = await responder(offsetMs, delayMs);
    // Four samples: on a busy machine a late timer inflates one sample's delay; the lowest-delay one wins.
    const result = await queryNtpServer(`127.0.0.1:${r.port}`, { samplesPerServer: 4, timeoutMs: 2000 });
    expect(result.ok, result.error).toBe(true);
    expect(Math.abs(result.offsetMs! - offsetMs), `measured ${result.offsetMs}, delay ${result.delayMs}`).toBeLessThanOrEqual(10);
    expect(result.delayMs!, 'delay is both legs').toBeGreaterThanOrEqual(2 * delayMs - 2);
    expect(result.delayMs!).toBeLessThan(2 * delayMs + 60);
    expect(result.uncertaintyMs!, 'uncertainty covers half the round trip').toBeGreaterThanOrEqual(result.delayMs! / 2);
    expect(result.samplesAccepted).toBe(4);
  });

  it.concurrent("shows why ntp-time-sync's getTime() offset is not used: +30 ms true offset with 150 ms each way", async () => {
    const r = await responder(30, 150);
    const naive = await new NtpTimeSync({ servers: [`127.0.0.1:${r.port}`], sampleCount: 1, replyTimeout: 2000 }).getTime(true);
    // The issue measured −152 ms; its formula gives sign(T3−T4)·(|T2−T1|+|T3−T4|)/2 ≈ −(180+120)/2.
    expect(naive.offset, 'library reports the wrong sign and size').toBeLessThan(-100);
    const ours = await queryNtpServer(`127.0.0.1:${r.port}`, { samplesPerServer: 3 });
    expect(Math.abs(ours.offsetMs! - 30)).toBeLessThanOrEqual(10);
  });
});

describe('NTP client: bad replies and bad servers', () => {
  it('rejects a reply whose origin timestamp does not match the request', async () => {
    const { port } = await rawServer((req, reply) => reply(serverReply(req, { originShift: 1 })));
    const result = await queryNtpServer(`127.0.0.1:${port}`, { samplesPerServer: 2, timeoutMs: 150 });
    expect(result.ok).toBe(false);
    expect(result.offsetMs).toBeUndefined();
    expect(result.error).toMatch(/origin timestamp does not match/);
    expect(result.rejected?.[0]).toMatch(/origin timestamp does not match/);
  });

  it('ignores a forged reply and still takes the genuine one that follows it', async () => {
    const { port } = await rawServer((req, reply) => {
      reply(serverReply(req, { originShift: 7 }));
      setTimeout(() => reply(serverReply(req)), 5);
    });
    const result = await queryNtpServer(`127.0.0.1:${port}`, { samplesPerServer: 1, timeoutMs: 1000 });
    expect(result.ok).toBe(true);
    // This server stamps with Date.now() (1 ms steps); the true offset lies within δ/2 of the estimate.
    expect(Math.abs(result.offsetMs!)).toBeLessThanOrEqual(result.delayMs! / 2 + 2);
    expect(result.rejected).toHaveLength(1);
  });

  it("reports a kiss-o'-death (stratum 0, RATE) instead of using it", async () => {
    const { port } = await rawServer((req, reply) => reply(serverReply(req, { stratum: 0, refId: 'RATE' })));
    const result = await queryNtpServer(`127.0.0.1:${port}`, { samplesPerServer: 1, timeoutMs: 150 });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/kiss-o'-death RATE/);
  });

  it('handles a closed port quickly (ICMP unreachable) and a silent server within its timeouts', async () => {
    const closed = createSocket('udp4');
    await new Promise<void>((resolve) => closed.bind(0, '127.0.0.1', resolve));
    const closedPort = closed.address().port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { port: silentPort } = await rawServer(() => undefined);

    const started = performance.now();
    const [refused, silent] = await Promise.all([
      queryNtpServer(`127.0.0.1:${closedPort}`, { samplesPerServer: 4, timeoutMs: 300 }),
      queryNtpServer(`127.0.0.1:${silentPort}`, { samplesPerServer: 4, timeoutMs: 300 }),
    ]);
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/ECONNREFUSED/);
    expect(silent.ok).toBe(false);
    expect(silent.error).toMatch(/no reply within 300 ms/);
    expect(silent.samplesSent, 'gives up after two silent requests instead of paying all four timeouts').toBe(2);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('takes the median across servers and sets a disagreeing server aside', async () => {
    const a = await responder(1000);
    const b = await responder(1004);
    const bad = await responder(-3000);
    const { port: silentPort } = await rawServer(() => undefined);
    const m = await measureNtp(
      [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`, `127.0.0.1:${bad.port}`, `127.0.0.1:${silentPort}`],
      { samplesPerServer: 3, timeoutMs: 200 },
    );
    expect(Math.abs(m.offsetMs - 1002)).toBeLessThanOrEqual(10);
    expect(m.agreeingServers).toBe(2);
    expect(m.uncertaintyMs, 'spread of the two good servers, not the bad one').toBeLessThan(40);
    const byServer = new Map(m.servers.map((s) => [s.server, s]));
    expect(byServer.get(`127.0.0.1:${bad.port}`)?.falseticker).toBe(true);
    expect(byServer.get(`127.0.0.1:${silentPort}`)?.ok).toBe(false);
    expect(byServer.get(`127.0.0.1:${a.port}`)?.falseticker).toBeUndefined();
  });

  it('checks a round of samples against each other: an honest server overlaps, one answering 0 / +3 s per packet does not', async () => {
    const fair = await responder(1000);
    const liar = await responder(0);
    liar.setOffsetPatternMs([0, 3000]);
    const [good, bad] = await Promise.all([
      queryNtpServer(`127.0.0.1:${fair.port}`, { samplesPerServer: 4, timeoutMs: 300 }),
      queryNtpServer(`127.0.0.1:${liar.port}`, { samplesPerServer: 4, timeoutMs: 300 }),
    ]);
    expect(good.sampleSpreadMs!, 'an honest round stays inside its error bounds').toBeLessThanOrEqual(good.sampleSpreadLimitMs!);
    expect(isInconsistent(good)).toBe(false);
    expect(Math.abs(bad.sampleSpreadMs! - 3000)).toBeLessThan(20);
    expect(bad.sampleSpreadLimitMs!, 'bound: both samples\' half round trip, root distance and precision, plus 10 ms').toBeLessThan(40);
    expect(isInconsistent(bad)).toBe(true);
    const alone = combineNtpResults([bad])!;
    expect(alone.inconsistent, 'a lone inconsistent server still gives an offset, flagged').toMatchObject({ server: bad.server, spreadMs: bad.sampleSpreadMs });
    const among = combineNtpResults([bad, good])!;
    expect(among.inconsistent, 'set aside when a consistent server answered').toBeUndefined();
    expect(Math.abs(among.offsetMs - 1000)).toBeLessThanOrEqual(10);
  });

  it('throws a named error listing each server when none answers', async () => {
    const { port } = await rawServer(() => undefined);
    await expect(measureNtp([`127.0.0.1:${port}`], { samplesPerServer: 1, timeoutMs: 100 })).rejects.toMatchObject({
      name: 'NtpMeasurementError',
      message: expect.stringContaining(`127.0.0.1:${port}: no reply within 100 ms`),
    });
  });
});

describe('combineNtpResults and parseNtpServer', () => {
  const server = (name: string, offsetMs: number, uncertaintyMs = 5): NtpServerResult => ({
    server: name,
    ok: true,
    offsetMs,
    delayMs: uncertaintyMs * 2,
    uncertaintyMs,
    samplesSent: 1,
    samplesAccepted: 1,
  });

  it('refuses to pick a side when two servers disagree: the uncertainty grows to cover both', () => {
    const m = combineNtpResults([server('a', 0), server('b', 400)]);
    expect(m?.offsetMs).toBe(200);
    expect(m?.agreeingServers, 'neither agrees with the other').toBe(1);
    expect(m?.uncertaintyMs, 'half the gap plus a server uncertainty').toBe(205);
    expect(combineNtpResults([{ server: 'x', ok: false, samplesSent: 1, samplesAccepted: 0, error: 'timeout' }])).toBeNull();
  });

  it('parses host, host:port and IPv6 forms, and names a bad port', () => {
    expect(parseNtpServer('time.google.com')).toEqual({ host: 'time.google.com', port: 123, label: 'time.google.com:123' });
    expect(parseNtpServer('127.0.0.1:1123')).toEqual({ host: '127.0.0.1', port: 1123, label: '127.0.0.1:1123' });
    expect(parseNtpServer('[::1]:1123')).toEqual({ host: '::1', port: 1123, label: '[::1]:1123' });
    expect(parseNtpServer('2001:db8::1').port).toBe(123);
    expect(() => parseNtpServer('host:0')).toThrow(/port must be a whole number from 1 to 65535/);
    expect(() => parseNtpServer('host:abc')).toThrow(/port/);
    expect(() => parseNtpServer('')).toThrow(/expected host/);
  });
});
