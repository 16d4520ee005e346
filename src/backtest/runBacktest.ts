/**
 * The backtest runner (issue 9 item 1): historical candles replayed through the **same** Engine and
 * Strategy code as live (DESIGN section 2), with the one simulator (src/sim) as the exchange, in
 * memory (MemoryStore, MemoryJournal: no state directory, no fsync per order).
 *
 * - Warm-up: the candles before the window are the exchange's history; the engine warms its
 *   strategy up from them through `fetchCandles` exactly as it does live at start-up, so the first
 *   candle of the window already has valid indicators. Without an explicit start the window begins
 *   right after the history the engine asks for.
 * - No look-ahead: the engine only ever sees a candle after the simulator has played it, and its
 *   clock (`now`) is the close time of the candle just fed. The simulator itself only knows the
 *   candle being played.
 * - Fills: DESIGN section 5 through `marketFill: 'nextPrice'`: a decision at the close of candle t
 *   fills at the open of t+1 plus slippage; resting limits fill only when the path trades strictly
 *   through them; stop before target inside one candle. Fees and slippage from the config.
 * - The market maker gets one top of book per candle, the simulator's synthetic touch at the close
 *   (src/sim/syntheticBook.ts): its quotes rest and fill only when the next candles' paths trade
 *   through them.
 * - The kill switch (`risk.killSwitchDrawdownPct`) acts as live: the trade it closes carries the exit
 *   reason `killSwitch`, and nothing opens after it (no one runs `resume` in a backtest).
 * - At the end, whatever is still open is closed at the last close (market order, taker fee,
 *   slippage) so that the sum of the trades' PnL equals the equity change; that trade's exit reason
 *   is `endOfData`.
 */
import type { ExitRecord, JournalRecord } from '../domain/journalRecord.js';
import { dec, reportNumber, type Decimal } from '../domain/money.js';
import type { Candle, Instrument } from '../domain/types.js';
import { Engine } from '../engine/engine.js';
import { MemoryJournal, MemoryStore } from '../engine/memoryPorts.js';
import type { EngineAlert, EngineSettings } from '../engine/ports.js';
import { simInstrument } from '../sim/instruments.js';
import { SimExchange } from '../sim/simExchange.js';
import { Simulator } from '../sim/simulator.js';
import type { Strategy } from '../strategies/strategy.js';
import { silentLogger, type Logger } from '../util/logger.js';

export class BacktestError extends Error {
  override name = 'BacktestError';
}

/** Fees and slippage in percent, and the starting balance (config `paper`). */
export interface BacktestCosts {
  readonly startBalanceUsdt: number;
  readonly makerFeePct: number;
  readonly takerFeePct: number;
  readonly slippagePct: number;
}

export interface BacktestInput {
  /** All candles available, ascending; those before the window are warm-up history. */
  readonly candles: readonly Candle[];
  readonly intervalMinutes: number;
  /** Engine settings holding exactly one symbol entry: the one backtested. */
  readonly settings: EngineSettings;
  /** A fresh strategy instance for that symbol (it keeps indicator state). */
  readonly strategy: Strategy;
  readonly costs: BacktestCosts;
  /** First candle of the window (open time, inclusive); default: right after the warm-up. */
  readonly fromMs?: number;
  /** End of the window (open time, exclusive); default: the end of the data. */
  readonly toMs?: number;
  /** Default: derived from the symbol and the first price (src/sim/instruments.ts). */
  readonly instrument?: Instrument;
  readonly logger?: Logger;
}

/** One closed trade, money rounded to 1e-8 (DESIGN section 4). `pnl` is net of `fees`. */
export interface BacktestTrade {
  readonly side: 'long' | 'short';
  readonly entryTs: number;
  readonly entryPrice: number;
  readonly exitTs: number;
  readonly exitPrice: number;
  readonly qty: number;
  readonly fees: number;
  readonly pnl: number;
  readonly exitReason: string;
}

