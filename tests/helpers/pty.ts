/**
 * A real pseudo-terminal for end-to-end tests of interactive commands: util-linux `script` runs
 * the command on a new pty and relays our pipe to it, so the program sees `isTTY === true`,
 * readline runs in terminal mode, and hidden input is really hidden.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cleanEnv } from './cli.js';

export class PtySession {
  readonly #child: ChildProcessWithoutNullStreams;
  #output = '';
  #cursor = 0;
  readonly exited: Promise<number | null>;

  constructor(argv: readonly string[], opts: { cwd: string; env?: Record<string, string> }) {
    const command = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    this.#child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: opts.cwd, env: cleanEnv({ TERM: 'xterm', ...opts.env }) });
    // Typing into a terminal whose program has already exited is not an error of the test.
    this.#child.stdin.on('error', () => {});
    this.#child.stdout.on('data', (d: Buffer) => (this.#output += d.toString()));
    this.#child.stderr.on('data', (d: Buffer) => (this.#output += d.toString()));
    this.exited = new Promise((resolve) => this.#child.on('close', (code) => resolve(code)));
  }

  /** Everything the terminal showed, escape sequences removed. */
  get screen(): string {
    return stripAnsi(this.#output);
  }

  /** Waits until `pattern` appears in output not yet consumed by an earlier expect. */
  async expect(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const text = stripAnsi(this.#output);
      const rest = text.slice(this.#cursor);
      const m = pattern.exec(rest);
      if (m) {
        this.#cursor += m.index + m[0].length;
        return;
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; the terminal showed:\n${text.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  /** Types a line as a person would (Enter is a carriage return on a terminal). */
  type(line: string): void {
    this.#child.stdin.write(line + '\r');
  }

  interrupt(): void {
    this.#child.stdin.write('\x03');
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

function stripAnsi(s: string): string {
  // eslint-style CSI/OSC removal; enough for readline's cursor moves and colour codes.
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g, '').replace(/\r/g, '');
}
