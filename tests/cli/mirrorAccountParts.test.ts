/**
 * Issue 24, the mirror account's parts that the two-account sandbox cannot reach in a test's time:
 * main and mirror compared (a restart after main closed A and opened B, a failed mirror close),
 * the copy's entry type with limit entries on main, a hot reload during a late copy, the key check
 * with an untrusted clock, and a retry wait that a stop ends.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClockStatus } from '../../src/clock/clockService.js';
import { loadConfig } from '../../src/config/load.js';
import { emptyState, type PersistedState } from '../../src/domain/persistedState.js';
import type { ExchangePort } from '../../src/engine/exchangePort.js';
import { mirrorCompare } from '../../src/cli/mirrorCompare.js';
import { mirrorKeyCheck } from '../../src/cli/mirrorKeyCheck.js';
import { mirrorSettings } from '../../src/cli/mirrorSettings.js';
import { persistentCreates } from '../../src/cli/persistentCreates.js';
import { createLogger } from '../../src/util/logger.js';
import { PassThrough } from 'node:stream';

const A = 'ps-e-1750000000000-BTCUSDT';
const B = 'ps-e-1750000600000-BTCUSDT';

function state(pos: { side: 'long' | 'short'; id: string } | null, working: string | null = null): PersistedState {
  const s = emptyState(0);
  s.symbols.BTCUSDT = {
    position: pos && { side: pos.side, size: '0.01', entryPrice: '100000', openedMs: 1, entryOrderLinkId: pos.id, stop: null, targets: [] },
    openOrders: working ? { [working]: { orderLinkId: working, orderId: '1', side: 'buy', type: 'limit', purpose: 'entry', status: 'partiallyFilled', price: '100000', qty: '0.02', filledQty: '0.01', reduceOnly: false, createdMs: 1 } } : {},
    cooldownUntilMs: null,
  };
  return s;
}

function config(extra: object) {
  const dir = mkdtempSync(join(tmpdir(), 'pocket-mirror-parts-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ mode: 'testnet', symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper', ...extra }] }));
    return loadConfig({ path: join(dir, 'config.json'), env: {} }).config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('mirror account parts (issue 24)', () => {
  it('main closed A and opened B while the mirror was down: the mirror closes A, then copies B', () => {
    expect(mirrorCompare(state({ side: 'short', id: B }), state({ side: 'long', id: A }), new Set([A]), new Set())).toEqual(new Map([['BTCUSDT', 'replace']]));
    // Same entry: nothing to do.
    expect(mirrorCompare(state({ side: 'long', id: A }), state({ side: 'long', id: A }), new Set([A]), new Set()).size).toBe(0);
  });

  it('a mirror position whose main is flat is closed at the next comparison (a close that failed, or a copy that landed late)', () => {
    expect(mirrorCompare(state(null), state({ side: 'long', id: A }), new Set([A]), new Set())).toEqual(new Map([['BTCUSDT', 'close']]));
    // A copy under way is left to itself.
    expect(mirrorCompare(state(null), state({ side: 'long', id: A }), new Set([A]), new Set(['BTCUSDT'])).size).toBe(0);
  });

  it('a main limit entry still filling in parts is copied once its order is done', () => {
    expect(mirrorCompare(state({ side: 'long', id: A }, A), state(null), new Set(), new Set()).size).toBe(0);
    expect(mirrorCompare(state({ side: 'long', id: A }), state(null), new Set(), new Set())).toEqual(new Map([['BTCUSDT', 'copy']]));
  });

  it('with entry.type "limit" on main, the mirror copies at market', () => {
    const s = mirrorSettings(config({ entry: { type: 'limit', offsetPct: 0.05, timeoutCandles: 2 } }));
    expect(s.symbols[0]!.entry?.type).toBe('market');
  });

  it("a hot reload keeps a live copy's own exits", () => {
    const c = config({});
    const own = { sizing: { mode: 'notional' as const, notionalUsdt: 50 }, exits: { ...mirrorSettings(c).symbols[0]!.exits!, ladderFractions: [1] } };
    expect(mirrorSettings(c, new Map([['BTCUSDT', own]])).symbols[0]!.exits?.ladderFractions).toEqual([1]);
    expect(mirrorSettings(c).symbols[0]!.exits?.ladderFractions).not.toEqual([1]);
  });

  it('an untrusted clock is named as the reason; the key is not checked with it', async () => {
    let signed = false;
    const status = { trusted: false, reasons: [{ code: 'drift', message: 'the phone clock is 95 s off the exchange' }] } as unknown as ClockStatus;
    const clock = { ensureTrusted: () => Promise.resolve(status), now: () => ((signed = true), Date.now()) };
    await expect(mirrorKeyCheck(config({}), clock, 'mirrorKey1234', 'secret')).rejects.toThrow(/the phone's clock is not trusted \(the phone clock is 95 s off the exchange\)/);
    expect(signed).toBe(false);
  });

  it("a stop ends a copy's wait before its next try at once", async () => {
    const abort = new AbortController();
    let stopped = false;
    const failing = { placeOrder: () => Promise.reject(new Error('socket hang up')) } as unknown as ExchangePort;
    const port = persistentCreates(failing, { log: createLogger({ stream: new PassThrough(), env: {} }), kind: () => 'copy entry', unwanted: () => null, stopped: () => stopped, signal: abort.signal });
    const t0 = Date.now();
    const placing = port.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: '0.01', orderLinkId: A } as unknown as Parameters<ExchangePort['placeOrder']>[0]);
    setTimeout(() => ((stopped = true), abort.abort()), 300);
    await expect(placing).rejects.toThrow(/socket hang up/);
    expect(Date.now() - t0).toBeLessThan(1_500);
  });
});
