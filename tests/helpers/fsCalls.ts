/**
 * Records the file-system calls a durable write makes (src/state/durableFile.ts), in the order they
 * happen, with the path each descriptor was opened for: `open`, `write`, `fsync` (when it starts),
 * `fsynced` (when its callback runs, i.e. the data is on the storage), `close`, `rename`, `unlink`.
 * It wraps `node:fs` and re-exports the wrappers to ES modules (`syncBuiltinESMExports`), so code
 * that imported them by name calls the wrappers. `failFsync` makes the next fsync of a matching path
 * fail with the given code, as a failing storage would.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

export interface FsCall {
  readonly op: 'open' | 'write' | 'fsync' | 'fsynced' | 'close' | 'rename' | 'unlink';
  readonly path: string;
  readonly to?: string;
}

export interface FsRecorder {
  readonly calls: FsCall[];
  failFsync(match: RegExp, code: string): void;
  restore(): void;
}

export function recordFsCalls(): FsRecorder {
  const original = { openSync: fs.openSync, writeSync: fs.writeSync, fsync: fs.fsync, closeSync: fs.closeSync, renameSync: fs.renameSync, unlinkSync: fs.unlinkSync };
  const paths = new Map<number, string>();
  const calls: FsCall[] = [];
  let failing: { match: RegExp; code: string } | null = null;
  const pathOf = (fd: number): string => paths.get(fd) ?? `fd ${fd}`;
  const m = fs as unknown as Record<string, unknown>;
  m.openSync = (...args: Parameters<typeof fs.openSync>): number => {
    const fd = original.openSync(...args);
    paths.set(fd, String(args[0]));
    calls.push({ op: 'open', path: String(args[0]) });
    return fd;
  };
  m.writeSync = (fd: number, ...rest: unknown[]): number => {
    calls.push({ op: 'write', path: pathOf(fd) });
    return (original.writeSync as (fd: number, ...r: unknown[]) => number)(fd, ...rest);
  };
  m.fsync = (fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void => {
    const path = pathOf(fd);
    calls.push({ op: 'fsync', path });
    if (failing !== null && failing.match.test(path)) {
      const err: NodeJS.ErrnoException = new Error(`${failing.code}: injected fsync failure, fsync '${path}'`);
      err.code = failing.code;
      failing = null;
      setImmediate(() => cb(err));
      return;
    }
    original.fsync(fd, (err) => {
      if (err === null) calls.push({ op: 'fsynced', path });
      cb(err);
    });
  };
  m.closeSync = (fd: number): void => {
    calls.push({ op: 'close', path: pathOf(fd) });
    paths.delete(fd);
    original.closeSync(fd);
  };
  m.renameSync = (from: fs.PathLike, to: fs.PathLike): void => {
    calls.push({ op: 'rename', path: String(from), to: String(to) });
    original.renameSync(from, to);
  };
  m.unlinkSync = (path: fs.PathLike): void => {
    calls.push({ op: 'unlink', path: String(path) });
    original.unlinkSync(path);
  };
  syncBuiltinESMExports();
  return {
    calls,
    failFsync(match, code) {
      failing = { match, code };
    },
    restore() {
      Object.assign(m, original);
      syncBuiltinESMExports();
    },
  };
}
