/**
 * The backtest JSON (DESIGN section 4) written piece by piece (issue 21): a year of 1m candles makes
 * a 15 MB document whose equity curve alone is 525,600 `[ts, equity]` pairs, so neither the pairs
 * nor the text are ever built whole. The bytes are exactly `JSON.stringify(backtestReport(...))`:
 * the same key order, and each number as JSON.stringify writes it (`String(x)`; null when not
 * finite).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ReportCurves, ReportHead } from './backtestReport.js';
import type { CurveValues } from './curveValues.js';

/** Where the text goes: a file, stdout. */
export interface TextSink {
  write(text: string): void;
  /** ASCII bytes, when the sink takes them as they are (a file); they are reused after the call. */
  writeBytes?(bytes: Uint8Array): void;
}

/** Bytes are handed on in pieces of about this many. */
const PIECE_BYTES = 64 * 1024;

const num = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');

/** Writes the report, then a newline, as `JSON.stringify(report) + '\n'` would. */
export function writeReportJson(head: ReportHead, curves: ReportCurves, sink: TextSink): void {
  const { perf, ...rest } = head;
  // The head may hold any text (the file name): it goes out as it is; the rest is ASCII.
  const start = JSON.stringify(rest);
  sink.write(start.slice(0, -1));
  const out = new AsciiPieces(sink);
  const series = (key: string, values: CurveValues): void => {
    out.text(`,"${key}":[`);
    const times = curves.times;
    for (let i = 0; i < values.length; ) {
      out.point(i > 0, times.at(i), values.at(i));
      // The points after it with the same number and evenly spaced times (most candles: no position
      // open) are the same text with the time moved on (issue 18).
      const end = Math.min(values.sameUntil(i), times.evenUntil(i));
      i += 1 + out.repeat(end - i - 1, times.stepMs);
    }
    out.text(']');
  };
  series('equity', curves.equity);
  if (head.strategy === 'maker') series('inventory', curves.inventory);
  out.text(`,"perf":${JSON.stringify(perf)}}\n`);
  out.flush();
}

/** Writes the report to a file (created or replaced). */
export function writeReportFile(path: string, head: ReportHead, curves: ReportCurves): void {
  const fd = openSync(path, 'w');
  try {
    writeReportJson(head, curves, { write: (text) => void writeSync(fd, text), writeBytes: (bytes) => void writeSync(fd, bytes) });
  } finally {
    closeSync(fd);
  }
}

const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const ZERO = 0x30;

/** The longest point `,[time,value]` `repeat` copies (a time of 16 digits, a value of 25 characters). */
const POINT_BYTES = 48;

/**
 * Collects the curves' ASCII (numbers, brackets) in one reused byte buffer and hands each full
 * buffer on (issue 18: a year's curve is a million numbers). A time is written digit by digit; a
 * value as `String(x)` gives it, remembered while the curve stays flat (most candles). A point
 * like the last one, a step later, is the last one's bytes with the time's digits moved on.
 */
class AsciiPieces {
  readonly #sink: TextSink;
  readonly #buf = Buffer.allocUnsafe(PIECE_BYTES + 1024);
  #used = 0;
  #lastValue = NaN;
  /** The last value's text as bytes (ASCII), copied in a loop: a Buffer.write call per candle cost more than the rest of the line. */
  readonly #lastBytes = new Uint8Array(32);
  #lastLength = 0;
  /** The digits of the last time above its low eight (see time). */
  #hi = -1;
  readonly #hiBytes = new Uint8Array(16);
  #hiLength = 0;
  /** #lastValue's text is in #lastBytes. */
  #cached = false;
  /** The last point as `,[time,value]` (0 bytes: it cannot be repeated), its time, and where that time's digits end in it. */
  readonly #point = new Uint8Array(POINT_BYTES);
  #pointBytes = 0;
  #pointMs = 0;
  #pointTimeEnd = 0;
  /** 10^(digits of #pointMs): the first time that would need one digit more. */
  #pointTimeLimit = 0;
  #flushes = 0;

  constructor(sink: TextSink) {
    this.#sink = sink;
  }

  byte(b: number): void {
    this.#buf[this.#used++] = b;
  }

