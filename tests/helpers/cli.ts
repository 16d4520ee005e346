/** Runs the built bundle as a user would: a real subprocess, with its own environment and cwd. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough, Writable } from 'node:stream';
import type { CommandIo } from '../../src/cli/command.js';
import { cleanEnv, sandboxConfig } from '../../bench/botProcess.js';
import { builtBundle } from './build.js';

export { cleanEnv };

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));


export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `timeoutMs` (default 60 s): a command that hangs is killed, so the test fails on its output instead of timing out blind. */
export function runBot(args: readonly string[], opts: { cwd: string; env?: Record<string, string>; input?: string; bundle?: string; timeoutMs?: number } ): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.bundle ?? builtBundle('bot'), ...args], { cwd: opts.cwd, env: cleanEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A command that exits before reading stdin closes the pipe (EPIPE): not a failure of the test.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** In-process streams for calling a Command directly. */
export function memoryIo(opts: { cwd: string; env?: NodeJS.ProcessEnv; isTTY?: boolean }): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  const stdin = Object.assign(new PassThrough(), { isTTY: opts.isTTY ?? false }) as NodeJS.ReadableStream & { isTTY?: boolean };
  return {
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    stdin,
    env: opts.env ?? {},
    cwd: opts.cwd,
    out: () => out,
    err: () => err,
  };
}

/**
 * Writes a config.json that trades BTCUSDT in testnet mode against a sandbox on loopback (its REST
 * URL, its NTP responder), with the phone's notifications and battery checks off.
 */
export function writeSandboxConfig(dir: string, sandbox: { restUrl: string; ntpPort: number | null }, symbol: Record<string, unknown> = {}): void {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(sandboxConfig(sandbox, 'testnet', { symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper', ...symbol }] })));
}
