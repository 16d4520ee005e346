/**
 * Runs a Termux:API command with a hard timeout (termux.md: if the Termux:API app is missing,
 * frozen or killed, every termux-api command hangs forever; termux-api-package #138, #200).
 *
 * Why not `execFile({ timeout })`: the termux-* commands are shell scripts that pipe into a
 * `termux-api` child. Killing only the script leaves the child holding the output pipe, and
 * execFile's callback waits for that pipe to close, i.e. forever. So the command runs in its own
 * process group (`detached`), the whole group gets SIGKILL on timeout, and we settle at once
 * without waiting for the pipes. stdin is ignored: termux-notification reads stdin for 3 s when
 * it has no `-c`, and a hung stdin must never hold us.
 */
import { spawn } from 'node:child_process';

export type GuardedResult =
  | { readonly status: 'ok'; readonly stdout: string; readonly stderr: string }
  | { readonly status: 'exit'; readonly code: number | null; readonly signal: string | null; readonly stdout: string; readonly stderr: string }
  | { readonly status: 'timeout'; readonly timeoutMs: number }
  /** The binary is not on PATH (ENOENT): Termux:API package not installed. */
  | { readonly status: 'missing' }
  /** Spawn failed otherwise (EACCES, EMFILE …). */
  | { readonly status: 'spawnError'; readonly code: string };

export interface GuardedRunOptions {
  /** Environment of the child; its PATH decides where `command` is looked up. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Output kept per stream; the rest is discarded. Default 64 KiB. */
  readonly maxOutputBytes?: number;
}

export function runGuarded(command: string, args: readonly string[], options: GuardedRunOptions): Promise<GuardedResult> {
  const maxBytes = options.maxOutputBytes ?? 64 * 1024;
  return new Promise((resolve) => {
    let settled = false;
    let exited: { code: number | null; signal: string | null } | null = null;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;

    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      windowsHide: true,
    });

    const finish = (result: GuardedResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };

    const timer = setTimeout(() => {
      killGroup(child.pid, () => child.kill('SIGKILL'));
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
      if (exited) finish(toResult(exited, out, err));
      else finish({ status: 'timeout', timeoutMs: options.timeoutMs });
    }, options.timeoutMs);

    child.stdout?.on('data', (chunk: Buffer) => {
      if (outBytes < maxBytes) out.push(chunk.subarray(0, maxBytes - outBytes));
      outBytes += chunk.length;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (errBytes < maxBytes) err.push(chunk.subarray(0, maxBytes - errBytes));
      errBytes += chunk.length;
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish(e.code === 'ENOENT' ? { status: 'missing' } : { status: 'spawnError', code: e.code ?? e.name });
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      finish(toResult(exited ?? { code, signal }, out, err));
    });
  });
}

function toResult(exit: { code: number | null; signal: string | null }, out: Buffer[], err: Buffer[]): GuardedResult {
  const stdout = Buffer.concat(out).toString('utf8');
  const stderr = Buffer.concat(err).toString('utf8');
  return exit.code === 0 ? { status: 'ok', stdout, stderr } : { status: 'exit', code: exit.code, signal: exit.signal, stdout, stderr };
}

function killGroup(pid: number | undefined, fallback: () => void): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    fallback();
  }
}

/** One line for logs: what went wrong, never the arguments (they may carry alert text). */
export function describeGuarded(command: string, result: GuardedResult): string {
  switch (result.status) {
    case 'ok':
      return `${command}: ok`;
    case 'exit':
      return `${command}: exited with ${result.code === null ? `signal ${result.signal ?? '?'}` : `code ${result.code}`}${result.stderr.trim() ? `: ${result.stderr.trim().slice(0, 200)}` : ''}`;
    case 'timeout':
      return `${command}: no answer within ${result.timeoutMs} ms (Termux:API app missing or frozen?); killed`;
    case 'missing':
      return `${command}: not found on PATH (install with \`pkg install termux-api\` and the Termux:API app)`;
    case 'spawnError':
      return `${command}: could not start (${result.code})`;
  }
}
