/**
 * An incremental reader of the canonical candle CSV (DESIGN section 4) over bytes, so a year of 1m
 * candles (30 MB) never has to sit in memory as one string, a line array and a cell array per row
 * (issue 21): `push` takes the file chunk by chunk and returns the candles completed so far.
 *
 * Every row in the plain form the exchange and our cache write (`-`? digits, an optional fraction,
 * six cells) is read straight from the bytes. Any other line (spaces, exponents, a stray `\r`, a bad
 * cell, a failed check) is decoded and read the way `parseCandleCsv` always read text: `Number` on
 * each cell, the same checks in the same order, the same error naming the line. So both paths give
 * the same numbers and the same errors.
 *
 * Exactness of the fast path: a cell of at most 15 digits is an integer m < 2^53 and a power of ten
 * 10^k with k <= 15, both exact doubles, so m / 10^k is the correctly rounded value of the decimal,
 * which is what `Number` returns (Clinger's fast path).
 */
import { BlockCandle, ROW_WIDTH } from './blockCandle.js';
import type { Candle } from './types.js';

export class CandleCsvError extends Error {
  override name = 'CandleCsvError';
}

export const CANDLE_CSV_HEADER = 'ts,open,high,low,close,volume';

const NL = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const DOT = 0x2e;
const MINUS = 0x2d;
const ZERO = 0x30;
const MAX_DIGITS = 15;
const POW10 = Array.from({ length: MAX_DIGITS + 1 }, (_, k) => 10 ** k);
/** Rows per block of a parser that builds BlockCandles. */
const BLOCK_ROWS = 256;

export class CandleCsvParser {
  readonly #source: string;
  /** Bytes of a line the last chunk ended inside. */
  #carry: Uint8Array | null = null;
  /** Lines seen so far (1 = the header). */
  #line = 0;
  #prevTs = -Infinity;
  #out: Candle[] = [];
  /** Candles in #out (a parser that builds BlockCandles reuses the array and hands on a copy of its start). */
  #outN = 0;
  /** False: rows are checked and counted but no candle is built (a file's first, checking pass). */
  #keep: boolean;
  /** True: candles are BlockCandles, views of rows written into #block (no boxed double per number). */
  readonly #blocks: boolean;
  #block = new Float64Array(0);
  #blockAt = 0;
  #rows = 0;
  #firstTs = NaN;
  #minStepMs = Infinity;
  /** The six cells of the row being read, reused (no allocation per row). */
  readonly #cells = new Float64Array(6);
  readonly #decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  /** `blocks`: build BlockCandles (./blockCandle.ts) instead of plain objects, for a run that streams the candles through. */
  constructor(source = 'input', options: { readonly keep?: boolean; readonly blocks?: boolean } = {}) {
    this.#source = source;
    this.#keep = options.keep ?? true;
    this.#blocks = options.blocks ?? false;
  }

  /** Data rows read so far, and the open time of the first and last (NaN before the first). */
  get rows(): number {
    return this.#rows;
  }
  get firstTs(): number {
    return this.#firstTs;
  }
  get lastTs(): number {
    return this.#rows === 0 ? NaN : this.#prevTs;
  }
  /** Smallest step between consecutive rows (Infinity for fewer than two). */
  get minStepMs(): number {
    return this.#minStepMs;
  }

  /** From now on rows are checked and counted but no candle is built (the rest of a file no run needs). */
  dropCandles(): void {
    this.#keep = false;
  }

  /** Reads one chunk of the file; returns the candles of the lines it completed. */
  push(chunk: Uint8Array): Candle[] {
    this.#startOut();
    let from = 0;
    if (this.#carry !== null) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.#carry = concat(this.#carry, chunk);
        return this.#takeOut();
      }
      const line = concat(this.#carry, chunk.subarray(0, nl));
      this.#carry = null;
      this.#readLine(line, 0, line.length, true);
      from = nl + 1;
    }
    from = this.#lines(chunk, from);
    // A copy: the caller may reuse the chunk's memory (a Buffer's slice would be a view of it).
    if (from < chunk.length) this.#carry = Uint8Array.prototype.slice.call(chunk, from);
    return this.#takeOut();
  }

  #startOut(): void {
    if (this.#blocks) this.#outN = 0;
    else this.#out = [];
  }

