/**
 * Test helper: a Logger (src/util/logger.ts) that keeps every line, so a test can assert what the
 * owner would read in bot.log after bad input: the level, the scope and the text with its fields.
 */
import type { LogFields, Logger, LogLevel } from '../../src/util/logger.js';

export interface LogLine {
  readonly level: LogLevel;
  readonly scope: string;
  readonly message: string;
  readonly fields: LogFields;
  /** Message and fields as one string, the way the real logger prints them. */
  readonly text: string;
}

export interface RecordingLogger extends Logger {
  readonly lines: LogLine[];
  /** Lines at warn or error whose text contains every one of `parts`. */
  problems(...parts: readonly string[]): LogLine[];
  /** Every line as text (for assertion messages). */
  dump(): string;
}

function fieldsText(fields: LogFields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function recordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  const make = (scope: string): Logger => {
    const write = (level: LogLevel) => (message: string, fields: LogFields = {}) => {
      lines.push({ level, scope, message, fields, text: `${message} ${fieldsText(fields)}`.trim() });
    };
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: (s) => make(scope ? `${scope}/${s}` : s) };
  };
  const root = make('');
  return {
    ...root,
    lines,
    problems: (...parts) => lines.filter((l) => (l.level === 'warn' || l.level === 'error') && parts.every((p) => l.text.includes(p))),
    dump: () => lines.map((l) => `${l.level} [${l.scope}] ${l.text}`).join('\n'),
  };
}
