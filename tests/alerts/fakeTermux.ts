/**
 * Stand-ins for the Termux:API commands (DESIGN section 6: "an executable of the same name put
 * first on PATH that records its arguments, and, for fault tests, one that never exits").
 * Each recorder appends its argv as one JSON line to a log file, so tests see exactly what a real
 * phone's termux-notification would have received.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeTermux {
  readonly root: string;
  readonly binDir: string;
  /** Environment whose PATH finds the fakes first. */
  readonly env: NodeJS.ProcessEnv;
  /** argv of every call of `name`, oldest first. */
  calls(name: string): string[][];
  /** Replaces `name` with a recorder (argv logged, exit `exitCode`, `stdout` printed). */
  record(name: string, options?: { exitCode?: number; stdout?: string }): void;
  /** Replaces `name` with one that never exits: a shell whose child sleeps, the way a real
   * termux-* script hangs in its `termux-api` child. Pids go to `<root>/<name>.pids`. */
  hang(name: string): void;
  remove(name: string): void;
  /** Pids written by hanging fakes. */
  hungPids(name: string): number[];
  cleanup(): void;
}

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function makeFakeTermux(prefix = 'ps-alerts-'): FakeTermux {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const binDir = join(root, 'bin');
  mkdirSync(binDir);
  const logOf = (name: string): string => join(root, `${name}.log`);
  const write = (name: string, body: string): void => {
    const file = join(binDir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  };
  const fake: FakeTermux = {
    root,
    binDir,
    env: { PATH: `${binDir}:/usr/bin:/bin` },
    calls(name) {
      const file = logOf(name);
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as string[]);
    },
    record(name, options = {}) {
      const script = `require('fs').appendFileSync(${JSON.stringify(logOf(name))}, JSON.stringify(process.argv.slice(1)) + '\\n')`;
      const lines = [`${sq(process.execPath)} -e ${sq(script)} -- "$@"`];
      if (options.stdout !== undefined) lines.push(`printf '%s' ${sq(options.stdout)}`);
      lines.push(`exit ${options.exitCode ?? 0}`);
      write(name, lines.join('\n'));
    },
    hang(name) {
      const pids = join(root, `${name}.pids`);
      write(name, `echo $$ >> ${sq(pids)}\nsleep 1000 &\necho $! >> ${sq(pids)}\nwait`);
    },
    remove(name) {
      rmSync(join(binDir, name), { force: true });
    },
    hungPids(name) {
      const file = join(root, `${name}.pids`);
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
    },
    cleanup() {
      for (const name of ['termux-notification', 'termux-notification-remove', 'termux-battery-status']) {
        for (const pid of fake.hungPids(name)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Already gone, as it should be.
          }
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  return fake;
}

/** Alive = exists and is not a zombie (a container's pid 1 may never reap orphans). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** A clock tests move by hand. */
export function manualClock(startMs: number): { now: () => number; advance(ms: number): void; set(ms: number): void } {
  let t = startMs;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
    set(ms) {
      t = ms;
    },
  };
}
