/**
 * Issue 9, "Done when": a 10-candle hand-built scenario whose signals, fills, fees and PnL are
 * worked out below by hand, run through the real backtester (real Engine, real Simulator), matching
 * to the last 1e-8. The signals come from a scripted strategy (the engine cannot tell it from the
 * scalper), so that the worked example stays about fills and money.
 *
 * Rules used (DESIGN section 5, src/sim): a decision at the close of candle t fills at the open of
 * t+1 plus slippage (0.01 % against the taker, rounded to the 0.1 tick away from us); a resting
 * limit fills at its price only when the path trades strictly through it, maker fee 0.02 %; a stop
 * triggers on touch and fills at the stop price minus slippage, taker fee 0.055 %. Each execution's
 * fee is rounded to 1e-8 (half up). The path of a candle is open → nearer extreme → other extreme →
 * close (low first on a tie). Sizing: a fixed 1000 USDT notional at the signal close.
 */
import { describe, expect, it } from 'vitest';
import { backtestReport } from '../../src/backtest/backtestReport.js';
import { runBacktest } from '../../src/backtest/runBacktest.js';
import { engineSettingsFrom } from '../../src/cli/wiring.js';
import { parseConfigText } from '../../src/config/load.js';
import type { Candle, Intent } from '../../src/domain/types.js';
import type { BookTop, PositionView, Strategy } from '../../src/strategies/strategy.js';

const T0 = Date.UTC(2025, 5, 1); // 2025-06-01T00:00Z
const MIN = 60_000;
const c = (i: number, open: number, high: number, low: number, close: number): Candle => ({ ts: T0 + i * MIN, open, high, low, close, volume: 10 });

const CANDLES: Candle[] = [
  c(0, 100000, 100050, 99950, 100000),
  c(1, 100000, 100100, 99900, 100000), // close: LONG signal, stop 99500, targets 100500 / 101000
  c(2, 100000, 100200, 99800, 100100), // open: entry fills
  c(3, 100100, 100600, 100050, 100550), // path 100100 → 100050 → 100600: target 1 (100500) fills
  c(4, 100550, 100700, 100400, 100450), // nothing
  c(5, 100450, 100500, 99400, 99600), // path 100450 → 100500 → 99400: the stop (99500) triggers
  c(6, 99600, 99700, 99550, 99600), // close: SHORT signal, stop 100100, targets 99300 / 99000
  c(7, 99600, 99650, 99500, 99550), // open: entry fills
  c(8, 99550, 99560, 98900, 98950), // path 99550 → 99560 → 98900: both targets fill
  c(9, 98950, 99000, 98900, 98980), // flat
];

/** Emits the two signals of the scenario, at the close of candles 1 and 6. */
class Scripted implements Strategy {
  readonly name = 'scalper' as const;
  readonly symbol = 'BTCUSDT';
  readonly warmupCandles = 0;
  onCandle(candle: Candle, position: PositionView, nowMs: number): Intent | null {
    const i = (candle.ts - T0) / MIN;
    const base = { kind: 'enter' as const, symbol: this.symbol, decidedAtMs: candle.ts + MIN, refPrice: candle.close };
    if (position.side !== null || nowMs !== candle.ts + MIN) return null;
    if (i === 1) return { ...base, side: 'long', stopLoss: 99500, targets: [100500, 101000], reason: 'scripted long' };
    if (i === 6) return { ...base, side: 'short', stopLoss: 100100, targets: [99300, 99000], reason: 'scripted short' };
    return null;
  }
  onBook(_t: BookTop, _p: PositionView, _n: number): Intent | null {
    return null;
  }
}

const CONFIG = parseConfigText(
  JSON.stringify({
    paper: { startBalanceUsdt: 1000, makerFeePct: 0.02, takerFeePct: 0.055, slippagePct: 0.01 },
    symbols: [
      {
        symbol: 'BTCUSDT',
        strategy: 'scalper',
        leverage: 10,
        sizing: { mode: 'notional', notionalUsdt: 1000 },
        params: { takeProfitR: [1, 2] },
        exits: { ladderFractions: [0.5, 0.5], breakeven: { enabled: false } },
      },
    ],
  }),
  'hand-scenario.json',
).config;

