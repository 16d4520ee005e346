import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, readJournal } from '../../src/state/journal.js';
import type { JournalRecord } from '../../src/domain/journalRecord.js';
import { InvalidJournalRecordError } from '../../src/state/stateErrors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const NOV = Date.parse('2026-11-05T12:00:00Z');
const DEC = Date.parse('2026-12-01T00:00:00Z');

function order(i: number, ts = NOV + i): JournalRecord {
  return { type: 'order', ts, symbol: 'BTCUSDT', orderLinkId: `ps-${i}`, side: 'buy', orderType: 'limit', purpose: 'entry', qty: '0.001', price: '64000.5', reduceOnly: false, reason: 'pivot low + StochRSI cross' };
}

describe('Journal', () => {
  it('appends one JSON line per record into one file per UTC month and reads them back in order', async () => {
    const j = new Journal(dir);
    await j.append(order(1));
    await j.append({ type: 'fill', ts: NOV + 10, symbol: 'BTCUSDT', execId: 'e1', orderLinkId: 'ps-1', orderId: 'b1', side: 'buy', price: '64000.5', qty: '0.001', fee: '0.0128001', isMaker: true });
    await j.append({ type: 'position', ts: NOV + 11, symbol: 'BTCUSDT', side: 'long', size: '0.001', entryPrice: '64000.5' });
    await j.append({ type: 'exit', ts: DEC + 5, symbol: 'BTCUSDT', side: 'long', entryTs: NOV + 10, entryPrice: '64000.5', exitPrice: '64500', qty: '0.001', fees: '0.05', pnl: '0.4495', reason: 'takeProfit' });
    await j.append({ type: 'alert', ts: DEC + 6, level: 'trade', kind: 'takeProfit', title: 'TP hit', body: 'BTCUSDT +0.45', symbol: 'BTCUSDT' });
    await j.close();
    expect(readdirSync(join(dir, 'journal')).sort()).toEqual(['2026-11.jsonl', '2026-12.jsonl']);
    const nov = readFileSync(join(dir, 'journal', '2026-11.jsonl'), 'utf8').split('\n');
    expect(nov.length, 'three lines and a final newline').toBe(4);
    expect(JSON.parse(nov[1]!).fee, 'money stays a string').toBe('0.0128001');
    const { records, problems } = await readJournal(dir);
    expect(problems).toEqual([]);
    expect(records.map((r) => r.type)).toEqual(['order', 'fill', 'position', 'exit', 'alert']);
    expect((await readJournal(dir, { fromMs: DEC })).records.map((r) => r.type)).toEqual(['exit', 'alert']);
  });

  it('with the run\'s market clock, files every record of a replay under the market month, however it is stamped', async () => {
    // A replay of June 2025: orders carry the candles' time, the sandbox stamps fills (and alerts) with today's date.
    const JUNE_2025 = Date.parse('2025-06-07T10:00:00Z');
    let market = JUNE_2025;
    const j = new Journal(dir, { monthClock: () => market });
    await j.append(order(1, JUNE_2025));
    await j.append({ type: 'fill', ts: DEC + 10, symbol: 'BTCUSDT', execId: 'e1', orderLinkId: 'ps-1', orderId: 'b1', side: 'buy', price: '64000.5', qty: '0.001', fee: '0.0128', isMaker: false });
    await j.append({ type: 'alert', ts: DEC + 11, level: 'trade', kind: 'fill', title: 'Filled', body: 'BTCUSDT buy 0.001' });
    market = Date.parse('2025-07-01T00:00:00Z');
    await j.append(order(2, market));
    await j.close();
    expect(readdirSync(join(dir, 'journal')).sort(), 'one month file by market time, none for today').toEqual(['2025-06.jsonl', '2025-07.jsonl']);
    expect(readFileSync(join(dir, 'journal', '2025-06.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(['order', 'fill', 'alert']);
    // The records keep the time they carry, and a time-window read still finds the fill.
    expect((await readJournal(dir, { fromMs: DEC })).records.map((r) => r.type)).toEqual(['fill', 'alert']);
  });

  it('rejects a record that does not match the schema and writes nothing', async () => {
    const j = new Journal(dir);
    const bad = { ...order(1), qty: '-1' } as JournalRecord;
    await expect(j.append(bad)).rejects.toThrow(InvalidJournalRecordError);
    await expect(j.append({ ...order(2), price: 64000 } as unknown as JournalRecord)).rejects.toThrow('at "price"');
    await j.close();
    expect((await readJournal(dir)).records).toEqual([]);
  });

  it('shares one sync among appends that arrive together (group commit)', async () => {
    const j = new Journal(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => j.append(order(i))));
    expect(j.counters.appends).toBe(200);
    expect(j.counters.syncs, '200 concurrent appends need far fewer than 200 syncs').toBeLessThanOrEqual(3);
    await j.close();
    const { records } = await readJournal(dir);
    expect(records.map((r) => (r.type === 'order' ? r.orderLinkId : '')), 'order preserved').toEqual(Array.from({ length: 200 }, (_, i) => `ps-${i}`));
  });

  it('skips and reports a torn last line; reports any other corrupt line with file and line', async () => {
    const j = new Journal(dir);
    for (let i = 1; i <= 3; i++) await j.append(order(i));
    await j.close();
    const file = join(dir, 'journal', '2026-11.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = '{"type":"order","ts":';
    writeFileSync(file, lines.join('\n'));
    appendFileSync(file, '{"type":"fill","ts":1793');
    const { records, problems } = await readJournal(dir);
    expect(records.map((r) => (r.type === 'order' ? r.orderLinkId : '')), 'the good lines survive').toEqual(['ps-1', 'ps-3']);
    expect(problems.map((p) => [p.file, p.line, p.kind])).toEqual([
      [file, 2, 'syntax'],
      [file, 4, 'torn'],
    ]);
  });

  it('reports a line that parses but does not match the schema', async () => {
    const j = new Journal(dir);
    await j.append(order(1));
    await j.close();
    const file = join(dir, 'journal', '2026-11.jsonl');
    appendFileSync(file, `${JSON.stringify({ ...order(2), type: 'teleport' })}\n`);
    const { problems } = await readJournal(dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file, line: 2, kind: 'schema' });
  });

  it('after a kill mid-write, the next journal cuts the torn tail off, keeps it aside, and appends on a fresh line', async () => {
    const j = new Journal(dir);
    await j.append(order(1));
    await j.close();
    const file = join(dir, 'journal', '2026-11.jsonl');
    appendFileSync(file, '{"type":"order","ts":179');
    const next = new Journal(dir);
    await next.append(order(2));
    await next.close();
    expect(next.repairs).toEqual([{ file, line: 2, bytes: 24, keptIn: `${file}.torn` }]);
    expect(JSON.parse(readFileSync(`${file}.torn`, 'utf8'))).toEqual({ line: 2, fragment: '{"type":"order","ts":179' });
    const { records, problems } = await readJournal(dir);
    expect(problems).toEqual([]);
    expect(records.map((r) => (r.type === 'order' ? r.orderLinkId : ''))).toEqual(['ps-1', 'ps-2']);
  });
});