  /** The candles of this call: a parser of BlockCandles copies them out of its reused array (growing a new one per call cost more). */
  #takeOut(): Candle[] {
    return this.#blocks ? this.#out.slice(0, this.#outN) : this.#out;
  }

  /**
   * Reads the complete lines from `from` on; returns where the unfinished one starts. A loop of its
   * own, with nothing after it: V8 compiles a long loop while it runs (on-stack replacement), and
   * code after the loop that had never run then threw that compiled code away at every chunk.
   * A plain row that passes the checks is read where it stands, its `\n` found as the end of its
   * sixth cell (issue 18: a search for the newline first cost a call into C++ and a second pass over
   * the bytes per line); any other line is found by its newline and read by `#readLine`.
   */
  #lines(chunk: Uint8Array, from: number): number {
    for (;;) {
      if (this.#line > 0) {
        const end = this.#plainCells(chunk, from, chunk.length);
        if (end >= 0 && end < chunk.length && chunk[end] === NL && this.#cellsFit()) {
          this.#line++;
          this.#cellsRow();
          from = end + 1;
          continue;
        }
      }
      const nl = chunk.indexOf(NL, from);
      if (nl < 0) return from;
      this.#readLine(chunk, from, nl, true);
      from = nl + 1;
    }
  }

  /** The end of the file: reads a last line without a newline; returns its candle if any. */
  end(): Candle[] {
    this.#startOut();
    const carry = this.#carry;
    this.#carry = null;
    if (carry !== null) this.#readLine(carry, 0, carry.length, false);
    else if (this.#line === 0) this.#readLine(new Uint8Array(0), 0, 0, false);
    return this.#takeOut();
  }

  /** Bytes [start, end) of the next line; `newline` when a `\n` ended it (a `\r` before it is no part of the line). */
  #readLine(bytes: Uint8Array, start: number, end: number, newline: boolean): void {
    const lineNo = ++this.#line;
    if (newline && end > start && bytes[end - 1] === CR) end--;
    if (lineNo === 1) {
      const header = this.#decoder.decode(bytes.subarray(start, end));
      if (header.trim() !== CANDLE_CSV_HEADER) {
        throw new CandleCsvError(`${this.#source}: line 1 must be the header "${CANDLE_CSV_HEADER}", found "${header.slice(0, 60)}"`);
      }
      return;
    }
    if (start === end) return;
    // A failed check: the text path raises the same error, with the line as text.
    if (this.#plainCells(bytes, start, end) !== end || !this.#cellsFit()) {
      this.#textRow(this.#decoder.decode(bytes.subarray(start, end)), lineNo);
      return;
    }
    this.#cellsRow();
  }

  /** Whether the row in #cells passes the checks `#textRow` makes (ts integer and after the last, OHLC consistent, volume ≥ 0). */
  #cellsFit(): boolean {
    const c = this.#cells;
    const ts = c[0]!;
    const open = c[1]!;
    const high = c[2]!;
    const low = c[3]!;
    const close = c[4]!;
    return Number.isInteger(ts) && ts > this.#prevTs && !(high < Math.max(open, close, low)) && !(low > Math.min(open, close)) && !(c[5]! < 0);
  }

  /** The row in #cells, checked: counted, and its candle built. */
  #cellsRow(): void {
    const c = this.#cells;
    const ts = c[0]!;
    if (this.#rows === 0) this.#firstTs = ts;
    else if (ts - this.#prevTs < this.#minStepMs) this.#minStepMs = ts - this.#prevTs;
    this.#rows++;
    this.#prevTs = ts;
    if (!this.#keep) return;
    if (this.#blocks) this.#blockRow();
    else this.#out.push({ ts, open: c[1]!, high: c[2]!, low: c[3]!, close: c[4]!, volume: c[5]! });
  }

  /** The row in #cells as a BlockCandle: copied into the block (a new one when full), its view put out. */
  #blockRow(): void {
    let block = this.#block;
    let at = this.#blockAt;
    if (at === block.length) {
      this.#block = block = new Float64Array(BLOCK_ROWS * ROW_WIDTH);
      at = 0;
    }
    const c = this.#cells;
    for (let k = 0; k < ROW_WIDTH; k++) block[at + k] = c[k]!;
    this.#blockAt = at + ROW_WIDTH;
    this.#out[this.#outN++] = new BlockCandle(block, at);
  }

  /** Six plain decimal cells from `start` into #cells, none past `end`: where the sixth ends, or -1 for anything else. */
  #plainCells(b: Uint8Array, start: number, end: number): number {
    // No byte at or past `end` is read: a read past a chunk's end threw V8's compiled code away.
    let i = start;
    for (let k = 0; k < 6; k++) {
      if (i >= end) return -1;
      const neg = b[i] === MINUS;
      if (neg) i++;
      let m = 0;
      let digits = 0;
      for (; i < end; i++) {
        const d = b[i]! - ZERO;
        if (d < 0 || d > 9) break;
        m = m * 10 + d;
        digits++;
      }
      if (digits === 0) return -1;
      let frac = 0;
      if (i < end && b[i] === DOT) {
        for (i++; i < end; i++) {
          const d = b[i]! - ZERO;
          if (d < 0 || d > 9) break;
          m = m * 10 + d;
          frac++;
        }
        if (frac === 0) return -1;
      }
      if (digits + frac > MAX_DIGITS) return -1;
      const v = frac === 0 ? m : m / POW10[frac]!;
      this.#cells[k] = neg ? -v : v;
      if (k < 5) {
        if (i >= end || b[i] !== COMMA) return -1;
        i++;
      }
    }
    return i;
  }

  /** One data line as text, read and checked exactly as the text reader always did. */
  #textRow(line: string, lineNo: number): void {
    const source = this.#source;
    if (line.trim() === '') return;
    const cells = line.split(',');
    if (cells.length !== 6) throw new CandleCsvError(`${source}: line ${lineNo} has ${cells.length} fields, expected 6`);
    const [ts, open, high, low, close, volume] = cells.map(Number) as [number, number, number, number, number, number];
    if (![ts, open, high, low, close, volume].every(Number.isFinite)) {
      throw new CandleCsvError(`${source}: line ${lineNo} has a field that is not a number: "${line}"`);
    }
    if (!Number.isInteger(ts)) throw new CandleCsvError(`${source}: line ${lineNo}: ts must be integer milliseconds`);
    if (ts <= this.#prevTs) throw new CandleCsvError(`${source}: line ${lineNo}: ts ${ts} is not after the previous row's ${this.#prevTs}`);
    if (high < Math.max(open, close, low) || low > Math.min(open, close) || volume < 0) {
      throw new CandleCsvError(`${source}: line ${lineNo}: inconsistent OHLCV "${line}"`);
    }
    const c = this.#cells;
    c[0] = ts;
    c[1] = open;
    c[2] = high;
    c[3] = low;
    c[4] = close;
    c[5] = volume;
    this.#cellsRow();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
