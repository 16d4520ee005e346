/**
 * Issue 22 at the engine: an entry never leaves while its plan cannot be made durable (the store's
 * flush rejects on a full disk), and the 'storage' block stops entries and opening quotes before
 * they are even tried.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/state/stateStore.js';
import { WRITE_FAULT_ENV } from '../../src/util/writeFault.js';
import { longIntent, partsKit, T0, wireParts } from './partsKit.js';

let dir: string | null = null;
afterEach(() => {
  delete process.env[WRITE_FAULT_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('entries on a storage that cannot be written', () => {
  it('an entry whose plan cannot be flushed is not sent', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pocket-engine-full-'));
    const faultSwitch = join(dir, 'switch');
    process.env[WRITE_FAULT_ENV] = faultSwitch;
    const disk = await StateStore.open(join(dir, 'state'), { onStorageError: () => undefined });
    const kit = partsKit();
    // The kit's store in memory, made durable through a real store on a disk that is now full.
    kit.store.flush = async () => {
      disk.update((d) => {
        d.mode = 'testnet';
      });
      await disk.flush();
    };
    const w = await wireParts(kit);
    writeFileSync(faultSwitch, 'ENOSPC');
    await expect(w.entries.enter(w.rt, longIntent(), T0)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(kit.sim.orders('BTCUSDT'), 'nothing reached the exchange').toEqual([]);
    await disk.close().catch(() => undefined);
  });

  it("the 'storage' block stops entries with its reason, and lifting it allows them again", async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    w.risk.setBlock('storage', 'state directory not writable (ENOSPC)');
    await w.turn(() => w.entries.enter(w.rt, longIntent(), T0));
    expect(kit.sim.orders('BTCUSDT')).toEqual([]);
    expect(kit.logs.map((l) => l.message)).toContain('BTCUSDT long signal not traded: storage: state directory not writable (ENOSPC)');
    w.risk.setBlock('storage', null);
    await w.turn(() => w.entries.enter(w.rt, longIntent(), T0));
    expect(kit.sim.orders('BTCUSDT').length).toBeGreaterThan(0);
  });
});
