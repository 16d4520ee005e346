/** Errors that carry an exit code for the command line (DESIGN section 4: 0 ok, 1 runtime, 2 usage/config). */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = 2;
}

/** A failure the user can act on, reported without a stack trace (exit code 0: a stop asked for during start-up). */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
  constructor(
    message: string,
    readonly exitCode: 0 | 1 | 2 = 1,
  ) {
    super(message);
  }
}
