/**
 * NTP 64-bit timestamps (RFC 5905 section 6): 32-bit seconds since 1900-01-01 00:00 UTC and a 32-bit
 * binary fraction of a second, big-endian. Converted to and from Unix epoch milliseconds with
 * sub-microsecond precision (the fraction is read as two 32-bit integers, never as one 64-bit float).
 */

/** Seconds from 1900-01-01 to 1970-01-01 (RFC 5905 figure 4: 2,208,988,800). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;

const TWO_32 = 2 ** 32;

/** Writes `epochMs` as an NTP timestamp at `offset` (8 bytes). Seconds wrap at era boundaries (2036). */
export function writeNtpTimestamp(buf: Buffer, offset: number, epochMs: number): void {
  const wholeMs = Math.floor(epochMs);
  const wholeS = Math.floor(wholeMs / 1000);
  const fracMs = wholeMs - wholeS * 1000 + (epochMs - wholeMs);
  const frac = Math.min(TWO_32 - 1, Math.floor((fracMs / 1000) * TWO_32));
  buf.writeUInt32BE((wholeS + NTP_UNIX_OFFSET_S) % TWO_32, offset);
  buf.writeUInt32BE(frac, offset + 4);
}

/**
 * Reads an NTP timestamp at `offset` as Unix epoch ms. Seconds with the top bit clear are taken to be
 * in era 1 (from 2036-02-07), as RFC 4330 section 3 recommends, so this keeps working past 2036.
 */
export function readNtpTimestamp(buf: Buffer, offset: number): number {
  let seconds = buf.readUInt32BE(offset);
  const frac = buf.readUInt32BE(offset + 4);
  if (seconds < 2 ** 31) seconds += TWO_32;
  return (seconds - NTP_UNIX_OFFSET_S) * 1000 + (frac / TWO_32) * 1000;
}

/** An all-zero timestamp means "not set" (RFC 5905 section 6). */
export function isZeroNtpTimestamp(buf: Buffer, offset: number): boolean {
  return buf.readUInt32BE(offset) === 0 && buf.readUInt32BE(offset + 4) === 0;
}
