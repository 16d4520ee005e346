import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { NtpPacketParser } from 'ntp-packet-parser';
import { startNtpResponder, type NtpResponder } from '../../src/clock/ntpResponder.js';
import { readNtpTimestamp, writeNtpTimestamp } from '../../src/clock/ntpTimestamp.js';

/** Sends one raw packet to the responder and waits for one reply (or null after `waitMs`). */
async function exchange(port: number, request: Buffer, waitMs = 1000): Promise<Buffer | null> {
  const socket = createSocket('udp4');
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), waitMs);
      socket.on('message', (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      socket.send(request, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

function clientPacket(version: number, transmitMs: number): Buffer {
  const packet = Buffer.alloc(48);
  packet[0] = (version << 3) | 3;
  packet[2] = 6;
  writeNtpTimestamp(packet, 40, transmitMs);
  return packet;
}

describe('startNtpResponder', () => {
  let responder: NtpResponder | undefined;
  afterEach(async () => {
    await responder?.close();
    responder = undefined;
  });

  it('answers a v4 client request as a synchronised stratum-1 server, echoing the transmit timestamp as origin', async () => {
    responder = await startNtpResponder({ offsetMs: 5000 });
    const request = clientPacket(4, Date.now());
    const before = Date.now();
    const reply = await exchange(responder.port, request);
    const after = Date.now();
    expect(reply).not.toBeNull();
    const parsed = NtpPacketParser.parse(reply!);
    expect(parsed).toMatchObject({ leapIndicator: 0, version: 4, mode: 4, stratum: 1, poll: 6, referenceId: 'LOCL' });
    expect(reply!.subarray(24, 32).equals(request.subarray(40, 48)), 'origin echoes our transmit timestamp byte for byte').toBe(true);
    const t2 = readNtpTimestamp(reply!, 32);
    const t3 = readNtpTimestamp(reply!, 40);
    expect(t2).toBeGreaterThanOrEqual(before + 5000 - 1);
    expect(t3).toBeLessThanOrEqual(after + 5000 + 1);
    expect(t3).toBeGreaterThanOrEqual(t2);
  });

  it('answers NTPv3 requests with version 3, and ignores packets that are not client requests', async () => {
    responder = await startNtpResponder();
    const v3 = await exchange(responder.port, clientPacket(3, Date.now()));
    expect(NtpPacketParser.parse(v3!).version).toBe(3);
    const serverMode = clientPacket(4, Date.now());
    serverMode[0] = (4 << 3) | 4;
    expect(await exchange(responder.port, serverMode, 200), 'a mode-4 packet is not a request').toBeNull();
    expect(await exchange(responder.port, Buffer.alloc(20), 200), 'a short packet is ignored').toBeNull();
  });

  it('holds the reply for the one-way delay on each leg, and applies offset and delay changes to later requests', async () => {
    responder = await startNtpResponder({ delayMs: 60 });
    const t1 = Date.now();
    const reply = await exchange(responder.port, clientPacket(4, t1));
    const t4 = Date.now();
    expect(t4 - t1, 'round trip covers both legs').toBeGreaterThanOrEqual(119);
    const t2 = readNtpTimestamp(reply!, 32);
    expect(t2 - t1, 'T2 stamped after the inbound delay').toBeGreaterThanOrEqual(59);
    responder.setDelayMs(0);
    responder.setOffsetMs(-2000);
    const t1b = Date.now();
    const second = await exchange(responder.port, clientPacket(4, t1b));
    expect(Date.now() - t1b).toBeLessThan(50);
    expect(readNtpTimestamp(second!, 32) - t1b).toBeLessThan(-1900);
    expect(() => responder!.setDelayMs(-1)).toThrow(/delayMs/);
  });

  it('fails clearly when the port is taken', async () => {
    responder = await startNtpResponder();
    await expect(startNtpResponder({ port: responder.port })).rejects.toThrow(/cannot bind NTP responder/);
  });
});
