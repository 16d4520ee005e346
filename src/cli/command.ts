/**
 * The shape of one command of `node dist/bot.js`. Each command lives in its own file under
 * `src/cli/`, parses its own arguments (node:util `parseArgs`), prints its own `--help`, and
 * returns the process exit code (0 ok, 1 runtime failure, 2 usage or configuration error).
 * Human text goes to stderr; `--json` output is one JSON document on stdout.
 */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full usage text printed by `COMMAND --help`. */
  readonly usage: string;
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}

export function processIo(): CommandIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}
