/**
 * Issue 22 at the file layer: a storage that stops taking writes (ENOSPC, EROFS, ...), made by the
 * test seam POCKET_TEST_WRITE_FAULT (src/util/writeFault.ts): while its switch file exists, the
 * state file, the journal's append, backups, the probe and the log file fail as a full disk would.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/domain/journalRecord.js';
import { Journal, readJournal } from '../../src/state/journal.js';
import { StateStore } from '../../src/state/stateStore.js';
import { StorageMonitor, type StorageOutage } from '../../src/state/storageMonitor.js';
import { readStorageMark, StorageMark } from '../../src/state/storageMark.js';
import { WRITE_FAULT_ENV } from '../../src/util/writeFault.js';

let dir: string;
let faultSwitch: string;
const fault = {
  on: (code = 'ENOSPC') => writeFileSync(faultSwitch, code),
  off: () => rmSync(faultSwitch, { force: true }),
};

beforeAll(() => {
  faultSwitch = join(mkdtempSync(join(tmpdir(), 'pocket-fault-')), 'switch');
  process.env[WRITE_FAULT_ENV] = faultSwitch;
});
afterAll(() => {
  delete process.env[WRITE_FAULT_ENV];
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-outage-'));
});
afterEach(() => {
  fault.off();
  rmSync(dir, { recursive: true, force: true });
});

const NOV = Date.parse('2026-11-05T12:00:00Z');
const fill = (i: number): JournalRecord => ({ type: 'fill', ts: NOV + i, symbol: 'BTCUSDT', execId: `e${i}`, orderLinkId: `ps-${i}`, orderId: `b${i}`, side: 'buy', price: '64000.5', qty: '0.001', fee: '0.01', isMaker: true });

describe('Journal on a storage that refuses writes', () => {
  it('keeps every record in memory, in order, tells once, and writes them all once when it works again', async () => {
    const errors: string[] = [];
    const j = new Journal(dir, { onStorageError: (e) => errors.push(e.code ?? '') });
    await j.append(fill(1));
    fault.on();
    // Acknowledged at once (the journal owns them now): the engine never waits on a full disk.
    for (let i = 2; i <= 40; i++) await j.append(fill(i));
    expect(errors, 'told once, not per record').toEqual(['ENOSPC']);
    expect(j.heldLines.length).toBe(39);
    expect((await readJournal(dir)).records.length, 'nothing written while full').toBe(1);

    await expect(j.retry(), 'still full: they stay held').rejects.toMatchObject({ code: 'ENOSPC' });
    expect(j.heldLines.length).toBe(39);
    fault.off();
    expect(await j.retry(), 'records written late').toBe(39);
    await j.append(fill(41));
    await j.close();
    const { records, problems } = await readJournal(dir);
    expect(problems).toEqual([]);
    expect(records.map((r) => (r.type === 'fill' ? r.execId : '')), 'every record once, in order').toEqual(Array.from({ length: 41 }, (_, i) => `e${i + 1}`));
  });

  it('without a listener (tools, tests) a failed append still rejects, as before', async () => {
    const j = new Journal(dir);
    fault.on('EROFS');
    await expect(j.append(fill(1))).rejects.toMatchObject({ code: 'EROFS' });
    fault.off();
    await j.append(fill(2));
    await j.close();
    expect((await readJournal(dir)).records.length).toBe(1);
  });
});

describe('StateStore on a storage that refuses writes', () => {
  it('flush() rejects at once (no order goes out without a durable plan), stops writing, and writes the newest state on retry()', async () => {
    const errors: string[] = [];
    const store = await StateStore.open(dir, { onStorageError: (e) => errors.push(e.code ?? '') });
    fault.on();
    store.update((d) => {
      d.mode = 'testnet';
    });
    // What the engine does before an entry: the plan must be durable first.
    await expect(store.flush()).rejects.toMatchObject({ code: 'ENOSPC' });
    const writes = store.counters.writes;
    for (let i = 0; i < 20; i++) {
      store.update((d) => {
        d.equityPeak = { equity: String(1000 + i), atMs: i };
      });
      await expect(store.flush()).rejects.toMatchObject({ code: 'ENOSPC' });
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(store.counters.writes, 'no write attempted while held (no loop on a full disk)').toBe(writes);
    expect(errors).toEqual(['ENOSPC']);
    expect(store.heldError?.code).toBe('ENOSPC');

    await expect(store.retry()).rejects.toMatchObject({ code: 'ENOSPC' });
    fault.off();
    await store.retry();
    await store.flush();
    const onDisk = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { mode: string; equityPeak: { equity: string } };
    expect(onDisk.mode).toBe('testnet');
    expect(onDisk.equityPeak.equity, 'the newest state').toBe('1019');
    await store.close();
  });
});

describe('StorageMonitor', () => {
  it('starts an outage once, probes, reminds at most every 10 minutes, and resumes with the late count', async () => {
    let now = 1_000_000;
    const said: string[] = [];
    let recovered = 0;
    const monitor = new StorageMonitor(dir, {
      nowMs: () => now,
      probeEveryMs: 3_600_000,
      recover: async () => {
        recovered++;
        return 7;
      },
      onDown: (o: StorageOutage) => said.push(`down ${o.code}`),
      onReminder: () => said.push('reminder'),
      onUp: (o, late) => said.push(`up after ${now - o.sinceMs} ms, ${late} late`),
    });
    expect(monitor.report(new Error('not a storage error'))).toBe(false);
    fault.on();
    const err = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    expect(monitor.report(err)).toBe(true);
    expect(monitor.report(err)).toBe(true);
    expect(said).toEqual(['down ENOSPC']);
    for (let i = 0; i < 30; i++) {
      now += 30_000; // 15 minutes of probes every 30 s
      expect(await monitor.probe()).toBe(false);
    }
    expect(said, 'one reminder in 15 minutes').toEqual(['down ENOSPC', 'reminder']);
    expect(recovered).toBe(0);
    fault.off();
    now += 30_000;
    expect(await monitor.probe()).toBe(true);
    expect(said.at(-1)).toBe('up after 930000 ms, 7 late');
    expect(monitor.outage).toBeNull();
    monitor.stop();
  });
});

describe('storage.status (what `status` shows)', () => {
  it('records an outage in place and clears it', () => {
    const mark = StorageMark.open(dir)!;
    expect(readStorageMark(dir)).toBeNull();
    mark.set({ notWritableSinceMs: 123, error: 'ENOSPC: no space left on device' });
    expect(readStorageMark(dir)).toEqual({ notWritableSinceMs: 123, error: 'ENOSPC: no space left on device' });
    mark.close();
    expect(readStorageMark(dir)).toBeNull();
    expect(existsSync(join(dir, 'storage.status'))).toBe(true);
  });
});
