/**
 * POSIX shell quoting for notification button actions, which Termux runs as `sh -c "<cmd>"`
 * (termux.md: actions run in a fresh background environment). Single quotes keep every byte
 * literal (spaces, `$`, backslashes); an embedded single quote becomes `'\''`.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new TypeError('a shell argument cannot contain a NUL byte');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
