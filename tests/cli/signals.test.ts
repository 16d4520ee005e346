/**
 * `signals` (DESIGN section 4), run in-process with captured streams on the real BTCUSDT 1m data.
 * Expected rows are the hand-worked scalper scenarios of tests/strategies/scalper.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signalsCommand } from '../../src/cli/signals.js';
import { formatCandleCsv } from '../../src/domain/candleCsv.js';
import { dataPath, realCandles } from '../indicators/realData.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'pocket-signals-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await signalsCommand.run(argv, { stdout, stderr, stdin: Readable.from([]), env: {}, cwd: tmp });
  return { code, out: stdout.text, err: stderr.text };
}

const BTC = dataPath('bybit-BTCUSDT-1m.csv.gz');
const candles = realCandles('bybit-BTCUSDT-1m.csv.gz');
const rowsOf = (out: string) => out.trimEnd().split('\n').slice(1).map((l) => l.split(','));

describe('signals on data/bybit-BTCUSDT-1m.csv.gz', () => {
  let code = -1;
  let out = '';
  let err = '';
  let rows: string[][] = [];
  beforeAll(async () => {
    ({ code, out, err } = await run('--data', BTC));
    rows = rowsOf(out);
  });
  const col = (name: string) => ['ts', 'close', 'rsi', 'stochK', 'stochD', 'pivotHigh', 'pivotLow', 'signal', 'pivot'].indexOf(name);

  it("prints the header (DESIGN section 4's eight columns, then pivot) and one row per candle, nothing on stderr", () => {
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out.split('\n')[0]).toBe('ts,close,rsi,stochK,stochD,pivotHigh,pivotLow,signal,pivot');
    expect(rows).toHaveLength(candles.length);
    expect(rows.every((r, i) => r.length === 9 && r[0] === String(candles[i]!.ts) && r[1] === String(candles[i]!.close))).toBe(true);
  });

  it('leaves cells empty until defined: RSI from the 15th candle, K from the 30th, D from the 32nd', () => {
    expect(rows[13]![col('rsi')]).toBe('');
    expect(rows[14]![col('rsi')]).not.toBe('');
    expect(rows[28]![col('stochK')]).toBe('');
    expect(rows[29]![col('stochK')]).toBe('43.8427');
    expect(rows[30]![col('stochD')]).toBe('');
    expect(rows[31]![col('stochD')]).not.toBe('');
  });

  it('formats indicator values with at most 4 decimals', () => {
    const form = /^\d{1,3}(\.\d{1,4})?$/;
    const bad = rows.slice(40).flatMap((r) => [r[col('rsi')]!, r[col('stochK')]!, r[col('stochD')]!].filter((cell) => !form.test(cell)));
    expect(bad).toEqual([]);
  });

  it('puts each pivot price on the row of the candle that confirms it', () => {
    // Row 41's high 106718.8 is confirmed at row 42; row 57's low 106120.9 at row 58.
    expect(rows[41]![col('pivotHigh')]).toBe('');
    expect(rows[42]![col('pivotHigh')]).toBe('106718.8');
    expect(rows[58]![col('pivotLow')]).toBe('106120.9');
    expect(rows[40]![col('pivotLow')]).toBe('106030.5');
  });

  it('shows the hand-worked signals of rows 0–79, cooldown applied', () => {
    const signals = rows.slice(0, 80).flatMap((r, i) => (r[col('signal')] ? [`${i} ${r[col('signal')]}`] : []));
    expect(signals).toEqual(['44 short', '49 short', '58 long', '67 short', '76 long']);
    // Row 58 shows both the pivot low confirmed there and the long it triggers.
    expect(rows[58]!.slice(5)).toEqual(['', '106120.9', 'long', '106120.9']);
    expect(rows[75]![col('stochK')], 'a real 0 is printed, not left empty').toBe('0');
  });

  it('prints on each signal row the pivot it used: the latest confirmed pivot low (long) or high (short), within proximityPct of the close', () => {
    let low = '';
    let high = '';
    let signals = 0;
    for (const r of rows) {
      if (r[col('pivotLow')]) low = r[col('pivotLow')]!;
      if (r[col('pivotHigh')]) high = r[col('pivotHigh')]!;
      const signal = r[col('signal')];
      if (!signal) {
        expect(r[col('pivot')], 'no pivot without a signal').toBe('');
        continue;
      }
      signals++;
      const pivot = r[col('pivot')]!;
      expect(pivot, `row ${r[0]}`).toBe(signal === 'long' ? low : high);
      expect(Math.abs(Number(r[col('close')]) - Number(pivot))).toBeLessThanOrEqual((0.3 / 100) * Number(pivot) + 1e-9);
    }
    expect(signals).toBeGreaterThan(100);
  });

  it('never looks ahead: a file cut after N candles prints the same first N rows', async () => {
    for (const n of [1, 30, 31, 32, 43, 44, 45, 58, 59, 77, 1000, 5003]) {
      const file = join(tmp, `cut-${n}.csv`);
      writeFileSync(file, formatCandleCsv(candles.slice(0, n)));
      const cut = await run('--data', file);
      expect(cut.code).toBe(0);
      expect(cut.out, `first ${n} candles`).toBe(out.split('\n').slice(0, n + 1).join('\n') + '\n');
    }
  });
});

describe('signals options', () => {
  it('--set changes a scalper parameter (proximityPct 0.6 admits the row-41 long)', async () => {
    writeFileSync(join(tmp, 'first80.csv'), formatCandleCsv(candles.slice(0, 80)));
    const { code, out } = await run('--data', 'first80.csv', '--set', 'proximityPct=0.6');
    expect(code).toBe(0);
    const signals = rowsOf(out).slice(0, 80).flatMap((r, i) => (r[7] ? [`${i} ${r[7]}`] : []));
    expect(signals).toEqual(['41 long', '49 short', '58 long', '67 short', '76 long']);
  });

  it('reads a plain .csv relative to the working directory', async () => {
    writeFileSync(join(tmp, 'small.csv'), formatCandleCsv(candles.slice(0, 50)));
    const { code, out } = await run('--data', 'small.csv', '--set', 'cooldownCandles=5', '--set', 'takeProfitR=[1,3]');
    expect(code).toBe(0);
    expect(rowsOf(out)).toHaveLength(50);
    expect(rowsOf(out)[49]![7], 'row 49 falls in the 5-candle cooldown after row 44').toBe('');
  });

  it('rejects a bad --set value with the key and the expected form, exit 2', async () => {
    const r = await run('--data', BTC, '--set', 'pivotLeft=0');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe('signals: --set pivotLeft=0: pivotLeft must be at least 1\n');
    const s = await run('--data', BTC, '--set', 'stopMode=trailing');
    expect(s.err).toBe('signals: --set stopMode=trailing: stopMode must be "pivot" or "atr"\n');
  });

  it('rejects an unknown --set key, listing the known ones', async () => {
    const r = await run('--data', BTC, '--set', 'proximity=0.5');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--set proximity=0.5: "proximity" is not a scalper parameter \(known: pivotLeft, pivotRight, /);
  });

  it('rejects a malformed --set, a missing --data, an unknown option and a missing file, exit 2', async () => {
    expect((await run('--data', BTC, '--set', 'proximityPct')).err).toMatch(/--set expects key.path=value/);
    const missing = await run();
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/signals needs --data FILE.csv/);
    expect((await run('--data', BTC, '--fast')).code).toBe(2);
    const nofile = await run('--data', 'nope.csv');
    expect(nofile.code).toBe(2);
    expect(nofile.err).toBe('signals: cannot read --data nope.csv: no such file\n');
    writeFileSync(join(tmp, 'bad.csv'), 'ts,open,high,low,close,volume\n1,2,3\n');
    expect((await run('--data', 'bad.csv')).err).toMatch(/line 2 has 3 fields, expected 6/);
  });

  it('checks the whole file before it writes a row: a bad last line, after many batches, is exit 2 with nothing printed', async () => {
    writeFileSync(join(tmp, 'late-bad.csv'), formatCandleCsv(candles.slice(0, 3000)) + '1,2,3\n');
    const r = await run('--data', 'late-bad.csv');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/line 3002 has 3 fields, expected 6/);
    writeFileSync(join(tmp, 'late-order.csv'), formatCandleCsv([...candles.slice(0, 3000), candles[10]!]));
    const o = await run('--data', 'late-order.csv');
    expect(o.code).toBe(2);
    expect(o.out).toBe('');
    expect(o.err).toMatch(/line 3002: ts \d+ is not after the previous row's \d+/);
  });

  it('--help prints the usage with every parameter default and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.out, 'stdout is for the CSV only').toBe('');
    expect(r.err).toBe(signalsCommand.usage);
    expect(r.err).toMatch(/signals --data FILE.csv\[.gz\]/);
    expect(r.err).toMatch(/proximityPct=0.3/);
    expect(signalsCommand.name).toBe('signals');
  });
});

describe('signals --indicators through node dist/bot.js (DESIGN sections 4 and 5b)', () => {
  const INDICATORS = 'ema,sma,momentum,cci,willr,psar,vwap,mfi,bbUpper,bbMiddle,bbLower,fisher,fib382,fib500,fib618,volRatio,atr,score'.split(',');
  let out = '';
  let plain = '';
  let rows: string[][] = [];
  beforeAll(async () => {
    const { runBot } = await import('../helpers/cli.js');
    const r = await runBot(['signals', '--data', BTC, '--indicators'], { cwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    out = r.stdout;
    rows = rowsOf(out);
    plain = (await run('--data', BTC)).out;
  }, 120_000);
  // After DESIGN section 4's eight columns and `pivot`.
  const at = (name: string) => 9 + INDICATORS.indexOf(name);

  it('appends the 18 columns in DESIGN order after the existing ones, which stay as they were', () => {
    const header = out.split('\n')[0]!.split(',');
    expect(header.slice(-18)).toEqual(INDICATORS);
    expect(header.slice(0, 9)).toEqual('ts,close,rsi,stochK,stochD,pivotHigh,pivotLow,signal,pivot'.split(','));
    const shown = out.trimEnd().split('\n').slice(1).map((l) => l.split(',').slice(0, header.length - 18).join(','));
    expect(shown, 'the signals themselves do not change').toEqual(plain.trimEnd().split('\n').slice(1));
  });

  it('leaves a cell empty until its indicator is defined, then fills it (4 decimals at most)', () => {
    expect(rows[0]![at('vwap')], 'VWAP from the first candle with volume').not.toBe('');
    expect(rows[0]![at('psar')]).toBe('');
    expect(rows[1]![at('psar')]).not.toBe('');
    expect(rows[19]![at('ema')]).toBe('');
    expect(rows[20]![at('ema')], 'EMA(21): first at t = 20').not.toBe('');
    expect(rows[98]![at('fib500')]).toBe('');
    expect(rows[99]![at('fib500')], 'Fibonacci(100): first at t = 99').not.toBe('');
    const form = /^-?\d+(\.\d{1,4})?$/;
    const bad = rows.slice(100).flatMap((r) => INDICATORS.slice(0, 17).map((k) => r[at(k)]!).filter((cell) => !form.test(cell)));
    expect(bad).toEqual([]);
  });

  it('prints a score on candidate rows only (every signal row is one), matching the oracle', async () => {
    const { oIndicators, oScore } = await import('../indicators/scoreOracle.js');
    const { DESIGN_DEFAULTS, designSignals } = await import('../strategies/designOracle.js');
    const oracle = designSignals(candles, DESIGN_DEFAULTS);
    const ind = oIndicators(candles);
    rows.forEach((r, t) => {
      const cand = oracle[t]!.candidate;
      if (r[7] !== '') expect(r[at('score')], `signal row ${t}`).not.toBe('');
      if (cand === null) expect(r[at('score')], `row ${t}`).toBe('');
      else expect(Number(r[at('score')]), `row ${t}`).toBe(oScore(ind, candles, t, cand, 1.5, 0.3));
    });
  });

  it('--set score.minScore=3 keeps only the candidates that score at least 3', async () => {
    const r = await run('--data', BTC, '--set', 'score.minScore=3', '--indicators');
    const scored = rowsOf(r.out);
    const signals = scored.filter((row) => row[7] !== '');
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((row) => Number(row[at('score')]) >= 3)).toBe(true);
    expect(signals.length).toBeLessThan(rows.filter((row) => row[7] !== '').length);
  });
});
