/**
 * The bot as a user runs it, for benchmarks and the soak test: `node dist/bot.js run` in its own
 * process, in a temporary folder with a config.json, against a sandbox on loopback. Memory and CPU
 * are read from /proc (Linux and Android), so the figures are the bot's alone, never the sandbox's
 * or the driver's.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './harness.js';

export interface SandboxUrls {
  readonly restUrl: string;
  readonly ntpPort: number | null;
}

/** Environment without the developer's own POCKET_/BYBIT_ variables, colour off (also used by tests/helpers/cli.ts). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(POCKET_|BYBIT_|TELEGRAM_|FORCE_COLOR|NO_COLOR)/.test(k)) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

/** A config.json body that points the bot at the sandbox: its REST URL, its NTP responder, no phone. */
export function sandboxConfig(sandbox: SandboxUrls, mode: 'testnet' | 'paper', rest: Record<string, unknown>): Record<string, unknown> {
  return {
    mode,
    exchange: { restUrl: sandbox.restUrl },
    clock: { ntpServers: [`127.0.0.1:${sandbox.ntpPort}`], samplesPerServer: 2 },
    alerts: { termux: { enabled: false } },
    battery: { enabled: false },
    ...rest,
  };
}

let clockTicks: number | null = null;
/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`, 100 on Linux and Android). */
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface ProcessSample {
  /** When the sample was taken (ms since the epoch). */
  readonly atMs: number;
  /** Resident set size, bytes. */
  readonly rssBytes: number;
  /** User + system CPU time used so far, ms. */
  readonly cpuMs: number;
}

/** RSS and CPU time of a live process, from /proc; null once it is gone. */
export function sampleProcess(pid: number): ProcessSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    // Fields after the command name (which may hold spaces, so split after the last ')').
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    if (!rss) return null;
    return { atMs: Date.now(), rssBytes: Number(rss[1]) * 1024, cpuMs: (ticks * 1000) / ticksPerSecond() };
  } catch {
    return null;
  }
}

export interface MemoryParts {
  /** Resident pages backed by files: the node binary's code and read-only data (ICU's data among them). */
  readonly fileBytes: number;
  /** Resident anonymous pages: V8's heaps, compiled code, buffers. */
  readonly anonBytes: number;
}

/** The two parts of a live process's RSS (/proc/<pid>/status, Linux 4.5 and later); null once it is gone. */
export function memoryParts(pid: number): MemoryParts | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const file = /RssFile:\s+(\d+) kB/.exec(status);
    const anon = /RssAnon:\s+(\d+) kB/.exec(status);
    if (!file || !anon) return null;
    return { fileBytes: Number(file[1]) * 1024, anonBytes: Number(anon[1]) * 1024 };
  } catch {
    return null;
  }
}

export interface BotProcess {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly stateDir: string;
  readonly startedAtMs: number;
  /** Everything the bot wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the time (ms since the epoch) the output first matched `pattern`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<number>;
  /** SIGTERM, then the exit code (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
  /** Removes the temporary folder (after stop). */
  cleanup(): void;
}

export interface StartBotOptions {
  readonly config: Record<string, unknown>;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  /** Keep only the last this many characters of output (a long soak logs a lot). */
  readonly keepOutputChars?: number;
  /** Called with every complete line the bot prints. */
  readonly onLine?: (line: string) => void;
  /** Run in this folder (its state kept from an earlier run) instead of a new one. */
  readonly dir?: string;
}

/** Starts `node dist/bot.js run` in a new temporary folder holding `config`. */
export function startBot(opts: StartBotOptions): BotProcess {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'pocket-bench-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(opts.config, null, 2));
  const keep = opts.keepOutputChars ?? 2_000_000;
  const startedAtMs = Date.now();
  const child = spawn(process.execPath, [join(projectRoot(), 'dist', 'bot.js'), 'run', ...(opts.args ?? [])], {
    cwd: dir,
    env: cleanEnv(opts.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: { pattern: RegExp; resolve: (t: number) => void }[] = [];
  const partial = { stdout: '', stderr: '' };
  const onData = (stream: 'stdout' | 'stderr', d: Buffer): void => {
    const at = Date.now();
    const text = d.toString();
    output += text;
    if (opts.onLine) {
      const lines = (partial[stream] + text).split('\n');
      partial[stream] = lines.pop()!;
      for (const line of lines) opts.onLine(line);
    }
    if (output.length > keep * 2) output = output.slice(-keep);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.pattern.test(output)) waiters.splice(i, 1)[0]!.resolve(at);
    }
  };
  child.stdout!.on('data', (d: Buffer) => onData('stdout', d));
  child.stderr!.on('data', (d: Buffer) => onData('stderr', d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    dir,
    stateDir: join(dir, 'state'),
    startedAtMs,
    exited,
    output: () => output,
    waitFor(pattern, timeoutMs) {
      if (pattern.test(output)) return Promise.resolve(Date.now());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the bot did not print ${pattern} within ${timeoutMs} ms; its output ends:\n${output.slice(-3000)}`)), timeoutMs);
        const done = (t: number): void => {
          clearTimeout(timer);
          resolve(t);
        };
        waiters.push({ pattern, resolve: done });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`the bot exited (${code}) before printing ${pattern}; its output ends:\n${output.slice(-3000)}`));
        });
      });
    },
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
