/**
 * A single backtest run reads its candle file once (issue 18): `playFileOnce` plays the real file
 * through the run while checking it, and hands back to the two-pass way (null) exactly where that
 * way's answer could differ. Without the first half the command is only slower; without the second
 * it could report what the two passes would not.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { playFileOnce, type CandleSource } from '../../src/backtest/candleSource.js';
import { readCandleFile, scanCandleFile, type CandleFileScan } from '../../src/domain/candleCsv.js';

const BTC_1M = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));
const text = gunzipSync(readFileSync(BTC_1M)).toString('utf8');
const tmp = mkdtempSync(join(tmpdir(), 'play-once-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

/** A run that counts what it plays and keeps the first and last open time. */
async function countingRun(source: CandleSource): Promise<{ n: number; first: number; last: number }> {
  let n = 0;
  let first = NaN;
  let last = NaN;
  for await (const batch of source.batches()) {
    for (const c of batch) {
      if (n === 0) first = c.ts;
      last = c.ts;
      n++;
    }
  }
  return { n, first, last };
}

describe('playFileOnce', () => {
  it('plays the real month once, every candle in order, and gives the run’s result; the whole file agrees with its head', async () => {
    const path = file('month.csv', text);
    const all = readCandleFile(path);
    const heads: CandleFileScan[] = [];
    const wholes: CandleFileScan[] = [];
    const result = await playFileOnce(
      path,
      (source, head) => {
        heads.push(head);
        return countingRun(source);
      },
      (whole) => (wholes.push(whole), true),
    );
    expect(result).toEqual({ n: all.length, first: all[0]!.ts, last: all.at(-1)!.ts });
    expect(heads).toHaveLength(1);
    expect(heads[0]!.count).toBeLessThan(all.length); // the head only: the file is played, not scanned first
    expect(wholes).toEqual([await scanCandleFile(path)]);
  });

  it('hands back to the two passes when a line near the end is bad, after playing the candles before it', async () => {
    const lines = text.trimEnd().split('\n');
    lines[lines.length - 3] = lines[lines.length - 3]!.replace(/,[^,]*$/, ',lots');
    const path = file('bad-end.csv', lines.join('\n') + '\n');
    let played = -1;
    const result = await playFileOnce(path, async (source) => {
      played = 0;
      for await (const batch of source.batches()) played += batch.length;
      return 'report';
    });
    expect(result).toBeNull();
    // The run played the candles before the bad line's batch (about 140 a batch), then its read threw.
    const before = lines.length - 4;
    expect(played).toBeGreaterThan(before - 300);
    expect(played).toBeLessThanOrEqual(before);
  });

  it('hands back when the whole file decides otherwise than its head, and for a file that is all head', async () => {
    const path = file('month2.csv', text);
    expect(await playFileOnce(path, countingRun, () => false)).toBeNull();
    let called = false;
    const small = file('small.csv', text.split('\n').slice(0, 50).join('\n') + '\n');
    expect(
      await playFileOnce(small, async (source) => {
        called = true;
        return countingRun(source);
      }),
    ).toBeNull();
    expect(called).toBe(false);
  });
});
