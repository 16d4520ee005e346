/**
 * One backtest window played candle by candle (src/backtest/runBacktest.ts streams the candles in):
 * the simulator and the engine are set up at the window's first candle, warmed up on the candles
 * just before it, and the equity curve is kept as the candles pass, in blocks that cost little while
 * it is flat (src/backtest/curveValues.ts, issue 21).
 */
import type { ExitRecord } from '../domain/journalRecord.js';
import { dec, reportNumber } from '../domain/money.js';
import type { Candle } from '../domain/types.js';
import { Engine } from '../engine/engine.js';
import { MemoryJournal, MemoryStore } from '../engine/memoryPorts.js';
import type { EngineAlert } from '../engine/ports.js';
import { simInstrument } from '../sim/instruments.js';
import { SimExchange } from '../sim/simExchange.js';
import { Simulator } from '../sim/simulator.js';
import { silentLogger } from '../util/logger.js';
import type { BacktestInput, BacktestRun, BacktestTrade } from './backtestRun.js';
import type { RecentCandles } from './candleSource.js';
import { CandleTimes } from './candleTimes.js';
import { CurveValues } from './curveValues.js';

const END_OF_DATA = 'endOfData';

export interface Replay {
  /** Plays one window candle; `last` closes what is open at its close. A promise only when the engine has work left. */
  play(c: Candle, last: boolean): Promise<void> | undefined;
  finish(t0: number): Promise<BacktestRun>;
}

/** Sets the simulator and the engine up at the window's first candle, warmed up on `recent`. */
export async function startReplay(input: BacktestInput, recent: RecentCandles, first: Candle, warmNeed: number): Promise<Replay> {
  const { intervalMinutes, settings, strategy, costs } = input;
  const sym = settings.symbols[0]!;
  const symbol = sym.symbol;
  const intervalMs = intervalMinutes * 60_000;
  const history = recent.held();
  const notes: string[] = [];
  if (recent.seen < strategy.warmupCandles) {
    notes.push(`only ${recent.seen} candle(s) before the window, ${strategy.warmupCandles} needed to warm up: the first signals come later`);
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
  sim.addInstrument(input.instrument ?? simInstrument(symbol, first.open), intervalMs);
  const prev = history.at(-1);
  if (prev) sim.setPrice(symbol, prev.close, prev.ts + intervalMs - 1, prev);
  else sim.setPrice(symbol, first.open, first.ts);

  // Position and wallet as the simulator reports them, kept as numbers for the per-candle curve
  // (the signed size only for the maker, whose inventory is reported).
  const maker = sym.strategy === 'maker';
  let flat = true;
  let signedSize = 0;
  let walletNum = costs.startBalanceUsdt;
  sim.onEvent((e) => {
    if (e.kind === 'position') {
      flat = e.position.side === null;
      if (maker) signedSize = flat ? 0 : (e.position.side === 'buy' ? 1 : -1) * e.position.size.toNumber();
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
  const journal = new MemoryJournal({ immediate: true });
  // Market time now (the engine's clock) and the newest candle played. Fields of an object, not
  // `let`s the closures share: a double stored in a shared variable is boxed at every candle.
  const at = { clock: first.ts, lastTs: first.ts };
  const alerts = {
    send(a: EngineAlert): void {
      if (a.kind === 'killSwitch' && a.title === 'Kill switch') notes.push(`${new Date(at.clock).toISOString().slice(0, 16).replace('T', ' ')} kill switch: ${a.body}`);
      else if (a.title.startsWith('Entries stopped')) notes.push(`${new Date(at.clock).toISOString().slice(0, 16).replace('T', ' ')} ${a.title.replace('Entries stopped: ', 'entries stopped, ')}: ${a.body}`);
    },
  };
  const engine = new Engine(
    { port: ex, store, journal, alerts, logger: input.logger ?? silentLogger, now: () => at.clock, strategies: new Map([[symbol, strategy]]), historyLimit: 16 },
    settings,
  );
  await engine.start();

  // No allocation per candle (the loop is meant to run a million candles a second), and nothing
  // held for candles not yet played. Only the maker reports inventory.
  const times = new CandleTimes(intervalMs);
  const equity = new CurveValues();
  const inventory = new CurveValues();
  let n = 0;
  let exposed = 0;
  const record = (c: Candle): void => {
    if (!flat) exposed++;
    times.push(c.ts);
    equity.push(flat ? walletNum : sim.equityReport());
    if (maker) inventory.push(signedSize);
    n++;
    at.lastTs = c.ts;
  };
  const settle = async (c: Candle, last: boolean): Promise<void> => {
    if (engine.busy) await engine.idle();
    if (maker) {
      const { bid, ask } = sim.touch(symbol);
      ex.feedBookTop({ symbol, bidPrice: bid, bidQty: 1, askPrice: ask, askQty: 1, ts: at.clock });
      if (engine.busy) await engine.idle();
    }
    if (last) await closeAtEnd(engine, sim, symbol, c, at.clock);
    record(c);
  };
  const t1 = performance.now();
  return {
    play(c, last) {
      at.clock = c.ts + intervalMs;
      ex.feedCandle(symbol, intervalMinutes, c);
      // Most candles need no exchange call: the engine is done before feedCandle returns, and the
      // candle is recorded without a promise (the loop is meant to run a million candles a second).
      if (engine.busy || maker || last) return settle(c, last);
      record(c);
      return undefined;
    },
    async finish(t0) {
      const loopMs = performance.now() - t1;
      await engine.stop();
      await ex.close();
      const exits = journal.records.filter((r): r is ExitRecord => r.type === 'exit');
      const trades = exits.map((e): BacktestTrade => ({
        side: e.side,
        entryTs: e.entryTs,
        entryPrice: Number(e.entryPrice),
        exitTs: e.ts,
        exitPrice: Number(e.exitPrice),
        qty: Number(e.qty),
        fees: Number(e.fees),
        pnl: Number(e.pnl),
        exitReason: e.reason === 'closeAll' && e.ts >= at.lastTs ? END_OF_DATA : e.reason,
      }));
      const wallet = sim.wallet();
      return {
        symbol,
        strategy: strategy.name,
        intervalMinutes,
        fromTs: first.ts,
        toTs: at.lastTs,
        candles: n,
        warmupCandles: Math.min(recent.seen, warmNeed),
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
    },
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
