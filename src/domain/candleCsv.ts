/**
 * The canonical candle CSV (DESIGN section 4): header `ts,open,high,low,close,volume`, ts = candle
 * open in Unix ms UTC, ascending. `.csv.gz` files are accepted too.
 */
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { CANDLE_CSV_HEADER, CandleCsvParser } from './candleCsvParser.js';
import { gunzipPieces } from './gunzipPieces.js';
import type { Candle } from './types.js';

export { CandleCsvError } from './candleCsvParser.js';

const HEADER = CANDLE_CSV_HEADER;

/** Parses CSV text; throws CandleCsvError naming the line for any malformed or out-of-order row. */
export function parseCandleCsv(text: string, source = 'input'): Candle[] {
  return parseAll(Buffer.from(text, 'utf8'), source);
}

function parseAll(bytes: Uint8Array, source: string): Candle[] {
  const parser = new CandleCsvParser(source);
  const candles = parser.push(bytes);
  for (const c of parser.end()) candles.push(c);
  return candles;
}

/** Reads a `.csv` or `.csv.gz` candle file. */
export function readCandleFile(path: string): Candle[] {
  const raw = readFileSync(path);
  return parseAll(path.endsWith('.gz') ? gunzipSync(raw) : raw, path);
}

/** Bytes read (or inflated) at a time when streaming a candle file: about a thousand rows. */
const CHUNK_BYTES = 64 * 1024;
/**
 * Candles are handed on about 140 at a time (8 KB of text), not a chunk's thousand: the batch in
 * hand is what V8's young collections find alive and copy, and over a long run the copies add up
 * until V8 doubles its young generation (a year of candles took it from 8 to 16 MB semi-spaces,
 * 17 MB more RSS at the peak; issue 21).
 */
const BATCH_BYTES = 8 * 1024;
/**
 * Where a `.gz` file must be inflated as a stream (a Node without the synchronous handle that
 * `gunzipPieces` drives), 16 KB at a time: with 64 KB pieces a year's run peaked 8 MB higher.
 */
const GUNZIP_BYTES = 16 * 1024;

/** The candles of `chunk`, one batch per BATCH_BYTES of it. */
function* batchesOf(parser: CandleCsvParser, chunk: Uint8Array): Generator<Candle[], void, undefined> {
  for (let at = 0; at < chunk.length; at += BATCH_BYTES) {
    const candles = parser.push(chunk.subarray(at, at + BATCH_BYTES));
    if (candles.length > 0) yield candles;
  }
}

/**
 * Streams a `.csv` or `.csv.gz` candle file as batches of candles, about 140 at a time, so a
 * long history is never held whole (issue 21). Same checks, errors and numbers as `readCandleFile`,
 * the candles BlockCandles (src/domain/blockCandle.ts: no boxed double per number); a missing file
 * rejects with the `fs` error (code ENOENT, EISDIR) on the first batch.
 */
