/**
 * The backtest JSON (DESIGN section 4) written piece by piece (issue 21): a year of 1m candles makes
 * a 15 MB document whose equity curve alone is 525,600 `[ts, equity]` pairs, so neither the pairs
 * nor the text are ever built whole. The bytes are exactly `JSON.stringify(backtestReport(...))`:
 * the same key order, and each number as JSON.stringify writes it (`String(x)`; null when not
 * finite).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ReportCurves, ReportHead } from './backtestReport.js';

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
  const series = (key: string, values: Float64Array): void => {
    out.text(`,"${key}":[`);
    const times = curves.times;
    for (let i = 0; i < values.length; i++) {
      if (i > 0) out.byte(COMMA);
      out.byte(OPEN);
      out.time(times.at(i));
      out.byte(COMMA);
      out.value(values[i]!);
      out.byte(CLOSE);
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

/**
 * Collects the curves' ASCII (numbers, brackets) in one reused byte buffer and hands each full
 * buffer on (issue 18: a year's curve is a million numbers). A time is written digit by digit; a
 * value as `String(x)` gives it, remembered while the curve stays flat (most candles).
 */
class AsciiPieces {
  readonly #sink: TextSink;
  readonly #buf = Buffer.allocUnsafe(PIECE_BYTES + 1024);
  #used = 0;
  #lastValue = NaN;
  #lastText = '';

  constructor(sink: TextSink) {
    this.#sink = sink;
  }

  byte(b: number): void {
    this.#buf[this.#used++] = b;
  }

  text(ascii: string): void {
    this.#used += this.#buf.write(ascii, this.#used, 'latin1');
    if (this.#used >= PIECE_BYTES) this.flush();
  }

  /** A time in ms: a whole number from 0 to 2^53, written as String(x) would (plain digits). */
  time(ms: number): void {
    if (!(Number.isSafeInteger(ms) && ms >= 0)) return this.text(num(ms));
    const buf = this.#buf;
    let digits = 1;
    for (let p = 10; p <= ms; p *= 10) digits++;
    let at = this.#used + digits;
    this.#used = at;
    // The low eight digits and the rest, each a small integer.
    let hi = Math.floor(ms / 1e8);
    let lo = ms - hi * 1e8;
    if (hi > 0) {
      for (let k = 0; k < 8; k++) {
        buf[--at] = ZERO + (lo % 10);
        lo = Math.floor(lo / 10);
      }
      lo = hi;
    }
    do {
      buf[--at] = ZERO + (lo % 10);
      lo = Math.floor(lo / 10);
    } while (lo > 0);
  }

  value(x: number): void {
    if (!Object.is(x, this.#lastValue)) {
      this.#lastValue = x;
      this.#lastText = num(x);
    }
    this.text(this.#lastText);
  }

  flush(): void {
    if (this.#used === 0) return;
    if (this.#sink.writeBytes) this.#sink.writeBytes(this.#buf.subarray(0, this.#used));
    else this.#sink.write(this.#buf.toString('latin1', 0, this.#used));
    this.#used = 0;
  }
}
