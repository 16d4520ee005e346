/**
 * A `.gz` file inflated on the calling thread, a small piece at a time into one reused buffer
 * (issue 21). zlib's stream inflates on libuv's thread pool: each piece is a new buffer, and the
 * pool's threads keep malloc arenas of their own, which raised a year's backtest from a `.csv.gz`
 * about 12 MB above the same year from a `.csv`. Node has no public piecewise synchronous inflate,
 * so this drives the native handle under `zlib.createGunzip()` the way `zlib.gunzipSync` does
 * (`writeSync` and the `[availOut, availIn]` state it fills). Where a Node release lacks that
 * handle, `gunzipPieces` answers null and the caller streams as before.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { constants, createGunzip } from 'node:zlib';

/** Compressed bytes read at a time. */
const IN_BYTES = 16 * 1024;
/** Inflated bytes handed on at a time (the same buffer every time). */
const OUT_BYTES = 64 * 1024;

/** The native zlib handle under a zlib stream, as `zlib.gunzipSync` / `gzipSync` drive it. */
export interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number) => void;
  close(): void;
}

interface ZlibInternals {
  _handle?: ZlibHandle | null;
  _writeState?: Uint32Array;
}

/**
 * The synchronous handle of a new zlib stream (`createGunzip()`, `createGzip()`) and the
 * `[availOut, availIn]` state its `writeSync` fills; null (the handle closed) where this Node
 * release has no such handle, so the caller uses the public stream instead.
 */
export function syncZlibHandle(stream: object): { handle: ZlibHandle; state: Uint32Array } | null {
  const { _handle: handle, _writeState: state } = stream as ZlibInternals;
  if (handle && typeof handle.writeSync === 'function' && state instanceof Uint32Array && state.length >= 2) return { handle, state };
  handle?.close();
  return null;
}

const ERRNO_CODES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(constants)
    .filter(([name, value]) => name.startsWith('Z_') && typeof value === 'number' && value < 0)
    .map(([name, value]) => [value, name]),
);

/**
 * The inflated bytes of the gzip file at `path`, piece by piece; each piece is only valid until the
 * next is asked for (the buffer is reused). Null where this Node has no synchronous zlib handle.
 * Errors: the `fs` error of opening or reading; zlib's (`code` Z_DATA_ERROR, Z_BUF_ERROR ...) with
 * its message, e.g. "incorrect header check", "unexpected end of file" for a truncated file.
 */
export function gunzipPieces(path: string): Generator<Uint8Array, void, undefined> | null {
  const sync = syncZlibHandle(createGunzip());
  return sync === null ? null : pieces(path, sync.handle, sync.state);
}

function* pieces(path: string, handle: ZlibHandle, state: Uint32Array): Generator<Uint8Array, void, undefined> {
  let error: Error | null = null;
  handle.onerror = (message, errno) => {
    const e = new Error(message) as NodeJS.ErrnoException;
    e.errno = errno;
    e.code = ERRNO_CODES[errno] ?? 'Z_UNKNOWN';
    error = e;
  };
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const input = Buffer.allocUnsafe(IN_BYTES);
    const out = Buffer.allocUnsafe(OUT_BYTES);
    for (;;) {
      const n = readSync(fd, input, 0, IN_BYTES, null);
      const flush = n === 0 ? constants.Z_FINISH : constants.Z_NO_FLUSH;
      let inOff = 0;
      let inLen = n;
      for (;;) {
        handle.writeSync(flush, input, inOff, inLen, out, 0, OUT_BYTES);
        if (error) throw error;
        const availOut = state[0]!;
        const availIn = state[1]!;
        if (availOut < OUT_BYTES) yield out.subarray(0, OUT_BYTES - availOut);
        inOff += inLen - availIn;
        inLen = availIn;
        // A full output buffer may leave input or inflated bytes behind: go again.
        if (availOut !== 0) break;
      }
      if (n === 0) return;
    }
  } finally {
    if (fd >= 0) closeSync(fd);
    handle.close();
  }
}
