import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listBackups, restoreBackup } from '../../src/state/backups.js';
import { InvalidStateUpdateError, RestoreBackupError, StateFileError } from '../../src/state/stateErrors.js';
import { STATE_SCHEMA_VERSION, symbolDraft } from '../../src/domain/persistedState.js';
import { StateStore } from '../../src/state/stateStore.js';

let dir: string;
let clockMs: number;
const nowMs = (): number => clockMs;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-state-'));
  clockMs = Date.parse('2026-11-05T12:00:00.000Z');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const statePath = (): string => join(dir, 'state.json');

function openPosition(store: StateStore, size: string): void {
  store.update((d) => {
    symbolDraft(d, 'BTCUSDT').position = {
      side: 'long',
      size,
      entryPrice: '64000.5',
      openedMs: clockMs,
      entryOrderLinkId: 'ps-1-entry',
      stop: { price: '63500', orderLinkId: null, orderId: null },
      targets: [{ price: '64500', qty: size, filled: false, orderLinkId: null, orderId: null }],
    };
  });
}

describe('StateStore: durable, coalesced writes', () => {
  it('creates state.json at once in a fresh directory and reads back what was flushed', async () => {
    const store = await StateStore.open(dir, { nowMs });
    expect(existsSync(statePath()), 'a fresh store writes its file immediately, so absence later means loss').toBe(true);
    openPosition(store, '0.010');
    await store.flush();
    const onDisk = JSON.parse(readFileSync(statePath(), 'utf8'));
    expect(onDisk.schemaVersion).toBe(STATE_SCHEMA_VERSION);
    expect(onDisk.symbols.BTCUSDT.position).toMatchObject({ side: 'long', size: '0.010', entryPrice: '64000.5' });
    await store.close();

    const again = await StateStore.open(dir, { nowMs });
    expect(again.state.symbols.BTCUSDT?.position?.size).toBe('0.010');
    await again.close();
  });

  it('coalesces a burst of updates into one write', async () => {
    const store = await StateStore.open(dir, { nowMs });
    const before = store.counters.writes;
    for (let i = 1; i <= 500; i++) openPosition(store, `${i}`);
    await store.flush();
    expect(store.counters.writes - before, '500 updates in one turn of the event loop cost one file write').toBe(1);
    expect(JSON.parse(readFileSync(statePath(), 'utf8')).symbols.BTCUSDT.position.size).toBe('500');
    await store.close();
  });

  it('writes in the background without flush, and flush waits for updates made during a write', async () => {
    const store = await StateStore.open(dir, { nowMs });
    openPosition(store, '1');
    // The store's write is scheduled with setImmediate; ours runs after it has started.
    await new Promise((r) => setImmediate(r));
    await store.idle();
    expect(JSON.parse(readFileSync(statePath(), 'utf8')).symbols.BTCUSDT.position.size, 'the scheduled write ran on its own').toBe('1');
    openPosition(store, '2');
    const first = store.flush();
    openPosition(store, '3');
    const second = store.flush();
    await first;
    await second;
    expect(JSON.parse(readFileSync(statePath(), 'utf8')).symbols.BTCUSDT.position.size).toBe('3');
    await store.close();
  });

  it('removes temporary files a killed writer left behind, under the lock', async () => {
    await (await StateStore.open(dir, { nowMs })).close();
    writeFileSync(join(dir, '.state.json.99999.3.tmp'), '{"half": ');
    writeFileSync(join(dir, 'backups', '.state-20261105T120000000Z.json.99999.4.tmp'), '');
    const store = await StateStore.open(dir, { nowMs });
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(join(dir, 'backups')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await store.close();
  });

  it('rejects an update that breaks the schema and keeps the previous state', async () => {
    const store = await StateStore.open(dir, { nowMs });
    openPosition(store, '0.5');
    expect(() =>
      store.update((d) => {
        symbolDraft(d, 'BTCUSDT').position!.size = '1e-7';
      }),
    ).toThrow(InvalidStateUpdateError);
    expect(() => store.update((d) => symbolDraft(d, 'BTCUSDT').position!.size = '0.6')).not.toThrow();
    expect(() =>
      store.update(() => {
        throw new Error('engine bug');
      }),
    ).toThrow('engine bug');
    expect(store.state.symbols.BTCUSDT?.position?.size).toBe('0.6');
    await store.close();
  });

  it('takes rolling backups when due, keeps the newest N, and on demand', async () => {
    const store = await StateStore.open(dir, { nowMs, backupEveryMs: 3_600_000, backupKeep: 3 });
    expect((await listBackups(dir)).length, 'one backup on first open').toBe(1);
    openPosition(store, '0');
    await store.flush();
    expect((await listBackups(dir)).length, 'not due yet: still one').toBe(1);
    for (let h = 1; h <= 6; h++) {
      clockMs += 3_600_000;
      openPosition(store, `${h}`);
      await store.flush();
      await store.idle();
    }
    const backups = await listBackups(dir);
    expect(backups.length, 'hourly backups rotate down to backupKeep').toBe(3);
    expect(JSON.parse(readFileSync(backups[0]!.file, 'utf8')).symbols.BTCUSDT.position.size).toBe('6');
    clockMs += 1000;
    const manual = await store.backupNow();
    expect(manual, 'backupNow writes a new newest backup').toBe((await listBackups(dir))[0]!.file);
    await store.close();
  });
});

describe('StateStore: a damaged state file is never overwritten', () => {
  async function withBackup(): Promise<string> {
    const store = await StateStore.open(dir, { nowMs });
    openPosition(store, '0.25');
    await store.flush();
    clockMs += 1000;
    const backup = await store.backupNow();
    await store.close();
    return backup;
  }

  it('refuses a file with a JSON syntax error, names line and column and the newest backup, leaves it byte-identical', async () => {
    const backup = await withBackup();
    const damaged = '{\n  "schemaVersion": 2,\n  "updatedMs": 1,\n  "mode": nul\n}\n';
    writeFileSync(statePath(), damaged);
    const err = await StateStore.open(dir, { nowMs }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateFileError);
    const e = err as StateFileError;
    expect(e.name).toBe('StateFileError');
    expect(e.problem).toBe('syntax');
    // "nul" starts at line 4, column 11; the scanner stops at the first character that cannot follow.
    expect([e.line, e.column]).toEqual([4, 14]);
    expect(e.message).toContain(statePath());
    expect(e.message).toContain('line 4, column 14');
    expect(e.newestBackup).toBe(backup);
    expect(e.message).toContain(backup);
    expect(readFileSync(statePath(), 'utf8'), 'the damaged file is left exactly as it was').toBe(damaged);
    expect(existsSync(join(dir, 'bot.lock')), 'a refused open releases the lock').toBe(false);
  });

  it('refuses a torn (truncated) file and a file that fails the schema, naming the path', async () => {
    await withBackup();
    const good = readFileSync(statePath(), 'utf8');
    writeFileSync(statePath(), good.slice(0, 120));
    const torn = (await StateStore.open(dir, { nowMs }).catch((e: unknown) => e)) as StateFileError;
    expect(torn.problem).toBe('syntax');

    const doc = JSON.parse(good);
    doc.symbols.BTCUSDT.position.entryPrice = 64000.5;
    writeFileSync(statePath(), JSON.stringify(doc));
    const schema = (await StateStore.open(dir, { nowMs }).catch((e: unknown) => e)) as StateFileError;
    expect(schema.problem).toBe('schema');
    expect(schema.path).toBe('symbols.BTCUSDT.position.entryPrice');
    expect(schema.message).toContain('symbols.BTCUSDT.position.entryPrice');
  });

  it('refuses a file from a newer version and a missing file when backups exist', async () => {
    await withBackup();
    const doc = JSON.parse(readFileSync(statePath(), 'utf8'));
    writeFileSync(statePath(), JSON.stringify({ ...doc, schemaVersion: 99 }));
    expect(((await StateStore.open(dir, { nowMs }).catch((e: unknown) => e)) as StateFileError).problem).toBe('newer-version');
    rmSync(statePath());
    const missing = (await StateStore.open(dir, { nowMs }).catch((e: unknown) => e)) as StateFileError;
    expect(missing.problem, 'starting from zero next to backups could forget a position').toBe('missing');
  });

  it('restoreBackup moves the damaged file aside (nothing lost) and restores the newest valid backup', async () => {
    const backup = await withBackup();
    // A newer but invalid backup must be skipped in favour of the newest valid one.
    writeFileSync(join(dir, 'backups', 'state-20991231T000000000Z.json'), '{"broken":');
    const damaged = '{"schemaVersion": 2, "oops"';
    writeFileSync(statePath(), damaged);
    clockMs += 5000;
    const result = await restoreBackup(dir, { nowMs });
    expect(result.restored).toBe(backup);
    expect(result.movedAside).toBe(join(dir, 'state.json.corrupt-20261105T120006000Z'));
    expect(readFileSync(result.movedAside!, 'utf8')).toBe(damaged);
    expect(readFileSync(statePath(), 'utf8')).toBe(readFileSync(backup, 'utf8'));
    const store = await StateStore.open(dir, { nowMs });
    expect(store.state.symbols.BTCUSDT?.position?.size).toBe('0.25');
    await store.close();
    await expect(restoreBackup(dir, { nowMs }), 'a valid state is not replaced without force').rejects.toThrow(RestoreBackupError);
  });

  it('open({ restoreBackup: true }) restores under the lock; without a valid backup it refuses and changes nothing', async () => {
    await withBackup();
    writeFileSync(statePath(), 'garbage');
    const store = await StateStore.open(dir, { nowMs, restoreBackup: true });
    expect(store.restored?.movedAside).toMatch(/state\.json\.corrupt-/);
    expect(store.state.symbols.BTCUSDT?.position?.size).toBe('0.25');
    await store.close();

    rmSync(join(dir, 'backups'), { recursive: true });
    mkdirSync(join(dir, 'backups'));
    writeFileSync(statePath(), 'garbage');
    const err = (await StateStore.open(dir, { nowMs, restoreBackup: true }).catch((e: unknown) => e)) as StateFileError;
    expect(err.newestBackup).toBeNull();
    expect(err.message).toContain('no valid backup');
    expect(readFileSync(statePath(), 'utf8')).toBe('garbage');
    expect(readdirSync(dir).filter((n) => n.includes('corrupt-')).length, 'only the first restore moved a file aside').toBe(1);
  });
});
