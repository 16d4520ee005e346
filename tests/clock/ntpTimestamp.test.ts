import { describe, expect, it } from 'vitest';
import { NtpPacketParser } from 'ntp-packet-parser';
import { isZeroNtpTimestamp, NTP_UNIX_OFFSET_S, readNtpTimestamp, writeNtpTimestamp } from '../../src/clock/ntpTimestamp.js';

describe('NTP timestamps', () => {
  it('encodes the Unix epoch as 2,208,988,800 seconds since 1900 (RFC 5905 figure 4)', () => {
    const buf = Buffer.alloc(8);
    writeNtpTimestamp(buf, 0, 0);
    expect(buf.readUInt32BE(0)).toBe(NTP_UNIX_OFFSET_S);
    expect(buf.readUInt32BE(4)).toBe(0);
  });

  it('round-trips epoch ms with sub-microsecond precision, half a second being fraction 2^31', () => {
    const buf = Buffer.alloc(8);
    writeNtpTimestamp(buf, 0, 1_700_000_000_500);
    expect(buf.readUInt32BE(4), '0.5 s is half of 2^32').toBe(2 ** 31);
    for (const ms of [1_700_000_000_123.456, 1_767_225_599_999.999, 946_684_800_000.001]) {
      writeNtpTimestamp(buf, 0, ms);
      expect(Math.abs(readNtpTimestamp(buf, 0) - ms)).toBeLessThan(0.001);
    }
  });

  it('agrees with the ntp-packet-parser library to the millisecond', () => {
    const packet = Buffer.alloc(48);
    packet[0] = (4 << 3) | 4;
    packet[1] = 2;
    const ms = 1_735_689_600_250.75;
    writeNtpTimestamp(packet, 40, ms);
    const parsed = NtpPacketParser.parse(packet);
    // The library truncates to whole ms (a Date); we keep the fraction.
    expect(parsed.transmitTimestamp?.getTime()).toBe(Math.floor(ms));
    expect(readNtpTimestamp(packet, 40)).toBeCloseTo(ms, 3);
  });

  it('keeps working after the 2036 era rollover (RFC 4330 section 3)', () => {
    const buf = Buffer.alloc(8);
    const after2036 = Date.UTC(2040, 0, 1);
    writeNtpTimestamp(buf, 0, after2036);
    expect(buf.readUInt32BE(0), 'seconds wrapped into era 1').toBeLessThan(2 ** 31);
    expect(readNtpTimestamp(buf, 0)).toBe(after2036);
  });

  it('recognises the all-zero "not set" timestamp', () => {
    expect(isZeroNtpTimestamp(Buffer.alloc(8), 0)).toBe(true);
    const buf = Buffer.alloc(8);
    writeNtpTimestamp(buf, 0, 1);
    expect(isZeroNtpTimestamp(buf, 0)).toBe(false);
  });
});
