import { describe, expect, it } from 'vitest';
import { Dec } from '../../src/domain/money.js';
import type { JournalRecord } from '../../src/domain/journalRecord.js';
import { computeStatistics } from '../../src/state/statistics.js';

const DAY = 86_400_000;
const D1 = Date.parse('2026-11-01T00:00:00Z');

function exit(ts: number, pnl: string, fees: string): JournalRecord {
  return { type: 'exit', ts, symbol: 'BTCUSDT', side: 'long', entryTs: ts - 60_000, entryPrice: '64000', exitPrice: '64100', qty: '0.01', fees, pnl, reason: 'takeProfit' };
}

/**
 * Hand-built journal. Trades (net pnl, fees): day 1: +10 (1), +5 (1), -20 (1); day 2: -8 (0.5),
 * -1 (0.25), 0 (0.5); day 3: none; day 4: +30 (2), -2.5 (0.25). Starting equity 1000.
 */
const JOURNAL: JournalRecord[] = [
  { type: 'equity', ts: D1 - 1000, equity: '1000', source: 'paper' },
  exit(D1 + 1 * 3_600_000, '10', '1'),
  { type: 'alert', ts: D1 + 2 * 3_600_000, level: 'info', kind: 'status', title: 'noise', body: 'not a trade' },
  exit(D1 + 3 * 3_600_000, '5', '1'),
  exit(D1 + 5 * 3_600_000, '-20', '1'),
  exit(D1 + DAY + 1_000, '-8', '0.5'),
  exit(D1 + DAY + 2_000, '-1', '0.25'),
  exit(D1 + DAY + 3_000, '0', '0.5'),
  // A later equity observation is not the start of the curve.
  { type: 'equity', ts: D1 + 2 * DAY, equity: '5000', source: 'paper' },
  exit(D1 + 3 * DAY + 10, '30', '2'),
  exit(D1 + 3 * DAY + 20, '-2.5', '0.25'),
];

describe('computeStatistics (from the journal only)', () => {
  const s = computeStatistics(JOURNAL);

  it('counts trades, wins, losses, breakeven, win rate and streaks as hand-counted', () => {
    expect(s.trades).toBe(8);
    expect([s.wins, s.losses, s.breakeven]).toEqual([3, 4, 1]);
    expect(s.winRatePct).toBe(37.5);
    // W W L L L B W L
    expect(s.longestWinStreak).toBe(2);
    expect(s.longestLossStreak).toBe(3);
  });

  it('sums money exactly in Decimal', () => {
    expect(s.netPnl.toFixed()).toBe('13.5');
    expect(s.fees.toFixed(), '1+1+1+0.5+0.25+0.5+2+0.25').toBe('6.5');
    expect(s.bestPnl?.toFixed()).toBe('30');
    expect(s.worstPnl?.toFixed()).toBe('-20');
  });

  it('max drawdown is the largest fall of realised equity from its peak, in percent of the peak', () => {
    // Equity 1000 → 1010 → 1015 (peak) → 995 → 987 → 986 → 986 → 1016 → 1013.5: fall 29 from 1015.
    expect(s.startingEquity?.toFixed()).toBe('1000');
    expect(s.maxDrawdown.toFixed()).toBe('29');
    expect(s.maxDrawdownPct).toBeCloseTo((29 / 1015) * 100, 12);
  });

  it('dailySharpe: daily realised-equity returns, sample stdev, sqrt(365)', () => {
    // Daily returns: -5/1000, -9/995, 0/986 (no trades on day 3), 27.5/986. Python's
    // statistics.stdev gives sd 0.016701013628491145, mean 0.0034613101001967237, so
    // mean/sd*sqrt(365) = 3.959534318337468.
    expect(s.sharpeDays).toBe(4);
    expect(s.dailySharpe).toBeCloseTo(3.959534318337468, 9);
  });

  it('without a starting equity: absolute drawdown only, no percentage, no Sharpe; a given one is used', () => {
    const noEquity = computeStatistics(JOURNAL.filter((r) => r.type !== 'equity'));
    expect(noEquity.maxDrawdown.toFixed(), 'cumulative pnl 15 → -14').toBe('29');
    expect(noEquity.maxDrawdownPct).toBeNull();
    expect(noEquity.dailySharpe).toBeNull();
    const given = computeStatistics(JOURNAL, { startingEquity: new Dec('2015') });
    expect(given.maxDrawdownPct).toBeCloseTo((29 / 2030) * 100, 12);
  });

  it('an empty journal gives zeros and nulls, not NaN', () => {
    const e = computeStatistics([]);
    expect(e).toMatchObject({ trades: 0, wins: 0, losses: 0, winRatePct: null, bestPnl: null, worstPnl: null, dailySharpe: null, maxDrawdownPct: null });
    expect(e.netPnl.toFixed()).toBe('0');
  });
});