describe('backtest: the 10-candle worked example', () => {
  it('matches the hand-computed fills, fees, PnL and equity curve exactly', async () => {
    const run = await runBacktest({ candles: CANDLES, intervalMinutes: 1, settings: engineSettingsFrom(CONFIG), strategy: new Scripted(), costs: CONFIG.paper, fromMs: T0 });
    const report = backtestReport(run, { file: 'hand', params: {} });

    // Trade 1, long. qty = 1000 / 100000 = 0.010 BTC.
    //   entry at candle 2's open: 100000 × 1.0001 = 100010.0; taker fee 100010 × 0.01 × 0.00055 = 0.550055
    //   candle 2 closes; the engine places the ladder: sell 0.005 @ 100500 and 0.005 @ 101000.
    //   candle 3 trades through 100500: maker fee 100500 × 0.005 × 0.0002 = 0.1005, gross (100500 − 100010) × 0.005 = +2.45
    //   candle 5 touches the stop 99500: sell 0.005 @ 99500 × 0.9999 = 99490.05 → 99490.0 (tick, down);
    //     taker fee 99490 × 0.005 × 0.00055 = 0.2735975, gross (99490 − 100010) × 0.005 = −2.6
    //   fees 0.550055 + 0.1005 + 0.2735975 = 0.9241525; pnl 2.45 − 2.6 − 0.9241525 = −1.0741525
    //   exit price (100500 × 0.005 + 99490 × 0.005) / 0.01 = 99995
    // Trade 2, short. qty = 1000 / 99600 = 0.01004 → 0.010 BTC.
    //   entry at candle 7's open: 99600 × 0.9999 = 99590.04 → 99590.0; taker fee 99590 × 0.01 × 0.00055 = 0.547745
    //   candle 8 trades below both targets: buy 0.005 @ 99300 (fee 0.0993, gross +1.45), 0.005 @ 99000 (fee 0.099, gross +2.95)
    //   fees 0.746045; pnl 4.4 − 0.746045 = 3.653955; exit price 99150
    expect(report.trades).toEqual([
      { side: 'long', entryTs: T0 + 2 * MIN, entryPrice: 100010, exitTs: T0 + 5 * MIN + 39_999, exitPrice: 99995, qty: 0.01, fees: 0.9241525, pnl: -1.0741525, exitReason: 'stopLoss' },
      { side: 'short', entryTs: T0 + 7 * MIN, entryPrice: 99590, exitTs: T0 + 8 * MIN + 39_999, exitPrice: 99150, qty: 0.01, fees: 0.746045, pnl: 3.653955, exitReason: 'takeProfit' },
    ]);
    // The stop and the targets filled at path point 2 of their candle: ts + round(2 × 59999 / 3) = ts + 39999.

    // Equity at each close = wallet + unrealised PnL at the close:
    //   c2: 1000 − 0.550055 + (100100 − 100010) × 0.01 = 1000.349945
    //   c3: wallet 999.449945 + 2.45 − 0.1005 = 1001.799445; + (100550 − 100010) × 0.005 = 1004.499445
    //   c4: 1001.799445 + (100450 − 100010) × 0.005 = 1003.999445
    //   c5: 1001.799445 − 2.6 − 0.2735975 = 998.9258475 (= 1000 − 1.0741525)
    //   c7: 998.9258475 − 0.547745 + (99590 − 99550) × 0.01 = 998.7781025
    //   c8: 998.3781025 + 4.4 − 0.1983 = 1002.5798025
    expect(report.equity).toEqual([
      [T0, 1000],
      [T0 + MIN, 1000],
      [T0 + 2 * MIN, 1000.349945],
      [T0 + 3 * MIN, 1004.499445],
      [T0 + 4 * MIN, 1003.999445],
      [T0 + 5 * MIN, 998.9258475],
      [T0 + 6 * MIN, 998.9258475],
      [T0 + 7 * MIN, 998.7781025],
      [T0 + 8 * MIN, 1002.5798025],
      [T0 + 9 * MIN, 1002.5798025],
    ]);
    expect(report.metrics).toMatchObject({
      trades: 2,
      winRate: 0.5,
      netPnl: 2.5798025, // −1.0741525 + 3.653955
      returnPct: 0.25798025,
      fees: 1.6701975, // 0.9241525 + 0.746045
      profitFactor: 3.40170972, // 3.653955 / 1.0741525 = 3.4017097199…, rounded to 1e-8
      exposurePct: 40, // a position was open at the close of candles 2, 3, 4 and 7: 4 of 10
    });
    // Max drawdown: peak 1004.499445 (c3) → trough 998.7781025 (c7): 5.7213425 / 1004.499445 = 0.56957… %.
    expect(report.metrics.maxDrawdownPct).toBeCloseTo((5.7213425 / 1004.499445) * 100, 7);
    expect(report.data).toEqual({ file: 'hand', symbol: 'BTCUSDT', interval: 1, candles: 10, from: '2025-06-01T00:00:00.000Z', to: '2025-06-01T00:10:00.000Z' });
  });
});
