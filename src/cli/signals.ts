/**
 * `node dist/bot.js signals --data FILE.csv[.gz] [--set k=v]...` (DESIGN section 4): the scalper's
 * per-candle view as CSV on stdout, so the owner can see on the phone why the bot did or did not
 * trade. Header `ts,close,rsi,stochK,stochD,pivotHigh,pivotLow,signal`; one row per candle; an empty
 * cell where a value is not yet defined; a pivot's price on the row of the candle that confirms it;
 * `signal` long/short with the cooldown applied and positions ignored (DESIGN section 5); then
 * `pivot`, the pivot a signal used (an extension after the eight columns of the contract).
 * `--set` keys are scalper parameters, validated by the scalper's own schema.
 */
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import type { CandleSource } from '../backtest/candleSource.js';
import type { Candle } from '../domain/types.js';
import { applySets, parseSetArg, type SetOverride } from '../config/set.js';
import { DEFAULT_SCALPER_PARAMS, scalperParamsSchema, type ScalperParams } from '../strategies/scalperParams.js';
import { ScalperSignals } from '../strategies/scalperSignals.js';
import { UsageError } from '../util/errors.js';
import type { Command, CommandIo } from './command.js';
import { openDataArg } from './paths.js';

/**
 * DESIGN section 4's eight columns, then `pivot`: the confirmed pivot a signal was measured against
 * (the pivot low for long, the pivot high for short), on signal rows only. Columns added later
 * (`--indicators`) come after `pivot`.
 */
export const SIGNALS_HEADER = 'ts,close,rsi,stochK,stochD,pivotHigh,pivotLow,signal,pivot';
/** What `--indicators` appends, after the columns above (DESIGN section 4 and 5b). */
export const INDICATOR_COLUMNS = 'ema,sma,momentum,cci,willr,psar,vwap,mfi,bbUpper,bbMiddle,bbLower,fisher,fib382,fib500,fib618,volRatio,atr,score';

const usage = `Usage: node dist/bot.js signals --data FILE.csv[.gz] [--set key=value]...

Prints the scalper's per-candle signals as CSV on stdout:
  ${SIGNALS_HEADER}
One row per candle; empty cells where a value is not yet defined; pivotHigh/pivotLow hold a pivot's
price on the row of the candle that confirms it; signal is long, short or empty (cooldown applied,
open positions ignored); pivot, on a signal's row, is the pivot it was measured against (the latest
confirmed pivot low for long, pivot high for short).

Options:
  --data FILE       candle CSV (ts,open,high,low,close,volume), .csv or .csv.gz
  --set key=value   override a scalper parameter (repeatable), e.g. --set proximityPct=0.5
  --indicators      append the indicator set and the signal score (on candidate rows):
                    ${INDICATOR_COLUMNS}
  -h, --help        show this help

Scalper parameters and defaults:
${Object.entries(DEFAULT_SCALPER_PARAMS)
  .map(([k, val]) => `  ${k}=${JSON.stringify(val)}`)
  .join('\n')}
`;

export const signalsCommand: Command = {
  name: 'signals',
  summary: "print the scalper's per-candle indicators and signals as CSV",
  usage,
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    let data: string;
    let params: ScalperParams;
    let indicators = false;
    try {
      const parsed = parseArgs({
        args: [...argv],
        options: { data: { type: 'string' }, set: { type: 'string', multiple: true }, indicators: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
        allowPositionals: false,
      });
      if (parsed.values.help) {
        io.stderr.write(usage);
        return 0;
      }
      if (parsed.values.data === undefined || parsed.values.data === '') throw new UsageError('signals needs --data FILE.csv (see signals --help)');
      data = parsed.values.data;
      indicators = parsed.values.indicators === true;
      params = scalperParamsFrom((parsed.values.set ?? []).map(parseSetArg));
    } catch (error) {
      io.stderr.write(`signals: ${error instanceof Error ? error.message : String(error)}\n`);
      return 2;
    }

    // Checked through once first, so a bad line is an error with nothing written; then read in
    // batches, never held whole (446,130 1m candles as objects took 218 MB).
    let source: CandleSource;
    try {
      source = (await openDataArg(data, io)).source;
    } catch (error) {
      io.stderr.write(`signals: ${(error as Error).message}\n`);
      return 2;
    }
    await writeAll(io.stdout, signalsCsvChunks(source.batches(), params, indicators));
    return 0;
  },
};

