/**
 * The backtest JSON (DESIGN section 4) written piece by piece (issue 21): a year of 1m candles makes
 * a 15 MB document whose equity curve alone is 525,600 `[ts, equity]` pairs, so neither the pairs
 * nor the text are ever built whole. The bytes are exactly `JSON.stringify(backtestReport(...))`:
 * the same key order, and each number as JSON.stringify writes it (`String(x)`; null when not
 * finite).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ReportCurves, ReportHead } from './backtestReport.js';

/** Where the text goes: a file, stdout. */
export interface TextSink {
  write(text: string): void;
}

/** Text is handed on in pieces of about this many characters. */
const PIECE_CHARS = 64 * 1024;

const num = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');

/** Writes the report, then a newline, as `JSON.stringify(report) + '\n'` would. */
export function writeReportJson(head: ReportHead, curves: ReportCurves, sink: TextSink): void {
  const { perf, ...rest } = head;
  // The head may hold any text (the file name): it goes out as it is; the rest is ASCII.
  const start = JSON.stringify(rest);
  sink.write(start.slice(0, -1));
  const out = asciiPieces(sink);
  const series = (key: string, values: Float64Array): void => {
    out.write(`,"${key}":[`);
    for (let i = 0; i < values.length; i++) out.write(`${i === 0 ? '' : ','}[${num(curves.times.at(i))},${num(values[i]!)}]`);
    out.write(']');
  };
  series('equity', curves.equity);
  if (head.strategy === 'maker') series('inventory', curves.inventory);
  out.write(`,"perf":${JSON.stringify(perf)}}\n`);
  out.flush();
}

/** Writes the report to a file (created or replaced). */
export function writeReportFile(path: string, head: ReportHead, curves: ReportCurves): void {
  const fd = openSync(path, 'w');
  try {
    writeReportJson(head, curves, { write: (text) => void writeSync(fd, text) });
  } finally {
    closeSync(fd);
  }
}

/**
 * Collects short ASCII pieces (numbers, brackets: the curves) in one reused byte buffer, no chain
 * of joined strings per piece, and hands each full buffer on as text.
 */
function asciiPieces(sink: TextSink): { write(ascii: string): void; flush(): void } {
  const buf = Buffer.allocUnsafe(PIECE_CHARS + 1024);
  let used = 0;
  const flush = (): void => {
    if (used > 0) sink.write(buf.toString('latin1', 0, used));
    used = 0;
  };
  return {
    write(text) {
      used += buf.write(text, used, 'latin1');
      if (used >= PIECE_CHARS) flush();
    },
    flush,
  };
}
