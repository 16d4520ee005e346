/**
 * The logger: levels, timestamps, colour on a terminal (kleur, honouring NO_COLOR and
 * FORCE_COLOR), a size-rotated log file in the state directory, and secret redaction on every line.
 * File writes are synchronous on purpose: the phone may SIGKILL us at any instant and the last
 * lines before a kill are the ones the owner needs.
 *
 * A log file that cannot be written (issue 22: a full or read-only storage, where writing more only
 * makes it worse) is said once on the terminal, then left alone: lines go to the terminal only, and
 * the file is tried again at most every 30 s, with one line when it works again.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import kleur from 'kleur';
import { redact } from './redact.js';
import { throwIfWriteFault } from './writeFault.js';

/** A log file that failed is tried again after this long, not on every line. */
const LOG_FILE_RETRY_MS = 30_000;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines carry `scope` (e.g. "exchange", "BTCUSDT"). */
  child(scope: string): Logger;
  /** True when every line is dropped (silentLogger): a caller may skip building a frequent one. */
  readonly discards?: boolean;
}

export interface LogFileOptions {
  readonly path: string;
  /** Rotate when the file would grow past this many bytes. */
  readonly maxBytes: number;
  /** How many rotated files to keep (`bot.log.1` … `bot.log.N`). */
  readonly keep: number;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Terminal stream; default process.stderr. */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly file?: LogFileOptions | null;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
  /** Put first on every line: the account a line is about (MAIN, MIRROR) when the bot trades two (issue 24). */
  readonly label?: string;
}

/** Colour decision per the NO_COLOR / FORCE_COLOR conventions, then whether the stream is a TTY. */
export function colourEnabled(env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  if (force === '0' || force === 'false') return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const colours = kleur;
  const useColour = colourEnabled(options.env ?? process.env, stream);
  const threshold = RANK[options.level ?? 'info'];
  const now = options.now ?? Date.now;
  const file = options.file ?? null;
  const account = options.label ? `${options.label} ` : '';
  /** Set while the log file cannot be written: when it was last tried, and lines it missed. */
  let fileDown: { triedMs: number; missed: number } | null = null;
  const toTerminal = (line: string): void => {
    try {
      stream.write(line);
    } catch {
      // A closed terminal must not stop the bot.
    }
  };
  const toFile = (f: LogFileOptions, ts: string, line: string): void => {
    const nowMs = now();
    if (fileDown !== null && nowMs - fileDown.triedMs < LOG_FILE_RETRY_MS) {
      fileDown.missed++;
      return;
    }
    try {
      if (fileDown !== null) appendToFile(f, `${ts} INFO  log file writable again (${fileDown.missed} line(s) went to the terminal only)\n`);
      appendToFile(f, line);
      fileDown = null;
    } catch (e) {
      if (fileDown === null) toTerminal(`${ts.slice(11, 23)} WARN  ${redact(`log file ${f.path} not writable (${e instanceof Error ? e.message : String(e)}): logging to the terminal only, trying the file again every 30 s`)}\n`);
      fileDown = { triedMs: nowMs, missed: (fileDown?.missed ?? 0) + 1 };
    }
  };
  if (file) {
    try {
      mkdirSync(dirname(file.path), { recursive: true });
    } catch {
      // Said by the first line that cannot be written.
    }
  }

  const paint: Record<LogLevel, (s: string) => string> = {
    debug: (s) => colours.gray(s),
    info: (s) => colours.cyan(s),
    warn: (s) => colours.yellow(s),
    error: (s) => colours.red().bold(s),
  };

  function write(level: LogLevel, scope: string, message: string, fields?: LogFields): void {
    if (RANK[level] < threshold) return;
    const ts = new Date(now()).toISOString();
    const tail = fields && Object.keys(fields).length ? ' ' + formatFields(fields) : '';
    const text = redact(`${account}${scope ? `[${scope}] ` : ''}${message}${tail}`);
    const label = level.toUpperCase().padEnd(5);
    const termLine = useColour ? painted(() => `${colours.dim(ts.slice(11, 23))} ${paint[level](label)} ${text}\n`) : `${ts.slice(11, 23)} ${label} ${text}\n`;
    toTerminal(termLine);
    if (file) toFile(file, ts, `${ts} ${label} ${text}\n`);
  }

  function make(scope: string): Logger {
    return {
      debug: (m, f) => write('debug', scope, m, f),
      info: (m, f) => write('info', scope, m, f),
      warn: (m, f) => write('warn', scope, m, f),
      error: (m, f) => write('error', scope, m, f),
      child: (s) => make(scope ? `${scope}/${s}` : s),
    };
  }
  return make('');
}

/** kleur decides colour once, from stdout; we decide per stream, so switch it on just while painting. */
export function painted(render: () => string): string {
  const was = kleur.enabled;
  kleur.enabled = true;
  try {
    return render();
  } finally {
    kleur.enabled = was;
  }
}

function formatFields(fields: LogFields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(' ');
}

function formatValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(`${v.name}: ${v.message}`);
  if (typeof v === 'string') return /^[\w.:/@+-]*$/.test(v) && v !== '' ? v : JSON.stringify(v);
  if (typeof v === 'object' && v !== null && 'toFixed' in v && typeof (v as { toFixed: unknown }).toFixed === 'function') {
    return String(v); // Decimal
  }
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Throws when the line could not be written (the caller falls back to the terminal). */
function appendToFile(file: LogFileOptions, line: string): void {
  throwIfWriteFault(file.path);
  const size = existsSync(file.path) ? statSync(file.path).size : 0;
  if (size > 0 && size + Buffer.byteLength(line) > file.maxBytes) rotate(file);
  appendFileSync(file.path, line, { mode: 0o600 });
}

function rotate(file: LogFileOptions): void {
  const oldest = `${file.path}.${file.keep}`;
  if (existsSync(oldest)) unlinkSync(oldest);
  for (let i = file.keep - 1; i >= 1; i--) {
    const from = `${file.path}.${i}`;
    if (existsSync(from)) renameSync(from, `${file.path}.${i + 1}`);
  }
  if (file.keep >= 1) renameSync(file.path, `${file.path}.1`);
  else unlinkSync(file.path);
}

/** A logger that discards everything (tests, and commands that must print only JSON). */
export const silentLogger: Logger = {
  discards: true,
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