/** Applies `--set` overrides to the scalper defaults; a bad key or value is a UsageError naming it. */
export function scalperParamsFrom(overrides: readonly SetOverride[]): ScalperParams {
  const raw = applySets<Record<string, unknown>>({}, overrides);
  const result = v.safeParse(scalperParamsSchema, raw);
  if (result.success) return result.output;
  const messages = result.issues.map((issue) => {
    const key = issue.path?.[0]?.key;
    const name = typeof key === 'string' ? key : '?';
    const given = overrides.findLast((o) => o.path[0] === name)?.raw ?? name;
    if (issue.type === 'strict_object') {
      return `--set ${given}: "${name}" is not a scalper parameter (known: ${Object.keys(scalperParamsSchema.entries).join(', ')})`;
    }
    const nested = (issue.path?.length ?? 0) > 1 ? ` (${name} takes a single value, not key.path)` : '';
    return `--set ${given}: ${name} ${issue.message}${nested}`;
  });
  throw new UsageError(messages.join('\n'));
}

/** The whole signals CSV as text chunks (about 64 KiB each), header first. */
export async function* signalsCsvChunks(batches: AsyncIterable<readonly Candle[]>, params: ScalperParams, indicators = false): AsyncGenerator<string> {
  const s = new ScalperSignals(params, { indicators });
  let chunk = SIGNALS_HEADER + (indicators ? ',' + INDICATOR_COLUMNS : '') + '\n';
  for await (const batch of batches) {
    for (const c of batch) {
      const signal = s.update(c);
      chunk +=
        `${c.ts},${c.close},${fmt4(s.rsi)},${fmt4(s.stochK)},${fmt4(s.stochD)},` +
        `${s.pivotHighConfirmed === null ? '' : s.pivotHighConfirmed},${s.pivotLowConfirmed === null ? '' : s.pivotLowConfirmed},${signal ?? ''},${signal === null || s.triggerPivot === null ? '' : s.triggerPivot}\n`;
      // The indicator cells go last on the row, after every column above.
      if (indicators) chunk = chunk.slice(0, -1) + indicatorCells(s) + '\n';
      if (chunk.length >= 65_536) {
        yield chunk;
        chunk = '';
      }
    }
  }
  if (chunk !== '') yield chunk;
}

/** The `--indicators` cells of the last candle, each after a comma. */
function indicatorCells(s: ScalperSignals): string {
  const x = s.indicators!;
  const values = [x.ema.value, x.sma.value, x.momentum.value, x.cci.value, x.willr.value, x.psar.value, x.vwap.value, x.mfi.value];
  values.push(x.bb.upper, x.bb.value, x.bb.lower, x.fisher.value, x.fib.level382, x.fib.level500, x.fib.level618, x.volRatio.value, x.atr.value, s.candidateScore);
  return values.map((v) => ',' + fmt4(v)).join('');
}

/** Up to 4 decimals, no trailing zeros, never "-0"; empty for undefined. */
function fmt4(x: number | null): string {
  if (x === null) return '';
  const r = Math.round(x * 1e4) / 1e4;
  return r === 0 ? '0' : String(r);
}

async function writeAll(stream: NodeJS.WritableStream, chunks: AsyncIterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    await new Promise<void>((resolveWrite, reject) => {
      stream.write(chunk, (err) => (err ? reject(err) : resolveWrite()));
    });
  }
}
