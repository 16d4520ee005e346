/**
 * The files `backtest` writes (src/cli/backtest.ts): `--json` (the report streamed, never built as
 * one string, issue 21; or a sweep's ranked summary) and `--html` (the run, or a sweep's best).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ReportCurves, ReportHead } from '../backtest/backtestReport.js';
import { renderHtmlReport } from '../backtest/htmlReport.js';
import { writeReportFile, writeReportJson } from '../backtest/reportJson.js';
import type { CommandIo } from './command.js';

/** One run's report: its head, its curves, and the notes for the summary and the HTML page. */
export interface BacktestResult {
  readonly head: ReportHead;
  readonly curves: ReportCurves;
  readonly notes: readonly string[];
}

/** `--json` gets the report (streamed, never built as one string) or a sweep's summary; `--html` the (best) run. */
export function writeBacktestOutputs(values: { readonly json?: string; readonly html?: string }, io: CommandIo, json: { report: BacktestResult } | { summary: unknown }, html: BacktestResult): void {
  if (values.json !== undefined) {
    if (values.json === '-') {
      if ('report' in json) writeReportJson(json.report.head, json.report.curves, { write: (text) => void io.stdout.write(text) });
      else io.stdout.write(JSON.stringify(json.summary) + '\n');
    } else {
      const out = resolve(io.cwd, values.json);
      mkdirSync(dirname(out), { recursive: true });
      if ('report' in json) writeReportFile(out, json.report.head, json.report.curves);
      else writeFileSync(out, JSON.stringify(json.summary) + '\n');
      io.stderr.write(`backtest: JSON written to ${values.json}\n`);
    }
  }
  if (values.html !== undefined) {
    const out = resolve(io.cwd, values.html);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, renderHtmlReport(html.head, html.curves, html.notes));
    io.stderr.write(`backtest: HTML report written to ${values.html} (on the phone: termux-open ${values.html})\n`);
  }
}
