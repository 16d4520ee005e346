/**
 * Limit entries in the backtest (issue 24 item 5), on the real BTCUSDT 1m candles in data/: each
 * signal becomes a post-only limit at its candle's close (or offsetPct better), moved to the book's
 * own side where the close would cross it (a long at most the best bid, a short at least the best
 * ask). The simulator's one-tick book puts the close on the side the last trade took by the tick
 * test: the ask after a close above the path point before it, the bid after one below. It fills only
 * where DESIGN section 5's rule says (the path trades strictly beyond the limit), as maker, within
 * timeoutCandles candles, unless the price reached the first target first: longs and shorts alike.
 * Every order's outcome is worked out here from the candles alone and compared with the bot's.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BacktestRun } from '../../src/backtest/runBacktest.js';
import { runConfiguredBacktest } from '../../src/cli/backtest.js';
import { parseConfigText } from '../../src/config/load.js';
import { readCandleFile } from '../../src/domain/candleCsv.js';
import type { FillRecord, OrderSentRecord } from '../../src/domain/journalRecord.js';
import { dec } from '../../src/domain/money.js';
import { candlePath } from '../../src/sim/candlePath.js';
import type { Logger } from '../../src/util/logger.js';

const BTC_1M = readCandleFile(fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url)));
const N = 20_000;
const TIMEOUT = 3;
const byTs = new Map(BTC_1M.map((c, i) => [c.ts, i]));

function config(entry: Record<string, unknown>) {
  return parseConfigText(
    JSON.stringify({ risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 20 } }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper', entry }] }),
    'test.json',
  ).config;
}

/** A logger that keeps the lines a person would read, in order. */
function lineLogger(lines: string[]): Logger {
  const log: Logger = { debug: () => {}, info: (m: string) => void lines.push(m), warn: (m: string) => void lines.push(m), error: (m: string) => void lines.push(m), child: () => log } as unknown as Logger;
  return log;
}

interface Judged {
  readonly order: OrderSentRecord;
  /** Index of the signal candle (the order was decided at its close). */
  readonly signal: number;
  readonly fills: readonly FillRecord[];
  /** The line the bot logged when it placed the order, and the one for how it ended. */
  readonly placed: string;
  readonly ended: string;
}

async function limitRun(entry: Record<string, unknown>): Promise<{ run: BacktestRun; lines: string[]; judged: Judged[] }> {
  const lines: string[] = [];
  const run = await runConfiguredBacktest(config(entry), { candles: BTC_1M.slice(0, N), intervalMinutes: 1 }, {}, lineLogger(lines));
  const orders = run.journal.filter((r): r is OrderSentRecord => r.type === 'order' && r.purpose === 'entry');
  const fills = run.journal.filter((r): r is FillRecord => r.type === 'fill');
  const placed = lines.flatMap((l, i) => (/ limit entry placed: /.test(l) ? [i] : []));
  expect(placed.length, 'one "placed" line per entry order').toBe(orders.length);
  const judged = orders.map((order, k) => {
    const ended = lines.slice(placed[k]! + 1, placed[k + 1] ?? lines.length).filter((l) => / limit entry (filled|partly filled|refused|cancelled|at .* ended unfilled)/.test(l));
    expect(ended, `one end line for ${order.orderLinkId}`).toHaveLength(1);
    expect(lines[placed[k]!], 'placed lines in order').toContain(`placed: ${order.qty} @ ${order.price},`);
    return { order, signal: byTs.get(order.ts)! - 1, fills: fills.filter((f) => f.orderLinkId === order.orderLinkId), placed: lines[placed[k]!]!, ended: ended[0]! };
  });
  return { run, lines, judged };
}

/**
 * Whether candle i's close took the ask by the tick test: above the path point before it (its
 * later extreme), or equal to it and that point above the one before, and so on back.
 */
function closeTookAsk(i: number): boolean {
  for (let k = i; k > 0; k--) {
    const pts = candlePath(BTC_1M[k]!);
    const seq = [BTC_1M[k - 1]!.close, ...pts];
    for (let p = seq.length - 1; p > 0; p--) if (seq[p] !== seq[p - 1]) return seq[p]! > seq[p - 1]!;
  }
  return false;
}

