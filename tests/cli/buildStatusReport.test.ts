/** The status report as data, gathered from a real state directory written by the real store and journal. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildStatusReport } from '../../src/cli/buildStatusReport.js';
import { Dec } from '../../src/domain/money.js';
import { symbolDraft, type PersistedState } from '../../src/domain/persistedState.js';
import { Journal } from '../../src/state/journal.js';
import { StateStore } from '../../src/state/stateStore.js';

const NOW = Date.parse('2026-11-05T12:00:00Z');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-report-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function seed(change: (d: PersistedState) => void): Promise<void> {
  const store = await StateStore.open(dir, { nowMs: () => NOW - 60_000 });
  store.update(change);
  await store.close();
}

describe('buildStatusReport', () => {
  it('a directory where no bot has run: no state, empty statistics, nothing invented', async () => {
    const r = await buildStatusReport(dir, { nowMs: () => NOW });
    expect(r).toMatchObject({ hasState: false, mode: null, clock: null, symbols: [], protections: [], today: null, running: null });
    expect(r.statistics.trades).toBe(0);
  });

  it('lists only symbols with something to show, and only locks still in force', async () => {
    await seed((d) => {
      symbolDraft(d, 'ETHUSDT').cooldownUntilMs = NOW - 1; // over: nothing to show
      symbolDraft(d, 'XRPUSDT').cooldownUntilMs = NOW + 60_000;
      d.protections.paused = { reason: 'holiday', sinceMs: NOW - 1000, untilMs: null };
      d.protections.dailyLoss = { reason: 'old', sinceMs: NOW - 9000, untilMs: NOW - 1 };
    });
    const r = await buildStatusReport(dir, { nowMs: () => NOW });
    expect(r.symbols.map((s) => [s.symbol, s.cooldownUntilMs])).toEqual([['XRPUSDT', NOW + 60_000]]);
    expect(r.protections).toEqual([{ name: 'paused', reason: 'holiday', sinceMs: NOW - 1000, untilMs: null }]);
  });

  it("today's loss against the configured limit, and a day window the bot never rolled over is stale", async () => {
    await seed((d) => {
      d.daily = { dayStartMs: NOW - 3_600_000, realisedPnl: '-15', botEquityAtDayStart: '1000' };
    });
    const today = (await buildStatusReport(dir, { nowMs: () => NOW, maxDailyLossPct: 3 })).today!;
    expect(today.lossLimit!.toFixed()).toBe('-30');
    expect(today.limitUsedPct, '15 of a 30 USDT limit').toBe(50);
    expect(today.stale).toBe(false);
    const later = (await buildStatusReport(dir, { nowMs: () => NOW + 86_400_000 })).today!;
    expect(later).toMatchObject({ stale: true, lossLimit: null, limitUsedPct: null });
  });

  it('reads only the known clock fields, whatever else the record holds', async () => {
    await seed((d) => {
      d.lastClock = { ok: false, offsetMs: 'twelve', measuredAtMs: NOW - 5000, extra: [1, 2] };
    });
    expect((await buildStatusReport(dir, { nowMs: () => NOW })).clock).toEqual({ trusted: null, measured: false, offsetMs: null, measuredAtMs: NOW - 5000, reasons: [] });
  });

  it('asks for unrealised PnL per open position, and takes statistics from the journal', async () => {
    await seed((d) => {
      symbolDraft(d, 'BTCUSDT').position = { side: 'short', size: '0.01', entryPrice: '60000', openedMs: NOW - 1000, entryOrderLinkId: 'e', stop: null, targets: [] };
    });
    const journal = new Journal(dir);
    await journal.append({ type: 'exit', ts: NOW - 1000, symbol: 'BTCUSDT', side: 'long', entryTs: NOW - 2000, entryPrice: '1', exitPrice: '2', qty: '1', fees: '0.1', pnl: '0.9', reason: 'takeProfit' });
    await journal.close();
    const asked: string[] = [];
    const r = await buildStatusReport(dir, { nowMs: () => NOW, unrealisedPnl: async (symbol) => (asked.push(symbol), new Dec('-2.5')) });
    expect(asked).toEqual(['BTCUSDT']);
    expect(r.symbols[0]!.position).toMatchObject({ side: 'short', stopPrice: null, targets: 0 });
    expect(r.symbols[0]!.position!.unrealisedPnl!.toFixed()).toBe('-2.5');
    expect(r.statistics.trades).toBe(1);
  });
});