export async function* readCandleBatches(path: string): AsyncGenerator<Candle[], void, undefined> {
  // A file is read in place, chunk after chunk into one buffer (the parser copies the part line it
  // keeps), a `.gz` one inflated on this thread into one buffer too: no stream, no new buffer per
  // chunk. One event-loop turn per chunk, as the stream gave.
  const parser = new CandleCsvParser(path, { blocks: true });
  const chunks = fileChunks(path, CHUNK_BYTES);
  if (chunks === null) return yield* parseStream(path, parser);
  for (const chunk of chunks) {
    yield* batchesOf(parser, chunk);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const last = parser.end();
  if (last.length > 0) yield last;
}

/**
 * The candles of a `.csv` or `.csv.gz` file in batches, read synchronously and never whole (the
 * download cache checks its file this way, issue 21); the same checks and errors as `readCandleFile`.
 */
export function* readCandleBatchesSync(path: string): Generator<Candle[], void, undefined> {
  const parser = new CandleCsvParser(path);
  const chunks = fileChunks(path, CHUNK_BYTES);
  if (chunks === null) return yield readCandleFile(path);
  for (const chunk of chunks) yield* batchesOf(parser, chunk);
  const last = parser.end();
  if (last.length > 0) yield last;
}

/**
 * A candle file's bytes in pieces, each valid until the next is read: a plain file `size` at a time,
 * a `.gz` one inflated on this thread; null where a `.gz` file must be streamed (no synchronous zlib).
 */
function fileChunks(path: string, size: number): Generator<Uint8Array, void, undefined> | null {
  return path.endsWith('.gz') ? gunzipPieces(path) : plainChunks(path, size);
}

/** A plain file's bytes, `size` at a time into one reused buffer (valid until the next piece). */
function* plainChunks(path: string, size: number): Generator<Uint8Array, void, undefined> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(size);
    for (;;) {
      const n = readSync(fd, buf, 0, size, null);
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

async function* parseStream(path: string, parser: CandleCsvParser): AsyncGenerator<Candle[], void, undefined> {
  const file = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  let bytes: AsyncIterable<Uint8Array> = file;
  if (path.endsWith('.gz')) {
    const gunzip = createGunzip({ chunkSize: GUNZIP_BYTES });
    file.on('error', (e) => gunzip.destroy(e));
    bytes = file.pipe(gunzip);
  }
  try {
    for await (const chunk of bytes) yield* batchesOf(parser, chunk);
  } finally {
    file.destroy();
  }
  const last = parser.end();
  if (last.length > 0) yield last;
}

/** What a check of a whole candle file found: rows, first and last open time, smallest step. */
export interface CandleFileScan {
  readonly count: number;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly minStepMs: number;
}

/**
 * Reads a candle file through once with every check of `readCandleBatches` (the same errors) but
 * builds no candle: a backtest checks and counts its file this way before it runs (issue 18).
 * A plain file is read synchronously in large pieces (the command does nothing else meanwhile), a
 * `.gz` one inflated synchronously in small ones (never whole in memory).
 */
export async function scanCandleFile(path: string): Promise<CandleFileScan> {
  const parser = new CandleCsvParser(path, { keep: false });
  const chunks = fileChunks(path, SCAN_BYTES);
  if (chunks === null) {
    for await (const _ of parseStream(path, parser));
  } else {
    for (const chunk of chunks) parser.push(chunk);
    parser.end();
  }
  return { count: parser.rows, firstTs: parser.firstTs, lastTs: parser.lastTs, minStepMs: parser.minStepMs };
}

/** Bytes read at a time by `scanCandleFile`. */
const SCAN_BYTES = 1024 * 1024;

/**
 * The first `bytes` (or a little more) of a candle file, checked as `scanCandleFile` checks the
 * whole: its figures, and whether that was the whole file. Null where a `.gz` file must be
 * streamed (this Node has no synchronous zlib handle). The first bad line in the head is the
 * first of the file: the same error `scanCandleFile` throws.
 */
export function scanCandleHead(path: string, bytes: number): { readonly scan: CandleFileScan; readonly whole: boolean } | null {
  const parser = new CandleCsvParser(path, { keep: false });
  const chunks = fileChunks(path, CHUNK_BYTES);
  if (chunks === null) return null;
  try {
    let read = 0;
    let next = chunks.next();
    for (; !next.done && read < bytes; next = chunks.next()) {
      parser.push(next.value);
      read += next.value.length;
    }
    const whole = next.done === true;
    if (whole) parser.end();
    return { scan: { count: parser.rows, firstTs: parser.firstTs, lastTs: parser.lastTs, minStepMs: parser.minStepMs }, whole };
  } finally {
    chunks.return();
  }
}

/**
 * One read of a candle file (issue 18): a run plays `batches()` (the batches and checks of
 * `readCandleBatches`), then `rest()` reads on, with every check but building no candle, from
 * wherever the run stopped (a window's end) to the end of the file, and gives the figures
 * `scanCandleFile` gives. So a single run checks and counts its file in the pass that plays it.
 * `close()` lets go of the file however the read ended. The file is opened (a `.gz` one's inflater
 * made) on the first read, so a reading never played holds nothing. A `.gz` file that would have to
 * be streamed (no synchronous zlib handle: `scanCandleHead` answers null first) fails the read.
 */
export class CandleFileReading {
  readonly #path: string;
  readonly #parser: CandleCsvParser;
  #chunks: Generator<Uint8Array, void, undefined> | null = null;
  /** The piece in hand (valid until the next is read) and how far into it the parser has read. */
  #chunk: Uint8Array = new Uint8Array(0);
  #at = 0;
  #started = false;
  #ended = false;

  constructor(path: string) {
    this.#path = path;
    this.#parser = new CandleCsvParser(path, { blocks: true });
  }

  /** The candles, about 140 at a time, one event-loop turn per chunk; can be called once. */
  async *batches(): AsyncGenerator<Candle[], void, undefined> {
    if (this.#started) throw new Error('a candle file read once cannot be played twice');
    this.#started = true;
    const parser = this.#parser;
    for (;;) {
      while (this.#at < this.#chunk.length) {
        const end = Math.min(this.#at + BATCH_BYTES, this.#chunk.length);
        const candles = parser.push(this.#chunk.subarray(this.#at, end));
        this.#at = end;
        if (candles.length > 0) yield candles;
      }
      if (!this.#next()) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.#ended = true;
    const last = parser.end();
    if (last.length > 0) yield last;
  }

  /** Reads what the run left to the end of the file (CandleCsvError for a bad line); the whole file's figures. */
  rest(): CandleFileScan {
    const parser = this.#parser;
    if (!this.#ended) {
      parser.dropCandles();
      parser.push(this.#chunk.subarray(this.#at));
      this.#at = this.#chunk.length;
      while (this.#next()) {
        parser.push(this.#chunk);
        this.#at = this.#chunk.length;
      }
      this.#ended = true;
      parser.end();
    }
    return { count: parser.rows, firstTs: parser.firstTs, lastTs: parser.lastTs, minStepMs: parser.minStepMs };
  }

  close(): void {
    this.#chunks?.return();
  }

  #next(): boolean {
    if (this.#chunks === null) {
      const path = this.#path;
      const chunks = fileChunks(path, CHUNK_BYTES);
      if (chunks === null) throw new Error(`${path}: this Node has no synchronous zlib handle, so the file cannot be read once`);
      this.#chunks = chunks;
    }
    const next = this.#chunks.next();
    if (next.done === true) return false;
    this.#chunk = next.value;
    this.#at = 0;
    return true;
  }
}

/** Writes candles in the canonical format. */
export function formatCandleCsv(candles: readonly Candle[]): string {
  let out = HEADER + '\n';
  for (const c of candles) out += `${c.ts},${c.open},${c.high},${c.low},${c.close},${c.volume}\n`;
  return out;
}

/**
 * Symbol and interval from a file name such as `bybit-BTCUSDT-1m.csv(.gz)` (DESIGN section 4):
 * the symbol is the first all-capitals token; the interval, if present, `<n>m`, `<n>h` or `<n>d`.
 */
export function describeCandleFile(path: string): { symbol: string | null; intervalMinutes: number | null } {
  const name = basename(path).replace(/\.gz$/, '').replace(/\.csv$/, '');
  const tokens = name.split(/[-_.]/);
  const symbol = tokens.find((t) => /^[A-Z0-9]{2,}USDT?$|^[A-Z0-9]{2,}USDC$/.test(t)) ?? null;
  let intervalMinutes: number | null = null;
  for (const t of tokens) {
    const m = /^(\d+)([mhd])$/.exec(t);
    if (m) intervalMinutes = Number(m[1]) * (m[2] === 'm' ? 1 : m[2] === 'h' ? 60 : 1440);
  }
  return { symbol, intervalMinutes };
}

/** Interval of a candle series in minutes, from the smallest step between rows. */
export function inferIntervalMinutes(candles: readonly Candle[]): number | null {
  let step = Infinity;
  for (let i = 1; i < candles.length; i++) step = Math.min(step, candles[i]!.ts - candles[i - 1]!.ts);
  return Number.isFinite(step) && step % 60_000 === 0 ? step / 60_000 : null;
}
