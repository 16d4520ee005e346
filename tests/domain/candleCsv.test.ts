import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CandleCsvError, CandleFileReading, parseCandleCsv, readCandleBatches, readCandleFile, scanCandleFile, scanCandleHead } from '../../src/domain/candleCsv.js';
import { BlockCandle, plainCandle } from '../../src/domain/blockCandle.js';
import { CandleCsvParser } from '../../src/domain/candleCsvParser.js';
import type { Candle } from '../../src/domain/types.js';

const BTC_1M = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'candle-csv-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The text reader as it was before the byte reader (split, Number per cell): the reference. */
function textReference(text: string): Candle[] {
  const lines = text.split(/\r?\n/);
  const out: Candle[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const [ts, open, high, low, close, volume] = line.split(',').map(Number) as [number, number, number, number, number, number];
    out.push({ ts, open, high, low, close, volume });
  }
  return out;
}

/** Parses `bytes` fed in pieces of `size` bytes. */
function inPieces(bytes: Uint8Array, size: number): Candle[] {
  const p = new CandleCsvParser('t');
  const out: Candle[] = [];
  for (let o = 0; o < bytes.length; o += size) out.push(...p.push(bytes.subarray(o, o + size)));
  out.push(...p.end());
  return out;
}

const errorOf = (text: string): string => {
  try {
    parseCandleCsv(text, 'f.csv');
  } catch (e) {
    expect(e).toBeInstanceOf(CandleCsvError);
    return (e as Error).message;
  }
  return 'no error';
};

