/**
 * A `.gz` file written piece by piece on the calling thread (issue 21): the download cache merges
 * downloaded candles into a new cache file without holding it whole. The mirror of
 * src/domain/gunzipPieces.ts: it drives the native handle under `zlib.createGzip()` the way
 * `zlib.gzipSync` does (`writeSync` and the `[availOut, availIn]` state it fills), with
 * `Z_NO_FLUSH` until the end, so the bytes are the ones `gzipSync` makes of the whole text. Where a
 * Node release lacks that handle, the text is kept and compressed whole at `close`, as before.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { constants, createGzip, gzipSync } from 'node:zlib';
import { syncZlibHandle, type ZlibHandle } from '../domain/gunzipPieces.js';

/** Compressed bytes written at a time (the same buffer every time). */
const OUT_BYTES = 64 * 1024;

export class GzipFileWriter {
  readonly path: string;
  #fd: number;
  readonly #handle: ZlibHandle | null;
  readonly #state: Uint32Array | null;
  readonly #out = Buffer.allocUnsafe(OUT_BYTES);
  /** Where there is no synchronous handle: the text, compressed at `close`. */
  readonly #kept: Buffer[] = [];
  #error: Error | null = null;

  /** Creates (or truncates) `path`. */
  constructor(path: string) {
    this.path = path;
    const sync = syncZlibHandle(createGzip());
    this.#handle = sync?.handle ?? null;
    this.#state = sync?.state ?? null;
    if (sync) {
      sync.handle.onerror = (message) => {
        this.#error = new Error(`gzip: ${message}`);
      };
    }
    this.#fd = openSync(path, 'w');
  }

  /** Compresses `bytes` (not kept: the caller may reuse them) and writes what zlib hands out. */
  write(bytes: Uint8Array): void {
    if (this.#handle === null) {
      this.#kept.push(Buffer.from(bytes));
      return;
    }
    this.#deflate(constants.Z_NO_FLUSH, bytes);
  }

  /** Finishes the gzip stream, flushes the file to the disk and closes it. */
  close(): void {
    if (this.#handle === null) writeSync(this.#fd, gzipSync(Buffer.concat(this.#kept)));
    else {
      this.#deflate(constants.Z_FINISH, new Uint8Array(0));
      this.#handle.close();
    }
    fsyncSync(this.#fd);
    this.#closeFd();
  }

  /** Closes the file without finishing it (the caller removes it). */
  abort(): void {
    this.#handle?.close();
    this.#closeFd();
  }

  #deflate(flush: number, input: Uint8Array): void {
    const handle = this.#handle!;
    const state = this.#state!;
    let inOff = 0;
    let inLen = input.length;
    for (;;) {
      handle.writeSync(flush, input, inOff, inLen, this.#out, 0, OUT_BYTES);
      if (this.#error) throw this.#error;
      const availOut = state[0]!;
      const availIn = state[1]!;
      const n = OUT_BYTES - availOut;
      for (let at = 0; at < n; ) at += writeSync(this.#fd, this.#out, at, n - at);
      inOff += inLen - availIn;
      inLen = availIn;
      // A full output buffer may leave input or compressed bytes behind: go again.
      if (availOut !== 0) return;
    }
  }

  #closeFd(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    closeSync(fd);
  }
}
