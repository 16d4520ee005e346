/** The `status --json` document: money as plain numbers rounded to 1e-8, unknowns as null. */
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/cli/buildStatusReport.js';
import { statusJson } from '../../src/cli/statusJson.js';
import { Dec } from '../../src/domain/money.js';
import { computeStatistics } from '../../src/state/statistics.js';

const NOW = Date.parse('2026-11-05T12:00:00Z');

describe('statusJson', () => {
  it('turns every Decimal into a number rounded to 1e-8 and keeps unknowns null', () => {
    const report: StatusReport = {
      stateDir: '/s',
      nowMs: NOW,
      hasState: true,
      running: { pid: 7, startedMs: NOW - 1 },
      mode: 'testnet',
      updatedMs: NOW,
      clock: { trusted: true, measured: true, offsetMs: 1.5, measuredAtMs: NOW, reasons: [] },
      symbols: [
        {
          symbol: 'BTCUSDT',
          position: { side: 'long', size: new Dec('0.001'), entryPrice: new Dec('64000.123456789'), openedMs: NOW, stopPrice: null, targetsFilled: 1, targets: 2, unrealisedPnl: null },
          openOrders: [{ orderLinkId: 'a', orderId: 'b', purpose: 'stopLoss', side: 'sell', type: 'market', status: 'new', price: null, qty: new Dec('0.001'), filledQty: new Dec('0') }],
          otherOrders: [],
          cooldownUntilMs: null,
        },
      ],
      protections: [{ name: 'paused', reason: 'x', sinceMs: NOW, untilMs: null }],
      today: { dayStartMs: NOW, realisedPnl: new Dec('-1.000000004'), stale: false, lossLimit: new Dec('-30'), limitUsedPct: 3.3 },
      statistics: computeStatistics([]),
      journalProblems: [],
    };
    const doc = JSON.parse(JSON.stringify(statusJson(report))) as Record<string, unknown>;
    expect(doc.symbols).toEqual([
      {
        symbol: 'BTCUSDT',
        otherOrders: [],
        position: { side: 'long', size: 0.001, entryPrice: 64000.12345679, openedMs: NOW, stopPrice: null, targetsFilled: 1, targets: 2, unrealisedPnl: null },
        openOrders: [{ orderLinkId: 'a', orderId: 'b', purpose: 'stopLoss', side: 'sell', type: 'market', status: 'new', price: null, qty: 0.001, filledQty: 0 }],
        cooldownUntilMs: null,
      },
    ]);
    expect(doc.today).toEqual({ dayStartMs: NOW, realisedPnl: -1, stale: false, lossLimit: -30, limitUsedPct: 3.3 });
    expect(doc).toMatchObject({ running: { pid: 7 }, mode: 'testnet', protections: [{ name: 'paused' }], statistics: { trades: 0, netPnl: 0, bestPnl: null } });
  });
});
