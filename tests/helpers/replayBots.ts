/**
 * The real bundle as the owner runs it for a rehearsal: `run --replay` of the committed BTCUSDT
 * candles (the live stack against the sandbox on loopback), in a temp dir holding config.json, with a
 * fake termux-notification first on PATH (tests/alerts/fakeTermux.ts) and everything it prints kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll } from 'vitest';
import { makeFakeTermux, type FakeTermux } from '../alerts/fakeTermux.js';
import { builtBundle } from './build.js';
import { cleanEnv, ROOT } from './cli.js';

const CANDLES = join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz');

export interface ReplayBotOptions {
  /** Names the temp dirs. */
  readonly name: string;
  /** config.json: a string is written as it is, an object as compact JSON. */
  readonly config: string | Record<string, unknown>;
  /** `record` (default): termux-notification records its calls; `hang`: it never returns; `none`: no fake on PATH. */
  readonly termux?: 'record' | 'hang' | 'none';
}

export interface ReplayBot {
  /** The temp dir: the bot's cwd, with config.json and state/. */
  readonly dir: string;
  /** The environment the bot runs with (its PATH finds the fake termux first). */
  readonly env: NodeJS.ProcessEnv;
  /** The fake Termux:API commands; throws for `termux: 'none'`. */
  readonly termux: FakeTermux;
  /** Starts `run --replay` at `speed`; the output starts empty again. */
  start(speed: number): void;
  /** stdout and stderr of the current run, as printed. */
  output(): string;
  /** Polls `probe` every 100 ms until it gives something other than null or false; fails with the bot's output. */
  until<T>(what: string, probe: () => Promise<T | null | false> | T | null | false, timeoutMs?: number): Promise<T>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * For one test file: builds the bundle before its tests, and after each test kills what still runs
 * and removes the temp dirs. `untilTimeoutMs` is the file's default wait for `until`.
 */
export function replayBots(options: { untilTimeoutMs?: number } = {}): (bot: ReplayBotOptions) => ReplayBot {
  const waitMs = options.untilTimeoutMs ?? 30_000;
  const made: Array<{ child: () => ChildProcess | null; termux: FakeTermux | null; dir: string }> = [];
  let bundle = '';
  beforeAll(() => {
    bundle = builtBundle('bot');
  });
  afterEach(() => {
    for (const m of made.splice(0)) {
      const child = m.child();
      if (child && child.exitCode === null) child.kill('SIGKILL');
      m.termux?.cleanup();
      rmSync(m.dir, { recursive: true, force: true });
    }
  });

  return (o) => {
    const dir = mkdtempSync(join(tmpdir(), `pocket-${o.name}-`));
    const mode = o.termux ?? 'record';
    const termux = mode === 'none' ? null : makeFakeTermux(`pocket-${o.name}-termux-`);
    if (termux) {
      if (mode === 'hang') termux.hang('termux-notification');
      else termux.record('termux-notification');
      termux.record('termux-notification-remove');
    }
    let child: ChildProcess | null = null;
    made.push({ child: () => child, termux, dir });
    writeFileSync(join(dir, 'config.json'), typeof o.config === 'string' ? o.config : JSON.stringify(o.config));
    const env = termux ? cleanEnv({ PATH: `${termux.binDir}:${process.env.PATH ?? ''}` }) : cleanEnv();
    let output = '';

    return {
      dir,
      env,
      get termux(): FakeTermux {
        if (!termux) throw new Error('this bot runs without a fake termux');
        return termux;
      },
      start(speed) {
        output = '';
        child = spawn(process.execPath, [bundle, 'run', '--replay', CANDLES, '--speed', String(speed)], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      },
      output: () => output,
      async until(what, probe, timeoutMs = waitMs) {
        const end = Date.now() + timeoutMs;
        for (;;) {
          const v = await probe();
          if (v !== null && v !== false) return v;
          if (Date.now() > end) throw new Error(`timed out waiting for ${what}; bot output:\n${output.slice(-3000)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stop(signal = 'SIGINT') {
        const running = child;
        if (!running) throw new Error('the bot was not started');
        const exited = new Promise<number | null>((r) => running.once('exit', (code) => r(code)));
        running.kill(signal);
        return exited;
      },
    };
  };
}
