/** The `status` text for a phone: every line within 50 columns, words a user reads for each situation. */
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/cli/buildStatusReport.js';
import { renderStatusText } from '../../src/cli/renderStatusText.js';
import { Dec } from '../../src/domain/money.js';
import { computeStatistics } from '../../src/state/statistics.js';

const NOW = Date.parse('2026-11-05T12:00:00Z');
const EMPTY: StatusReport = {
  stateDir: '/data/state',
  nowMs: NOW,
  hasState: true,
  running: null,
  mode: 'paper',
  updatedMs: NOW - 90_000,
  clock: null,
  symbols: [],
  protections: [],
  today: null,
  statistics: computeStatistics([]),
  journalProblems: [],
};

describe('renderStatusText', () => {
  it('a flat, idle bot', () => {
    expect(renderStatusText(EMPTY)).toBe(
      [
        'pocket-scalper status',
        'state    /data/state',
        'mode     paper, saved 2 min ago',
        'bot      not running',
        'clock    no measurement recorded',
        'protect  none in force',
        'position flat, no open orders',
        'journal  no closed trades yet',
        '',
      ].join('\n'),
    );
  });

  it('a running bot that cannot write its state directory says since when (issue 22)', () => {
    const text = renderStatusText({ ...EMPTY, running: { pid: 42, startedMs: NOW - 3_600_000 }, storage: { notWritableSinceMs: NOW - 300_000, error: 'ENOSPC: no space left on device' } });
    expect(text.split('\n').slice(3, 6)).toEqual(['bot      running, PID 42', 'storage  not writable since 2026-11-05 11:55Z:', '         ENOSPC: no space left on device']);
  });

    it('clock verdicts and ages, from seconds to days', () => {
    const clock = (trusted: boolean | null, measured: boolean | null, agoMs: number, offsetMs: number | null = -3.25) =>
      renderStatusText({ ...EMPTY, clock: { trusted, measured, offsetMs, measuredAtMs: NOW - agoMs, reasons: [] } }).split('\n').find((l) => l.startsWith('clock'));
    expect(clock(true, true, 30_000)).toBe('clock    trusted, -3.3 ms, 30 s ago');
    expect(clock(false, true, 7_200_000)).toBe('clock    NOT trusted, -3.3 ms, 2 h ago');
    expect(clock(null, false, 3 * 86_400_000)).toBe('clock    not measured, -3.3 ms, 3 d ago');
    expect(clock(null, null, -1000, null)).toBe('clock    measured, in the future');
  });

  it('long reasons and long words wrap under the value column, never past 50 columns', () => {
    const text = renderStatusText({
      ...EMPTY,
      stateDir: '/storage/emulated/0/Android/data/com.termux/files/home/state',
      protections: [
        { name: 'killSwitch', reason: 'equity fell 31 % below its peak, beyond the kill switch limit of 30 %', sinceMs: NOW, untilMs: null },
        { name: 'dailyLoss', reason: 'x'.repeat(80), sinceMs: NOW, untilMs: NOW + 3_600_000 },
      ],
    });
    const lines = text.trimEnd().split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(50);
    expect(lines).toContain('state    …Android/data/com.termux/files/home/state');
    expect(lines.filter((l) => l.startsWith('protect'))).toEqual(['protect  KILL SWITCH: equity fell 31 % below its']);
    expect(text).toContain('daily loss limit until 2026-11-05');
  });

  it('positions, orders and today', () => {
    const text = renderStatusText({
      ...EMPTY,
      symbols: [
        {
          symbol: 'ETHUSDT',
          position: { side: 'short', size: new Dec('0.5'), entryPrice: new Dec('3000'), openedMs: NOW, stopPrice: null, targetsFilled: 0, targets: 0, unrealisedPnl: null },
          openOrders: [{ orderLinkId: 'a', orderId: null, purpose: 'exit', side: 'buy', type: 'market', status: 'new', price: null, qty: new Dec('0.5'), filledQty: new Dec('0') }],
          otherOrders: [
            { orderId: 'x1', orderLinkId: '', side: 'buy', type: 'market', price: null, qty: new Dec('0'), conditional: 'stopLoss', triggerPrice: new Dec('3100') },
            { orderId: 'x2', orderLinkId: 'manual-1', side: 'sell', type: 'limit', price: new Dec('3500'), qty: new Dec('0.1'), conditional: null, triggerPrice: null },
          ],
          cooldownUntilMs: null,
        },
      ],
      today: { dayStartMs: NOW - 43_200_000, realisedPnl: new Dec('4.5'), stale: false, lossLimit: null, limitUsedPct: null },
    });
    expect(text).toContain(['ETHUSDT', '  pos    short 0.5 @ 3000', '         NO STOP', '  uPnL   unknown (needs the exchange)', '  orders 1 open', '   exit buy 0.5 market new'].join('\n'));
    // Others' orders and the position's own TP/SL: shown apart, never the bot's to cancel.
    expect(text).toContain([`  others 2 not the bot's, never cancelled by it`, '   position stop buy all trigger 3100', '   manual-1 sell 0.1 @ 3500'].join('\n'));
    expect(text).toContain('today    +4.50, limit unknown');
  });
});
