/**
 * The public market endpoints (reference section 3, and instruments-info as ccxt's loadMarkets calls
 * it, section 5): server time, instruments, klines, order book and tickers, all unsigned.
 */
import type { Replay } from '../sim/replay.js';
import type { Simulator } from '../sim/simulator.js';
import { KLINE_INTERVALS, type MarketData } from './marketData.js';
import { ParamError, int, linear, need, page, str } from './restParams.js';
import type { RouteTable } from './routeTable.js';
import type { AccountSettings } from './accountSettings.js';
import { wireInstrument, wireKlineRow } from './wire.js';

export interface MarketRouteContext {
  readonly sim: Simulator;
  readonly replay: Replay;
  readonly market: MarketData;
  readonly nowMs: () => number;
  readonly account: AccountSettings;
}

/** The `launchTime` every instrument reports: a fixed date, so answers do not depend on the run. */
const LAUNCH_MS = 1_585_526_400_000;

export function marketRoutes(routes: RouteTable, ctx: MarketRouteContext): void {
  const sim = ctx.sim;

  routes.get('/v5/market/time', false, () => {
    const now = ctx.nowMs();
    return { timeSecond: String(Math.floor(now / 1000)), timeNano: `${now}000000` };
  });

  routes.get('/v5/market/instruments-info', false, (p) => {
    const category = str(p, 'category');
    if (category === undefined) throw new ParamError('params error: category is empty');
    if (!['linear', 'inverse', 'spot', 'option'].includes(category)) throw new ParamError('Illegal category');
    // The replayed symbols (Trading unless a test set another status), then the listed-only rows as
    // recorded. Without `status`, a listing answers Trading symbols only (PreLaunch ones need
    // status=PreLaunch, as ccxt's market loading asks); a look-up of one `symbol` answers it in any
    // status, so the bot can say why it will not trade it (not documented by Bybit: an assumption).
    let list: Record<string, unknown>[] = category === 'linear' ? sim.symbols().map((s) => wireInstrument(sim.instrument(s), LAUNCH_MS, ctx.account.instrumentStatus.get(s))) : [];
    if (category === 'linear') list.push(...ctx.market.listedInstruments);
    const status = str(p, 'status') ?? (str(p, 'symbol') === undefined ? 'Trading' : undefined);
    if (status !== undefined) list = list.filter((i) => i['status'] === status);
    const symbol = str(p, 'symbol');
    if (symbol !== undefined) list = list.filter((i) => i['symbol'] === symbol);
    const baseCoin = str(p, 'baseCoin');
    if (baseCoin !== undefined) list = list.filter((i) => i['baseCoin'] === baseCoin);
    const pg = page(list, p, 500, 1000);
    return { category, list: pg.list, nextPageCursor: pg.nextPageCursor };
  });

  routes.get('/v5/market/kline', false, (p) => {
    const category = str(p, 'category') ?? 'linear';
    if (category !== 'linear') throw new ParamError('Illegal category');
    const symbol = need(p, 'symbol');
    if (!sim.hasSymbol(symbol)) throw new ParamError('Not supported symbols');
    const interval = need(p, 'interval');
    const minutes = KLINE_INTERVALS[interval];
    if (minutes === undefined) throw new ParamError('Invalid period!');
    const all = ctx.market.klines(symbol, minutes);
    if (all === null) throw new ParamError(`Invalid period! the sandbox builds klines from ${ctx.replay.intervalMs(symbol) / 60_000}m data`);
    const limit = int(p, 'limit', 200, 1, 1000);
    const start = str(p, 'start') === undefined ? -Infinity : int(p, 'start', 0, 0, Number.MAX_SAFE_INTEGER);
    const end = str(p, 'end') === undefined ? Infinity : int(p, 'end', 0, 0, Number.MAX_SAFE_INTEGER);
    const inRange = all.filter((c) => c.ts >= start && c.ts <= end);
    // With only `start`, the candles right after it; otherwise the newest ones up to `end`.
    const chosen = Number.isFinite(start) && !Number.isFinite(end) ? inRange.slice(0, limit) : inRange.slice(-limit);
    return { category, symbol, list: chosen.reverse().map(wireKlineRow) };
  });

  routes.get('/v5/market/orderbook', false, (p) => {
    linear(p);
    const symbol = need(p, 'symbol');
    if (!sim.hasSymbol(symbol)) throw new ParamError('Not supported symbols');
    const limit = int(p, 'limit', 25, 1, 500);
    const b = ctx.market.book(symbol, limit);
    return { s: symbol, b: b.bids, a: b.asks, ts: ctx.nowMs(), u: ctx.market.updateId(symbol), seq: ctx.market.seq(), cts: sim.lastTs(symbol) };
  });

  routes.get('/v5/market/tickers', false, (p) => {
    linear(p);
    const symbol = str(p, 'symbol');
    const listed = symbol !== undefined ? ctx.market.listedTicker(symbol) : undefined;
    if (listed !== undefined) return { category: 'linear', list: [listed] };
    if (symbol !== undefined && !sim.hasSymbol(symbol)) throw new ParamError('Not supported symbols');
    const symbols = symbol !== undefined ? [symbol] : sim.symbols();
    const list = symbols.map((s) => ctx.market.ticker(s, ctx.nowMs()));
    return { category: 'linear', list: symbol !== undefined ? list : [...list, ...ctx.market.listedTickers] };
  });
}
