/**
 * State layer costs (issue 6, "Done when"): a durable state write (update + flush), a journal append
 * with 10 and with 10,000 records already in the journal (the goal: the same within noise, since an
 * append neither reads nor rewrites), the cost of reopening a journal, and coalescing (a burst of
 * updates = one file write). Runs in a temporary directory on the same disk as os.tmpdir().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, readJournal } from '../src/state/journal.js';
import type { JournalRecord } from '../src/domain/journalRecord.js';
import { symbolDraft } from '../src/domain/persistedState.js';
import { StateStore } from '../src/state/stateStore.js';
import { percentile, report } from './harness.js';
import type { Figure } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'pocket-bench-state-'));
const T0 = Date.parse('2026-11-05T00:00:00Z');

function order(i: number): JournalRecord {
  return { type: 'order', ts: T0 + i, symbol: 'BTCUSDT', orderLinkId: `ps-btc-${i}-entry`, side: 'buy', orderType: 'limit', purpose: 'entry', qty: '0.001', price: '64000.5', reduceOnly: false, reason: 'pivot low 63990.5 within 0.3 %, StochRSI K crossed D below 20' };
}

function us(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1000;
}

function median(xs: number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 50);
}

async function seedJournal(dir: string, n: number): Promise<void> {
  const j = new Journal(dir, { durability: 'write' });
  for (let i = 0; i < n; i += 500) await Promise.all(Array.from({ length: Math.min(500, n - i) }, (_, k) => j.append(order(i + k))));
  await j.close();
}

/** Steady-state appends, one at a time (each awaited, as the engine does per event). */
async function appendLatencies(dir: string, count: number, offset: number, durability: 'fsync' | 'write'): Promise<number[]> {
  const j = new Journal(dir, { durability });
  await j.append(order(offset - 1)); // opens the month file; not timed
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = process.hrtime.bigint();
    await j.append(order(offset + i));
    out.push(us(t));
  }
  await j.close();
  return out;
}

/** A new Journal's first append: open, torn-tail check (reads one byte), append. */
async function reopenLatencies(dir: string, count: number, offset: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = new Journal(dir);
    const t = process.hrtime.bigint();
    await j.append(order(offset + i));
    out.push(us(t));
    await j.close();
  }
  return out;
}

try {
  // State write: a realistic state (two symbols, a position with a TP ladder, open orders).
  const store = await StateStore.open(join(root, 'store'), { backupEveryMs: Number.POSITIVE_INFINITY });
  const flushes: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = process.hrtime.bigint();
    store.update((d) => {
      for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
        const s = symbolDraft(d, symbol);
        s.position = {
          side: 'long',
          size: '0.015',
          entryPrice: '64000.5',
          openedMs: T0,
          entryOrderLinkId: `ps-${symbol}-${i}`,
          stop: { price: '63500', orderLinkId: `ps-${symbol}-${i}-sl`, orderId: 'b-1' },
          targets: [1, 2, 3].map((k) => ({ price: `${64000 + k * 500}`, qty: '0.005', filled: k <= i % 3, orderLinkId: `ps-${symbol}-${i}-tp${k}`, orderId: `b-${k}` })),
        };
        s.openOrders = Object.fromEntries(
          [1, 2, 3].map((k) => [`ps-${symbol}-${i}-tp${k}`, { orderLinkId: `ps-${symbol}-${i}-tp${k}`, orderId: `b-${k}`, side: 'sell' as const, type: 'limit' as const, purpose: 'takeProfit' as const, status: 'new' as const, price: `${64000 + k * 500}`, qty: '0.005', filledQty: '0', reduceOnly: true, createdMs: T0 }]),
        );
      }
    });
    await store.flush();
    flushes.push(us(t));
  }

  // Coalescing: 1000 updates in one burst, then one flush.
  const writesBefore = store.counters.writes;
  const burstStart = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) store.update((d) => void (symbolDraft(d, 'BTCUSDT').cooldownUntilMs = T0 + i));
  await store.flush();
  const burstUs = us(burstStart);
  const burstWrites = store.counters.writes - writesBefore;
  const updateOnly = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) store.update((d) => void (symbolDraft(d, 'BTCUSDT').cooldownUntilMs = T0 + i));
  const updateUs = us(updateOnly) / 1000;
  await store.close();

  // Journal append with 10 and with 10,000 existing records, measured in alternating rounds.
  const small = join(root, 'j10');
  const large = join(root, 'j10k');
  await seedJournal(small, 10);
  await seedJournal(large, 10_000);
  const a10: number[] = [];
  const a10k: number[] = [];
  const w10: number[] = [];
  const w10k: number[] = [];
  const r10: number[] = [];
  const r10k: number[] = [];
  for (let round = 0; round < 5; round++) {
    const base = 100_000 + round * 1000;
    a10.push(...(await appendLatencies(small, 60, base, 'fsync')));
    a10k.push(...(await appendLatencies(large, 60, base, 'fsync')));
    w10.push(...(await appendLatencies(small, 60, base + 500, 'write')));
    w10k.push(...(await appendLatencies(large, 60, base + 500, 'write')));
    r10.push(...(await reopenLatencies(small, 4, base + 900)));
    r10k.push(...(await reopenLatencies(large, 4, base + 900)));
  }
  const readStart = process.hrtime.bigint();
  const read = await readJournal(large);
  const readMs = us(readStart) / 1000;

  const ratio = median(a10k) / median(a10);
  const writeRatio = median(w10k) / median(w10);
  const figures: Figure[] = [
    { name: 'state update+flush (durable), median', value: median(flushes), unit: 'µs', goal: '<= 20000 µs', ok: median(flushes) <= 20_000 },
    { name: 'state update+flush (durable), p95', value: percentile([...flushes].sort((a, b) => a - b), 95), unit: 'µs' },
    { name: 'state update (in memory, validated), mean', value: updateUs, unit: 'µs' },
    { name: 'coalescing: file writes for 1000 updates', value: burstWrites, unit: 'writes', goal: '= 1', ok: burstWrites === 1 },
    { name: 'coalescing: 1000 updates + flush', value: burstUs / 1000, unit: 'ms' },
    { name: 'journal append (fdatasync), 10 records', value: median(a10), unit: 'µs' },
    { name: 'journal append (fdatasync), 10,000 records', value: median(a10k), unit: 'µs' },
    { name: 'journal append 10k / 10 records (median)', value: ratio, unit: 'ratio', goal: '<= 1.5', ok: ratio <= 1.5 },
    { name: 'journal append (write only), 10 records', value: median(w10), unit: 'µs' },
    { name: 'journal append (write only), 10,000 records', value: median(w10k), unit: 'µs' },
    { name: 'journal append (write only) 10k / 10 records', value: writeRatio, unit: 'ratio', goal: '<= 1.5', ok: writeRatio <= 1.5 },
    { name: 'journal reopen + first append, 10 records', value: median(r10), unit: 'µs' },
    { name: 'journal reopen + first append, 10,000 recs', value: median(r10k), unit: 'µs' },
    { name: `journal read + validate, ${read.records.length} records`, value: readMs, unit: 'ms' },
  ];
  report('state', figures);
} finally {
  rmSync(root, { recursive: true, force: true });
}
