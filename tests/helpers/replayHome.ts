/**
 * A short `run --replay` of the built bundle, as a user runs it. Its folder: the first rows of the real BTCUSDT 1m candles
 * (data/bybit-BTCUSDT-1m.csv.gz) as a plain file, and a paper-mode config.json with the scalper on
 * BTCUSDT and no phone (no Termux notifications, no battery checks).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { builtBundle } from './build.js';
import { ROOT } from './cli.js';

/** Writes the first `rows` candles and config.json into `home`; returns the candle file's path. */
export function writeReplayHome(home: string, rows: number): string {
  const lines = gunzipSync(readFileSync(join(ROOT, 'data', 'bybit-BTCUSDT-1m.csv.gz'))).toString('utf8').trim().split('\n');
  const file = join(home, 'bybit-BTCUSDT-1m.csv');
  writeFileSync(file, lines.slice(0, 1 + rows).join('\n') + '\n');
  writeFileSync(join(home, 'config.json'), JSON.stringify({ mode: 'paper', alerts: { termux: { enabled: false } }, battery: { enabled: false }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }));
  return file;
}

export interface ReplayRun {
  /** stdout and stderr as printed. */
  readonly output: string;
  readonly code: number | null;
  /** When "running" was first printed (ms since the epoch, as this process saw it). */
  readonly runningAt: number;
}

/**
 * Runs the built bundle's `run --replay FILE --speed 60` in `home` until `done(output, runningAt)`
 * holds (checked every 50 ms; `runningAt` is NaN before "running" was printed), then SIGTERM, and
 * resolves with what it printed and its exit code. Fails with the output when the bot exits first or
 * after `timeoutMs`.
 */
export async function replayUntil(opts: {
  readonly home: string;
  readonly file: string;
  readonly nodeArgs?: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly done: (output: string, runningAt: number) => boolean;
  readonly timeoutMs?: number;
}): Promise<ReplayRun> {
  const bot = spawn(process.execPath, [...(opts.nodeArgs ?? []), builtBundle('bot'), 'run', '--replay', opts.file, '--speed', '60'], { cwd: opts.home, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let runningAt = NaN;
  const onData = (d: Buffer): void => {
    output += d.toString();
    if (Number.isNaN(runningAt) && / running /.test(output)) runningAt = Date.now();
  };
  bot.stdout.on('data', onData);
  bot.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => bot.once('exit', (code) => r(code)));
  const end = Date.now() + (opts.timeoutMs ?? 60_000);
  while (!opts.done(output, runningAt)) {
    if (Date.now() > end || bot.exitCode !== null) {
      bot.kill('SIGKILL');
      throw new Error(`the replay ended or stalled before the test's moment; its output ends:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  bot.kill('SIGTERM');
  return { output, code: await exited, runningAt };
}
