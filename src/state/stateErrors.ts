/**
 * Errors of the state layer. Each names the file and what is wrong, so that the owner can act on
 * it from a phone (issue 6, parts 3 and 4). They extend `UserFacingError` so the command line prints
 * the message without a stack trace and exits with the code given here.
 */
import { UserFacingError } from '../util/errors.js';

export const STATE_FILE_PROBLEMS = ['syntax', 'schema', 'newer-version', 'missing', 'unreadable'] as const;
export type StateFileProblem = (typeof STATE_FILE_PROBLEMS)[number];

export interface StateFileErrorDetails {
  readonly file: string;
  readonly problem: StateFileProblem;
  /** What is wrong, in words (parser message, schema issue, ...). */
  readonly detail: string;
  /** For `syntax`: 1-based line and column of the first bad character. */
  readonly line?: number;
  readonly column?: number;
  /** For `schema`: dot path of the first invalid value, e.g. `symbols.BTCUSDT.position.size`. */
  readonly path?: string;
  /** Newest backup that parses and validates, or null when there is none. */
  readonly newestBackup: string | null;
}

/**
 * `state.json` cannot be used. The file is left exactly as it is: the bot refuses to trade on it,
 * and `run --restore-backup` (`restoreBackup()`) moves it aside and restores `newestBackup`.
 */
export class StateFileError extends UserFacingError {
  override name = 'StateFileError';
  readonly file: string;
  readonly problem: StateFileProblem;
  readonly detail: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly path: string | undefined;
  readonly newestBackup: string | null;

  constructor(d: StateFileErrorDetails) {
    super(describe(d), 1);
    this.file = d.file;
    this.problem = d.problem;
    this.detail = d.detail;
    this.line = d.line;
    this.column = d.column;
    this.path = d.path;
    this.newestBackup = d.newestBackup;
  }
}

function describe(d: StateFileErrorDetails): string {
  const what =
    d.problem === 'syntax'
      ? `is not valid JSON at line ${d.line ?? '?'}, column ${d.column ?? '?'}: ${d.detail}`
      : d.problem === 'schema'
        ? `does not match the state schema at "${d.path ?? '(root)'}": ${d.detail}`
        : d.problem === 'newer-version'
          ? `was written by a newer version of pocket-scalper: ${d.detail}`
          : d.problem === 'missing'
            ? `is missing although backups exist: ${d.detail}`
            : `cannot be read: ${d.detail}`;
  const backup =
    d.newestBackup === null
      ? 'There is no valid backup; fix or remove the file by hand.'
      : `Newest valid backup: ${d.newestBackup} (run with --restore-backup to restore it; the damaged file is kept under a timestamped name).`;
  const untouched = d.problem === 'missing' ? '' : ' The file was left untouched.';
  return `${d.file} ${what}. Refusing to trade on it.${untouched} ${backup}`;
}

/** Another live process holds the state directory's lock (the CLI exits 2). */
export class StateLockedError extends UserFacingError {
  override name = 'StateLockedError';
  constructor(
    readonly lockFile: string,
    readonly pid: number | null,
    readonly startedMs: number | null,
  ) {
    super(
      pid === null
        ? `${lockFile} is being created by another instance right now; only one bot may use a state directory.`
        : `Another instance (PID ${pid}${startedMs === null ? '' : `, started ${new Date(startedMs).toISOString()}`}) is using this state directory (${lockFile}). Stop it first, or use another --state-dir.`,
      2,
    );
  }
}

/** A state update produced a value that does not match the schema (a programming error upstream). */
export class InvalidStateUpdateError extends Error {
  override name = 'InvalidStateUpdateError';
}

/** A journal record handed to `append` does not match the record schema. */
export class InvalidJournalRecordError extends Error {
  override name = 'InvalidJournalRecordError';
}

/** `restoreBackup` found nothing it may restore (no valid backup, or the current file is fine). */
export class RestoreBackupError extends UserFacingError {
  override name = 'RestoreBackupError';
}
