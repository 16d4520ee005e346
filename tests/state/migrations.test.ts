import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listBackups } from '../../src/state/backups.js';
import { migrateState } from '../../src/state/migrations.js';
import { StateFileError } from '../../src/state/stateErrors.js';
import { StateStore } from '../../src/state/stateStore.js';

/** A state file as schema version 1 wrote it (the first layout: flat maps keyed by symbol/name). */
const V1 = {
  schemaVersion: 1,
  updatedMs: 1_793_000_000_000,
  positions: {
    ETHUSDT: { side: 'short', size: '0.3', entryPrice: '3012.45', openedMs: 1_792_999_000_000, stopPrice: '3050', stopOrderId: 'b-77', targets: ['2990', '2970', '2950'], targetsFilled: 1 },
  },
  orders: {
    'ps-eth-tp2': { symbol: 'ETHUSDT', orderId: 'b-78', side: 'buy', type: 'limit', price: '2970', qty: '0.1', reduceOnly: true, createdMs: 1_792_999_000_100 },
    'ps-btc-entry': { symbol: 'BTCUSDT', orderId: null, side: 'buy', type: 'limit', price: '64000', qty: '0.002', reduceOnly: false, createdMs: 1_792_999_500_000 },
  },
  cooldowns: { BTCUSDT: 1_793_000_300_000 },
  locks: { dailyLoss: null, drawdown: null, consecutiveLoss: { reason: '3 losses in a row', since: 1_792_990_000_000, until: 1_793_003_600_000 }, killSwitch: null, paused: null },
  daily: { dayStartMs: 1_792_972_800_000, realisedPnl: '-4.2', equityAtDayStart: '1000' },
  equityPeak: '1012.5',
  clock: { ok: true, offsetMs: 42.5, measuredAtMs: 1_792_999_990_000 },
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('state migrations', () => {
  it('v1 → v2 regroups per symbol and keeps every position, order, cooldown, lock and amount', () => {
    const r = migrateState(V1);
    if (!r.ok) throw new Error(`migration failed: ${JSON.stringify(r)}`);
    expect(r.fromVersion).toBe(1);
    const s = r.state;
    expect(s.schemaVersion).toBe(2);
    expect(s.mode, 'v1 did not record the mode').toBeNull();
    expect(s.symbols.ETHUSDT?.position).toEqual({
      side: 'short',
      size: '0.3',
      entryPrice: '3012.45',
      openedMs: 1_792_999_000_000,
      entryOrderLinkId: null,
      stop: { price: '3050', orderLinkId: null, orderId: 'b-77' },
      // v1 split the size equally: 0.3 / 3 = 0.1 per rung; one rung had filled.
      targets: [
        { price: '2990', qty: '0.1', filled: true, orderLinkId: null, orderId: null },
        { price: '2970', qty: '0.1', filled: false, orderLinkId: null, orderId: null },
        { price: '2950', qty: '0.1', filled: false, orderLinkId: null, orderId: null },
      ],
    });
    expect(s.symbols.ETHUSDT?.openOrders['ps-eth-tp2']).toMatchObject({ orderId: 'b-78', purpose: 'exit', status: 'new', filledQty: '0', reduceOnly: true });
    expect(s.symbols.BTCUSDT?.openOrders['ps-btc-entry']).toMatchObject({ orderId: null, purpose: 'entry', status: 'pending' });
    expect(s.symbols.BTCUSDT?.cooldownUntilMs).toBe(1_793_000_300_000);
    expect(s.protections.consecutiveLoss).toEqual({ reason: '3 losses in a row', sinceMs: 1_792_990_000_000, untilMs: 1_793_003_600_000 });
    // v1's base was the account's equity: the bot's own equity takes its place when next measured.
    expect(s.daily).toEqual({ dayStartMs: V1.daily.dayStartMs, realisedPnl: '-4.2', botEquityAtDayStart: null });
    expect(s.equityPeak).toEqual({ equity: '1012.5', atMs: V1.updatedMs });
    expect(s.lastClock).toEqual(V1.clock);
  });

  it('opening a v1 file keeps the original as a tagged backup and rewrites state.json as v2', async () => {
    const original = JSON.stringify(V1, null, 2);
    writeFileSync(join(dir, 'state.json'), original);
    const store = await StateStore.open(dir, { nowMs: () => 1_793_000_100_000 });
    expect(store.openedFromVersion).toBe(1);
    expect(store.state.symbols.ETHUSDT?.position?.targets.filter((t) => t.filled).length).toBe(1);
    await store.close();
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).schemaVersion).toBe(2);
    const pre = (await listBackups(dir)).find((b) => b.tag === 'pre-migration-v1');
    expect(pre, 'the v1 file is kept verbatim').toBeDefined();
    expect(readFileSync(pre!.file, 'utf8')).toBe(original);
    const again = await StateStore.open(dir, { nowMs: () => 1_793_000_200_000 });
    expect(again.openedFromVersion, 'the second open reads v2 directly').toBe(2);
    await again.close();
  });

  it('a v1 file that does not match the v1 schema is refused with the path, not guessed at', async () => {
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ ...V1, orders: { x: { ...V1.orders['ps-eth-tp2'], qty: 0.1 } } }));
    const err = (await StateStore.open(dir).catch((e: unknown) => e)) as StateFileError;
    expect(err).toBeInstanceOf(StateFileError);
    expect(err.problem).toBe('schema');
    expect(err.path).toBe('orders.x.qty');
  });
});