describe('candle CSV reader', () => {
  it('reads the real month to exactly the numbers Number() gives for each cell', () => {
    const candles = readCandleFile(BTC_1M);
    expect(candles.length).toBeGreaterThan(44_000);
    expect(candles).toEqual(textReference(gunzipSync(readFileSync(BTC_1M)).toString('utf8')));
  });

  it('block candles hold, bit for bit, the numbers of the plain candles, on every real file in data/ and on lines the text path reads', () => {
    const sameBits = (a: readonly Candle[], b: readonly Candle[]): void => {
      expect(a.length).toBe(b.length);
      const keys = ['ts', 'open', 'high', 'low', 'close', 'volume'] as const;
      for (let i = 0; i < a.length; i++) for (const k of keys) if (!Object.is(a[i]![k], b[i]![k])) expect.fail(`candle ${i} ${k}: ${a[i]![k]} vs ${b[i]![k]}`);
    };
    const blocks = (bytes: Uint8Array, size: number): Candle[] => {
      const p = new CandleCsvParser('t', { blocks: true });
      const out: Candle[] = [];
      for (let o = 0; o < bytes.length; o += size) for (const c of p.push(bytes.subarray(o, o + size))) out.push(c);
      for (const c of p.end()) out.push(c);
      return out;
    };
    const dataDir = fileURLToPath(new URL('../../data/', import.meta.url));
    for (const name of ['bybit-BTCUSDT-1m.csv.gz', 'bybit-BTCUSDT-5m.csv.gz', 'bybit-ETHUSDT-1m.csv.gz']) {
      const bytes = gunzipSync(readFileSync(join(dataDir, name)));
      const plain = readCandleFile(join(dataDir, name));
      expect(plain.length).toBeGreaterThan(5000);
      const viewed = blocks(bytes, 8 * 1024);
      expect(viewed.every((c) => c instanceof BlockCandle)).toBe(true);
      sameBits(viewed, plain);
      // Kept views still read their own row after the parser has gone on through many more blocks.
      sameBits(viewed.slice(0, 300), plain.slice(0, 300));
    }
    const odd = 'ts,open,high,low,close,volume\r\n1000, 2 ,3e0,-0.0,1.5,0\r\n\r\n2000,0.30000000000000004,9007199254740993,0.1,2.675,1234567890123456789\n3000,1,1,1,1,1';
    const oddBytes = Buffer.from(odd, 'utf8');
    for (const size of [1, 3, 7, 64]) sameBits(blocks(oddBytes, size), parseCandleCsv(odd));
    expect(Object.is(blocks(oddBytes, 5)[0]!.low, -0)).toBe(true);
    expect(JSON.stringify(blocks(oddBytes, 64)), "as JSON, the plain candles").toBe(JSON.stringify(parseCandleCsv(odd)));
  });

  it('gives the same numbers as Number() for decimals the fast path reads and those it leaves to Number()', () => {
    const cells = ['0.1', '0.30000000000000004', '106567.0', '-0.0', '007', '1.', '.5', '1e3', ' 2 ', '123456789012345', '1234567890123456789', '9007199254740993', '0.000000015', '2.675'];
    for (const x of cells) {
      const text = `ts,open,high,low,close,volume\n1000,${x},${x},${x},${x},1\n`;
      if (!Number.isFinite(Number(x))) continue;
      expect(parseCandleCsv(text), x).toEqual(textReference(text));
      expect(Object.is(parseCandleCsv(text)[0]!.open, Number(x)), `${x} keeps its sign and value`).toBe(true);
    }
  });

  it('reads the same candles whatever the chunk boundaries, with CRLF, blank lines, a BOM and no final newline', () => {
    const text = '\ufeffts,open,high,low,close,volume\r\n1000,1,2,0.5,1.5,10\r\n\r\n  \n2000,1.5,2.5,1.25,2,0\n3000, 2 ,3,1e0,2.5,1\r';
    const bytes = Buffer.from(text, 'utf8');
    const want = textReference(text);
    expect(want).toHaveLength(3);
    for (const size of [1, 2, 3, 5, 7, 16, 64, bytes.length]) expect(inPieces(bytes, size), `pieces of ${size} bytes`).toEqual(want);
  });

  it('a line read where it stands in the chunk gives what the line found by its newline gives, at every chunk boundary', () => {
    // Rows the plain reader takes, rows it must leave to Number() or refuse, and lines that end oddly.
    const lines = ['2000,1,2,0.5,1.5,10', '2000,-1,2,-3,-2,0', '2000,1.25,2.5,1.125,2,0.001', '2000,007,8,6,7,1', '2000,1,2,0.5,1.5,10x', '2000,1,2,0.5,1.5,10,', '2000,1,2,0.5,1.5',
      '2000,1.,2,0.5,1.5,10', '2000,.5,2,0.5,1.5,10', '2000,-,2,0.5,1.5,10', '2000,+1,2,0.5,1.5,10', '2000,1,2,0.5,1.5,1234567890123456', '2000,1,2,0.5,1.5,123456789012345',
      '2000,1,2,0.5,1.5,10\r', '2000,1,2,0.5,1.5, 10', '2000.5,1,2,0.5,1.5,10', '1000,1,2,0.5,1.5,10', '2000,1,0.9,0.5,1.5,10', '2000,1,2,0.5,1.5,-1', '2000,1e0,2,0.5,1.5,10', '', '-2000,1,2,0.5,1.5,10'];
    for (const line of lines) {
      const text = `ts,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n${line}\n3000,1,2,0.5,1.5,10\n`;
      const bytes = Buffer.from(text, 'utf8');
      const outcome = (read: () => Candle[]): string => {
        try {
          return JSON.stringify(read());
        } catch (e) {
          return String(e);
        }
      };
      const whole = outcome(() => parseCandleCsv(text, 't'));
      const cells = line.split(',').map(Number);
      const ok = line.trim() === '' || (cells.length === 6 && cells.every(Number.isFinite) && Number.isInteger(cells[0]) && cells[0]! > 1000 && cells[0]! < 3000 && !(cells[2]! < Math.max(cells[1]!, cells[4]!, cells[3]!)) && !(cells[3]! > Math.min(cells[1]!, cells[4]!)) && !(cells[5]! < 0));
      expect(whole, `${JSON.stringify(line)} read as the text reader reads it`).toBe(ok ? JSON.stringify(textReference(text)) : whole.startsWith('CandleCsvError: t: line 3') ? whole : 'an error naming line 3');
      for (let size = 1; size <= bytes.length; size++) expect(outcome(() => inPieces(bytes, size)), `${JSON.stringify(line)} in pieces of ${size}`).toBe(whole);
    }
  });

  it('names the line and what is wrong, as before', () => {
    expect(errorOf('')).toBe('f.csv: line 1 must be the header "ts,open,high,low,close,volume", found ""');
    expect(errorOf('time,o,h,l,c,v\n')).toMatch(/line 1 must be the header .*found "time,o,h,l,c,v"/);
    expect(errorOf('ts,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n2000,1,2\n')).toBe('f.csv: line 3 has 3 fields, expected 6');
    expect(errorOf('ts,open,high,low,close,volume\n1000,1,2,x,1.5,10\n')).toBe('f.csv: line 2 has a field that is not a number: "1000,1,2,x,1.5,10"');
    expect(errorOf('ts,open,high,low,close,volume\n1000.5,1,2,0.5,1.5,10\n')).toBe('f.csv: line 2: ts must be integer milliseconds');
    expect(errorOf('ts,open,high,low,close,volume\n2000,1,2,0.5,1.5,10\n\n1000,1,2,0.5,1.5,10\n')).toBe('f.csv: line 4: ts 1000 is not after the previous row\'s 2000');
    expect(errorOf('ts,open,high,low,close,volume\n1000,1,0.9,0.5,1.5,10\n')).toBe('f.csv: line 2: inconsistent OHLCV "1000,1,0.9,0.5,1.5,10"');
    expect(errorOf('ts,open,high,low,close,volume\n1000,1,2,0.5,1.5,-1\n')).toBe('f.csv: line 2: inconsistent OHLCV "1000,1,2,0.5,1.5,-1"');
  });

  it('streams .csv and .csv.gz files in batches equal to reading them whole', async () => {
    const all = readCandleFile(BTC_1M);
    const plain = join(tmp, 'month.csv');
    const gz = join(tmp, 'month.csv.gz');
    const text = `ts,open,high,low,close,volume\n${all.map((c) => `${c.ts},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}\n`;
    writeFileSync(plain, text);
    writeFileSync(gz, gzipSync(text));
    for (const file of [plain, gz, BTC_1M]) {
      const batches: Candle[][] = [];
      for await (const b of readCandleBatches(file)) batches.push(b);
      expect(batches.length, 'many small batches, never the whole file at once').toBeGreaterThan(20);
      expect(Math.max(...batches.map((b) => b.length))).toBeLessThan(5000);
      expect(batches.flat().every((c) => c instanceof BlockCandle), 'views of parsed rows, no object of six numbers each').toBe(true);
      expect(batches.flat().map(plainCandle)).toEqual(all);
    }
  });

  it('a streamed file fails as the whole-file reader does: the missing file by its code, a bad line by its number', async () => {
    const drain = async (path: string): Promise<unknown> => {
      try {
        for await (const _ of readCandleBatches(path));
      } catch (e) {
        return e;
      }
      return null;
    };
    expect(((await drain(join(tmp, 'nope.csv'))) as NodeJS.ErrnoException).code).toBe('ENOENT');
    const bad = join(tmp, 'bad.csv');
    writeFileSync(bad, `ts,open,high,low,close,volume\n${'1000,1,2,0.5,1.5,10\n'.repeat(1)}2000,1,2\n`);
    expect(String(await drain(bad))).toBe(`CandleCsvError: ${bad}: line 3 has 3 fields, expected 6`);
  });

  it('a truncated .csv.gz or one that is not gzip fails in both passes with zlib\'s own error, as the whole-file reader gives it', async () => {
    const gz = readFileSync(BTC_1M);
    const truncated = join(tmp, 'truncated.csv.gz');
    const damaged = join(tmp, 'damaged.csv.gz');
    writeFileSync(truncated, gz.subarray(0, gz.length - 5000));
    const bytes = Buffer.from(gz);
    bytes[0] = 0x00;
    writeFileSync(damaged, bytes);
    const failure = async (run: () => Promise<unknown>): Promise<string> => {
      try {
        await run();
      } catch (e) {
        return `${(e as NodeJS.ErrnoException).code}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    for (const file of [truncated, damaged]) {
      const whole = await failure(async () => readCandleFile(file));
      expect(whole).toMatch(/^Z_[A-Z_]+: ./);
      expect(await failure(async () => scanCandleFile(file))).toBe(whole);
      expect(await failure(async () => {
        for await (const _ of readCandleBatches(file));
      })).toBe(whole);
    }
  });

  it('a file read once plays the batches of readCandleBatches and, wherever the run stops, checks on to the end with the figures of scanCandleFile', async () => {
    const all = readCandleFile(BTC_1M);
    const text = `ts,open,high,low,close,volume\n${all.map((c) => `${c.ts},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}\n`;
    const plain = join(tmp, 'once.csv');
    const gz = join(tmp, 'once.csv.gz');
    writeFileSync(plain, text);
    writeFileSync(gz, gzipSync(text));
    for (const file of [plain, gz]) {
      const scan = await scanCandleFile(file);
      for (const stopAfter of [0, 1, 37, 250, Infinity]) {
        const reading = new CandleFileReading(file);
        const played: Candle[] = [];
        let batches = 0;
        for await (const b of reading.batches()) {
          if (batches++ >= stopAfter) break;
          played.push(...b.map(plainCandle));
        }
        expect(played).toEqual(all.slice(0, played.length));
        if (stopAfter === Infinity) expect(played).toEqual(all);
        expect(reading.rest(), `${file} stopped after ${stopAfter} batches`).toEqual(scan);
        reading.close();
      }
    }
  });

  it('a file read once fails after the run as the check first failed: a bad line past where the run stopped, a truncated .csv.gz', async () => {
    const all = readCandleFile(BTC_1M);
    const lines = `ts,open,high,low,close,volume\n${all.map((c) => `${c.ts},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}`.split('\n');
    lines[lines.length - 3] = '1,2,3';
    const bad = join(tmp, 'late-bad.csv');
    writeFileSync(bad, lines.join('\n'));
    const truncated = join(tmp, 'once-truncated.csv.gz');
    const gz = readFileSync(BTC_1M);
    writeFileSync(truncated, gz.subarray(0, gz.length - 5000));
    for (const file of [bad, truncated]) {
      const first = await scanCandleFile(file).then(() => 'no error', (e: Error) => `${(e as NodeJS.ErrnoException).code}: ${e.message}`);
      expect(first).not.toBe('no error');
      const reading = new CandleFileReading(file);
      for await (const _ of reading.batches()) break;
      let error = 'no error';
      try {
        reading.rest();
      } catch (e) {
        error = `${(e as NodeJS.ErrnoException).code}: ${(e as Error).message}`;
      }
      reading.close();
      expect(error).toBe(first);
    }
  });

  it('the head of a file: its first bytes checked, its figures, and whether that was all of it', async () => {
    const all = readCandleFile(BTC_1M);
    const head = scanCandleHead(BTC_1M, 64 * 1024)!;
    expect(head.whole).toBe(false);
    expect(head.scan.count).toBeGreaterThan(500);
    expect(head.scan).toEqual({ count: head.scan.count, firstTs: all[0]!.ts, lastTs: all[head.scan.count - 1]!.ts, minStepMs: 60_000 });
    const small = join(tmp, 'small.csv');
    writeFileSync(small, 'ts,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n4000,1,2,0.5,1.5,10');
    expect(scanCandleHead(small, 64 * 1024)).toEqual({ scan: await scanCandleFile(small), whole: true });
    writeFileSync(small, 'ts,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n500,1,2,0.5,1.5,10\n');
    expect(() => scanCandleHead(small, 64 * 1024)).toThrow(`${small}: line 3: ts 500 is not after the previous row's 1000`);
  });
});