/** What DESIGN section 5 says becomes of a resting limit entry, from the candles alone. */
function expected(j: Judged, firstTarget: number): { outcome: 'filled' | 'timeout' | 'target'; candle: number } {
  const p = Number(j.order.price);
  const long = j.order.side === 'buy';
  for (let k = j.signal + 1; k <= j.signal + TIMEOUT; k++) {
    const c = BTC_1M[k]!;
    // Strictly beyond the limit: a buy fills when the price trades below it.
    if (long ? c.low < p : c.high > p) return { outcome: 'filled', candle: k };
    // At this candle's close the bot sees the first target reached before its entry filled.
    if (long ? c.high >= firstTarget : c.low <= firstTarget) return { outcome: 'target', candle: k };
  }
  return { outcome: 'timeout', candle: j.signal + TIMEOUT };
}

describe('limit entries at the close on 20,000 real BTCUSDT 1m candles', () => {
  let r: Awaited<ReturnType<typeof limitRun>>;
  beforeAll(async () => {
    r = await limitRun({ type: 'limit', timeoutCandles: TIMEOUT });
  });

  it('each signal sends a post-only limit at its candle close, on the book\'s own side of it, with the stop attached', () => {
    expect(r.judged.length, 'enough entries to mean something').toBeGreaterThan(50);
    for (const j of r.judged) {
      const signal = BTC_1M[j.signal]!;
      expect(j.order.orderType).toBe('limit');
      // The simulator's book at the close: an uptick into the close took the ask (bid one tick, 0.1,
      // below it), a downtick hit the bid (ask one tick above). A long rests at the bid, a short at the ask.
      const up = closeTookAsk(j.signal);
      const tick = j.order.side === 'buy' ? (up ? -1 : 0) : up ? 0 : 1;
      expect(Number(j.order.price), j.order.orderLinkId).toBe(Math.round(signal.close * 10 + tick) / 10);
      expect(j.order.reason).toContain(`close ${signal.close}`);
    }
    const moved = r.judged.filter((j) => Number(j.order.price) !== BTC_1M[j.signal]!.close);
    expect(moved.length, 'some limits moved off the close').toBeGreaterThan(10);
    for (const j of moved) {
      const line = j.placed;
      const book = j.order.side === 'buy' ? 'bid' : 'ask';
      expect(line).toContain(`post-only, at the best ${book} ${j.order.price} (the signal candle's close ${BTC_1M[j.signal]!.close} would have crossed the book);`);
    }
    expect(r.lines.filter((l) => / limit entry placed: .*, post-only, at the signal candle's close \S+; /.test(l)).length).toBe(r.judged.length - moved.length);
  });

  for (const side of ['long', 'short'] as const) {
    it(`a ${side} fills only where the path traded strictly beyond it, as maker, inside its timeout; otherwise cancelled at the timeout or the first target`, () => {
      const mine = r.judged.filter((j) => j.order.side === (side === 'long' ? 'buy' : 'sell'));
      const seen = { filled: 0, timeout: 0, target: 0, filledInLastCandle: 0, wouldFillOneCandleLater: 0 };
      for (const j of mine) {
        const target = Number(/first target (\S+) first/.exec(j.placed)![1]);
        const want = expected(j, target);
        seen[want.outcome]++;
        if (want.outcome === 'filled' && want.candle === j.signal + TIMEOUT) seen.filledInLastCandle++;
        const after = BTC_1M[j.signal + TIMEOUT + 1]!;
        if (want.outcome === 'timeout' && (side === 'long' ? after.low < Number(j.order.price) : after.high > Number(j.order.price))) seen.wouldFillOneCandleLater++;
        const at = new Date(BTC_1M[j.signal]!.ts).toISOString();
        if (want.outcome === 'filled') {
          expect(j.fills.length, `${side} limit of ${at} fills in candle ${want.candle - j.signal}`).toBeGreaterThan(0);
          const f = j.fills[0]!;
          expect(byTs.get(Math.floor(f.ts / 60_000) * 60_000), 'in the first candle that traded through it').toBe(want.candle);
          expect(f.isMaker, 'a resting limit fills as maker').toBe(true);
          expect(f.price).toBe(j.order.price);
          // The maker fee (config paper.makerFeePct 0.02 %) in the ledger, not the taker's 0.055 %.
          expect(dec(f.fee).toFixed(8)).toBe(dec(f.price).mul(f.qty).mul('0.0002').toFixed(8));
          expect(j.ended).toMatch(/limit entry filled: .* as maker$/);
        } else {
          expect(j.fills, `${side} limit of ${at}: no fill (${want.outcome})`).toEqual([]);
          expect(j.ended).toMatch(want.outcome === 'timeout' ? /limit entry cancelled: not filled within 3 candle\(s\)$/ : /limit entry cancelled: the price reached the first target \S+ before it filled$/);
        }
      }
      expect(seen.filled, `some ${side} limits filled`).toBeGreaterThan(10);
      expect(seen.timeout, 'some timed out').toBeGreaterThan(3);
      expect(seen.target, 'some saw the first target first').toBeGreaterThan(0);
      // The timeout's edges: still resting through candle 3 after the signal, gone before candle 4.
      expect(seen.filledInLastCandle, 'fills in the third candle after the signal').toBeGreaterThan(0);
      expect(seen.wouldFillOneCandleLater, 'timed-out limits the fourth candle traded through').toBeGreaterThan(0);
    });
  }

  it('longs and shorts are treated alike: none refused as crossing, both placed and filled about as often', () => {
    expect(r.lines.filter((l) => l.includes('EC_PostOnlyWillTakeLiquidity'))).toEqual([]);
    const side = (s: 'buy' | 'sell') => {
      const all = r.judged.filter((j) => j.order.side === s);
      return { placed: all.length, filled: all.filter((j) => j.fills.length > 0).length };
    };
    const long = side('buy');
    const short = side('sell');
    expect(short.placed, 'shorts placed').toBeGreaterThan(long.placed * 0.7);
    expect(long.placed, 'longs placed').toBeGreaterThan(short.placed * 0.7);
    expect(Math.abs(long.filled / long.placed - short.filled / short.placed), 'fill rates of the two sides').toBeLessThan(0.04);
    // Every trade of the run was entered by a filled limit: the trades count both sides.
    expect(r.run.trades.filter((t) => t.side === 'short').length).toBe(short.filled);
    const last = r.judged.at(-1)!;
    expect(BTC_1M[last.signal]!.ts, 'entries continue to the end of the data').toBeGreaterThan(BTC_1M[N - 2000]!.ts);
  });

  it('the books add up with maker entry fees: trade PnL sums to the equity change', () => {
    const sum = r.run.trades.reduce((s, t) => s.plus(dec(t.pnl.toFixed(8))), dec(0));
    expect(r.run.trades.length).toBeGreaterThan(10);
    expect(sum.toFixed(6)).toBe(dec(r.run.equity.at(-1)!.toFixed(8)).minus(1000).toFixed(6));
  });
});

describe('limit entries offsetPct better than the close', () => {
  it('shorts rest above the close too and fill as maker; the limit is the close ± offset, rounded away from the market', async () => {
    const r = await limitRun({ type: 'limit', offsetPct: 0.02, timeoutCandles: TIMEOUT });
    for (const j of r.judged) {
      const close = BTC_1M[j.signal]!.close;
      const want = j.order.side === 'buy' ? Math.floor(close * 0.9998 * 10 + 1e-6) / 10 : Math.ceil(close * 1.0002 * 10 - 1e-6) / 10;
      expect(Number(j.order.price)).toBeCloseTo(want, 6);
    }
    const shortFills = r.judged.filter((j) => j.order.side === 'sell' && j.fills.length > 0);
    expect(shortFills.length, 'shorts fill once they rest above the bid').toBeGreaterThan(5);
    for (const j of shortFills) expect(BTC_1M[byTs.get(Math.floor(j.fills[0]!.ts / 60_000) * 60_000)!]!.high).toBeGreaterThan(Number(j.order.price));
    expect(r.lines.some((l) => l.includes('EC_PostOnlyWillTakeLiquidity'))).toBe(false);
  });
});