export interface BacktestRun {
  readonly symbol: string;
  readonly strategy: Strategy['name'];
  readonly intervalMinutes: number;
  /** Open time of the first and last candle of the window. */
  readonly fromTs: number;
  readonly toTs: number;
  readonly candles: number;
  readonly warmupCandles: number;
  readonly startEquity: number;
  /** Open time of each window candle. */
  readonly times: Float64Array;
  /** Equity at each window candle's close (1e-8), the curve the metrics are computed from. */
  readonly equity: Float64Array;
  /** Signed position size in base units at each candle's close (long > 0). */
  readonly inventory: Float64Array;
  readonly trades: readonly BacktestTrade[];
  /** Sum of fees paid, exact. */
  readonly fees: Decimal;
  /** Final equity minus starting equity, exact. */
  readonly netPnl: Decimal;
  /** Window candles at whose close a position was open. */
  readonly exposedCandles: number;
  /** Every journal record, for parity checks against paper mode. */
  readonly journal: readonly JournalRecord[];
  /** Protection locks and other warnings the engine raised (e.g. "Entries stopped: drawdown"). */
  readonly notes: readonly string[];
  /** Wall time of the candle loop alone (start-up excluded). */
  readonly loopMs: number;
  readonly wallMs: number;
}

const END_OF_DATA = 'endOfData';