  /** Writes the point `[ms,x]`, after a comma unless it is the first, and remembers it for `repeat`. */
  point(comma: boolean, ms: number, x: number): void {
    if (comma) this.byte(COMMA);
    const start = this.#used;
    const flushes = this.#flushes;
    this.byte(OPEN);
    this.time(ms);
    this.byte(COMMA);
    // In the point's copy (a comma first), the time's digits end where this comma is.
    const timeEnd = this.#used - start;
    this.value(x);
    this.byte(CLOSE);
    const length = this.#used - start;
    this.#pointBytes = 0;
    if (flushes === this.#flushes && length < POINT_BYTES && Number.isSafeInteger(ms) && ms >= 0) {
      const p = this.#point;
      p[0] = COMMA;
      for (let i = 0; i < length; i++) p[i + 1] = this.#buf[start + i]!;
      this.#pointBytes = length + 1;
      this.#pointMs = ms;
      this.#pointTimeEnd = timeEnd;
      let limit = 10;
      while (limit <= ms) limit *= 10;
      this.#pointTimeLimit = limit;
    }
    if (this.#used >= PIECE_BYTES) this.flush();
  }

  /**
   * Writes up to `count` points like the last, each `stepMs` after the one before; returns how many
   * (fewer where a time would gain a digit or leave the safe integers: the caller writes that point).
   */
  repeat(count: number, stepMs: number): number {
    const length = this.#pointBytes;
    if (count <= 0 || length === 0 || !(Number.isSafeInteger(stepMs) && stepMs > 0)) return 0;
    // The step as digits to add from the right: its trailing zeros leave those digits as they are.
    let zeros = 0;
    let add = stepMs;
    while (add % 10 === 0) {
      add /= 10;
      zeros++;
    }
    const p = this.#point;
    const copy = p.subarray(0, length);
    const buf = this.#buf;
    let done = 0;
    for (; done < count; done++) {
      const next = this.#pointMs + stepMs;
      if (next >= this.#pointTimeLimit || next > Number.MAX_SAFE_INTEGER) break;
      this.#pointMs = next;
      // Decimal addition on the digits: next < the limit, so no carry leaves the number.
      let carry = 0;
      for (let q = this.#pointTimeEnd - 1 - zeros, a = add; a > 0 || carry > 0; q--, a = Math.floor(a / 10)) {
        const sum = p[q]! - ZERO + (a % 10) + carry;
        carry = sum >= 10 ? 1 : 0;
        p[q] = ZERO + sum - 10 * carry;
      }
      buf.set(copy, this.#used);
      this.#used += length;
      if (this.#used >= PIECE_BYTES) this.flush();
    }
    return done;
  }

  text(ascii: string): void {
    this.#used += this.#buf.write(ascii, this.#used, 'latin1');
    if (this.#used >= PIECE_BYTES) this.flush();
  }

  /** A time in ms: a whole number from 0 to 2^53, written as String(x) would (plain digits). */
  time(ms: number): void {
    if (!(Number.isSafeInteger(ms) && ms >= 1e8)) return this.#smallTime(ms);
    // Digits above the low eight change once a day or so: kept as bytes; the low eight as an int32.
    const hi = Math.floor(ms / 1e8);
    if (hi !== this.#hi) {
      this.#hi = hi;
      const text = String(hi);
      for (let i = 0; i < text.length; i++) this.#hiBytes[i] = text.charCodeAt(i);
      this.#hiLength = text.length;
    }
    const buf = this.#buf;
    const hiBytes = this.#hiBytes;
    let at = this.#used;
    for (let i = 0; i < this.#hiLength; i++) buf[at++] = hiBytes[i]!;
    let lo = (ms - hi * 1e8) | 0;
    for (let k = 7; k >= 0; k--) {
      buf[at + k] = ZERO + (lo % 10);
      lo = (lo / 10) | 0;
    }
    this.#used = at + 8;
  }

  /** A time below 10^8 ms (tests' small clocks), or not a safe integer (as text). */
  #smallTime(ms: number): void {
    if (!(Number.isSafeInteger(ms) && ms >= 0)) return this.text(num(ms));
    const buf = this.#buf;
    let digits = 1;
    for (let p = 10; p <= ms; p *= 10) digits++;
    let at = this.#used + digits;
    this.#used = at;
    let lo = ms;
    do {
      buf[--at] = ZERO + (lo % 10);
      lo = Math.floor(lo / 10);
    } while (lo > 0);
  }

  value(x: number): void {
    if (!this.#cached || !Object.is(x, this.#lastValue)) {
      const text = num(x);
      // A number's text is at most 25 characters ("-1.2345678901234567e-300"); longer goes as text.
      if (text.length > this.#lastBytes.length) {
        this.#cached = false;
        return this.text(text);
      }
      this.#cached = true;
      this.#lastValue = x;
      for (let i = 0; i < text.length; i++) this.#lastBytes[i] = text.charCodeAt(i);
      this.#lastLength = text.length;
    }
    const buf = this.#buf;
    const bytes = this.#lastBytes;
    let at = this.#used;
    for (let i = 0; i < this.#lastLength; i++) buf[at++] = bytes[i]!;
    this.#used = at;
  }

  flush(): void {
    if (this.#used === 0) return;
    this.#flushes++;
    if (this.#sink.writeBytes) this.#sink.writeBytes(this.#buf.subarray(0, this.#used));
    else this.#sink.write(this.#buf.toString('latin1', 0, this.#used));
    this.#used = 0;
  }
}