/** Replays the window and returns the equity curve, trades and journal. */
export async function runBacktest(input: BacktestInput): Promise<BacktestRun> {
  const t0 = performance.now();
  const { candles, intervalMinutes, settings, strategy, costs } = input;
  if (settings.symbols.length !== 1) throw new BacktestError(`a backtest runs one symbol, got ${settings.symbols.length}`);
  const sym = settings.symbols[0]!;
  if (sym.intervalMinutes !== intervalMinutes) throw new BacktestError(`${sym.symbol} is configured for ${sym.intervalMinutes}m candles but the data is ${intervalMinutes}m`);
  if (candles.length === 0) throw new BacktestError('no candles to backtest');
  const intervalMs = intervalMinutes * 60_000;
  const symbol = sym.symbol;

  // The engine warms the strategy up on the warmupCandles + 5 closed candles before its first
  // streamed one (src/engine/strategyRunner.ts #warmUpBefore). The default window starts right after exactly
  // that many, so the strategy sees every candle of the file from the first, as `signals` does: with
  // more, the first ones were skipped, and since Wilder's RSI remembers where it started, the
  // backtest's StochRSI crosses could land a candle away from the signals `signals` prints (issue 17).
  const warmNeed = strategy.warmupCandles + 5;
  const start = input.fromMs === undefined ? Math.min(warmNeed, candles.length - 1) : lowerBound(candles, input.fromMs);
  const end = input.toMs === undefined ? candles.length : lowerBound(candles, input.toMs);
  if (start >= end) throw new BacktestError('the window holds no candles (check --from/--to against the data)');
  const history = candles.slice(0, start);
  const notes: string[] = [];
  if (history.length < strategy.warmupCandles) {
    notes.push(`only ${history.length} candle(s) before the window, ${strategy.warmupCandles} needed to warm up: the first signals come later`);
  }

  const sim = new Simulator({
    intervalMs,
    initialBalance: dec(costs.startBalanceUsdt).toFixed(),
    makerFeeRate: dec(costs.makerFeePct).div(100).toFixed(),
    takerFeeRate: dec(costs.takerFeePct).div(100).toFixed(),
    slippageBps: costs.slippagePct * 100,
    defaultLeverage: String(sym.leverage),
    marketFill: 'nextPrice',
  });
  const first = candles[start]!;
  sim.addInstrument(input.instrument ?? simInstrument(symbol, first.open), intervalMs);
  const prev = history.at(-1);
  if (prev) sim.setPrice(symbol, prev.close, prev.ts + intervalMs - 1, prev);
  else sim.setPrice(symbol, first.open, first.ts);

  // Position and wallet as the simulator reports them, kept as numbers for the per-candle curve.
  let flat = true;
  let signedSize = 0;
  let walletNum = costs.startBalanceUsdt;
  sim.onEvent((e) => {
    if (e.kind === 'position') {
      flat = e.position.side === null;
      signedSize = flat ? 0 : (e.position.side === 'buy' ? 1 : -1) * e.position.size.toNumber();
    } else if (e.kind === 'wallet') walletNum = reportNumber(e.wallet.walletBalance);
  });

  const ex = new SimExchange(sim, {
    name: 'backtest',
    history: async (_s, _i, sinceMs, limit) => {
      const from = lowerBound(history, sinceMs);
      return history.slice(Math.max(from, history.length - limit));
    },
    keepCandles: 1,
  });
  const store = new MemoryStore();
  const journal = new MemoryJournal();
  let clock = first.ts;
  const alerts = {
    send(a: EngineAlert): void {
      if (a.kind === 'killSwitch' && a.title === 'Kill switch') notes.push(`${new Date(clock).toISOString().slice(0, 16).replace('T', ' ')} kill switch: ${a.body}`);
      else if (a.title.startsWith('Entries stopped')) notes.push(`${new Date(clock).toISOString().slice(0, 16).replace('T', ' ')} ${a.title.replace('Entries stopped: ', 'entries stopped, ')}: ${a.body}`);
    },
  };
  const engine = new Engine(
    { port: ex, store, journal, alerts, logger: input.logger ?? silentLogger, now: () => clock, strategies: new Map([[symbol, strategy]]) },
    settings,
  );
  await engine.start();

  const maker = sym.strategy === 'maker';
  const n = end - start;
  // Typed arrays: no allocation per candle (the loop is meant to run a million candles a second).
  const times = new Float64Array(n);
  const equity = new Float64Array(n);
  const inventory = new Float64Array(n);
  let exposed = 0;
  const t1 = performance.now();
  for (let i = 0; i < n; i++) {
    const c = candles[start + i]!;
    clock = c.ts + intervalMs;
    ex.feedCandle(symbol, intervalMinutes, c);
    // Most candles need no exchange call: the engine is done before feedCandle returns.
    if (engine.busy) await engine.idle();
    if (maker) {
      const { bid, ask } = sim.touch(symbol);
      ex.feedBookTop({ symbol, bidPrice: bid, bidQty: 1, askPrice: ask, askQty: 1, ts: clock });
      if (engine.busy) await engine.idle();
    }
    if (i === n - 1) await closeAtEnd(engine, sim, symbol, c, clock);
    if (!flat) exposed++;
    times[i] = c.ts;
    equity[i] = flat ? walletNum : reportNumber(sim.equity());
    inventory[i] = signedSize;
  }
  const loopMs = performance.now() - t1;
  await engine.stop();
  await ex.close();

  const exits = journal.records.filter((r): r is ExitRecord => r.type === 'exit');
  const lastTs = candles[end - 1]!.ts;
  const trades = exits.map((e): BacktestTrade => ({
    side: e.side,
    entryTs: e.entryTs,
    entryPrice: Number(e.entryPrice),
    exitTs: e.ts,
    exitPrice: Number(e.exitPrice),
    qty: Number(e.qty),
    fees: Number(e.fees),
    pnl: Number(e.pnl),
    exitReason: e.reason === 'closeAll' && e.ts >= lastTs ? END_OF_DATA : e.reason,
  }));
  const wallet = sim.wallet();
  return {
    symbol,
    strategy: strategy.name,
    intervalMinutes,
    fromTs: first.ts,
    toTs: lastTs,
    candles: n,
    warmupCandles: Math.min(history.length, warmNeed),
    startEquity: costs.startBalanceUsdt,
    times,
    equity,
    inventory,
    trades,
    fees: wallet.feesPaid,
    netPnl: wallet.equity.minus(dec(costs.startBalanceUsdt)),
    exposedCandles: exposed,
    journal: journal.records,
    notes,
    loopMs,
    wallMs: performance.now() - t0,
  };
}

/**
 * After the last candle: cancel the bot's orders and close what is open at that candle's close.
 * The close order is a market order; in 'nextPrice' mode it waits for the next price, which is
 * given as the last close itself (a zero-length move: nothing else can trade on it).
 */
async function closeAtEnd(engine: Engine, sim: Simulator, symbol: string, last: Candle, closeMs: number): Promise<void> {
  const pos = sim.position(symbol);
  if (pos.side === null && sim.openOrders(symbol).length === 0) return;
  await engine.closeAll('end of the backtest data');
  await engine.idle();
  sim.movePrice(symbol, last.close, closeMs - 1);
  await engine.idle();
}

/** Index of the first candle with ts >= t. */
export function lowerBound(candles: readonly Candle[], t: number): number {
  let lo = 0;
  let hi = candles.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (candles[mid]!.ts < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
