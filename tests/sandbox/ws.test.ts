/**
 * Plain `ws` clients against the sandbox's websocket side (issue 3, "Done when"): public book
 * snapshot + deltas rebuild the REST book, klines confirm with the file's values, private auth with
 * the documented signature, and order/execution/position pushes for a fill.
 */
import { describe, expect, it } from 'vitest';
import { signWsAuth } from '../../src/sandbox/auth.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET } from '../../src/sandbox/startSandbox.js';
import { sandboxPerFile } from '../helpers/sandboxPerFile.js';
import { type Msg, RecordingClient, signedCall } from './wsClient.js';


const sb = sandboxPerFile();

type Level = [string, string];

function applyLevels(side: Map<string, string>, levels: Level[]): void {
  for (const [p, s] of levels) {
    if (s === '0') side.delete(p);
    else side.set(p, s);
  }
}

describe('public websocket', () => {
  it('book snapshot + deltas rebuild the REST book of the same depth', async () => {
    const c = await RecordingClient.open(sb.wsPublicUrl);
    c.send({ req_id: 'b1', op: 'subscribe', args: ['orderbook.50.BTCUSDT'] });
    const ack = await c.waitFor((m) => m['op'] === 'subscribe');
    expect(ack).toMatchObject({ success: true, ret_msg: '', req_id: 'b1', op: 'subscribe' });
    const snap = await c.waitFor((m) => m['type'] === 'snapshot');
    const bids = new Map<string, string>();
    const asks = new Map<string, string>();
    const data0 = snap['data'] as { b: Level[]; a: Level[]; u: number };
    applyLevels(bids, data0.b);
    applyLevels(asks, data0.a);
    sb.step(7);
    const rest = (await (await fetch(`${sb.restUrl}/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50`)).json()) as { result: { b: Level[]; a: Level[]; u: number } };
    await c.waitFor((m) => m['type'] === 'delta' && (m['data'] as { u: number }).u === rest.result.u);
    const deltas = c.messages.filter((m) => m['type'] === 'delta');
    expect(deltas.length).toBe(7);
    let prevU = data0.u;
    for (const d of deltas) {
      const data = d['data'] as { b: Level[]; a: Level[]; u: number; seq: number };
      expect(data.u, 'u increases by one per update').toBe(prevU + 1);
      prevU = data.u;
      applyLevels(bids, data.b);
      applyLevels(asks, data.a);
    }
    const sortedBids = [...bids].sort((x, y) => Number(y[0]) - Number(x[0]));
    const sortedAsks = [...asks].sort((x, y) => Number(x[0]) - Number(y[0]));
    expect(sortedBids).toEqual(rest.result.b);
    expect(sortedAsks).toEqual(rest.result.a);
    expect(Number(sortedBids[0]![0]), 'not crossed').toBeLessThan(Number(sortedAsks[0]![0]));
    c.close();
  });

  it('klines confirm with the candle file values; trades and tickers flow', async () => {
    const c = await RecordingClient.open(sb.wsPublicUrl);
    c.send({ op: 'subscribe', args: ['kline.1.BTCUSDT', 'publicTrade.BTCUSDT', 'tickers.BTCUSDT', 'kline.5.BTCUSDT'] });
    await c.waitFor((m) => m['op'] === 'subscribe');
    await c.waitFor((m) => m['topic'] === 'tickers.BTCUSDT' && m['type'] === 'snapshot');
    sb.advanceCandles(6);
    const closed = sb.confirmedCandles('BTCUSDT');
    const newest = closed[closed.length - 1]!.ts;
    // Messages arrive in order: once the newest candle's confirm is here, all six are.
    await c.waitFor((m) => m['topic'] === 'kline.1.BTCUSDT' && (m['data'] as Array<{ confirm: boolean; start: number }>)[0]!.confirm && (m['data'] as Array<{ start: number }>)[0]!.start === newest);
    const confirmed = await c.waitFor((m) => m['topic'] === 'kline.1.BTCUSDT' && (m['data'] as Array<{ confirm: boolean }>)[0]!.confirm);
    const k = (confirmed['data'] as Array<Record<string, unknown>>)[0]!;
    const file = sb.confirmedCandles('BTCUSDT').find((x) => x.ts === k['start'])!;
    expect(k).toMatchObject({ interval: '1', open: String(file.open), high: String(file.high), low: String(file.low), close: String(file.close), end: file.ts + 59_999 });
    const all1 = c.messages.filter((m) => m['topic'] === 'kline.1.BTCUSDT');
    expect(all1.filter((m) => (m['data'] as Array<{ confirm: boolean }>)[0]!.confirm).length, 'one confirm per candle').toBe(6);
    await c.waitFor((m) => m['topic'] === 'publicTrade.BTCUSDT');
    await c.waitFor((m) => m['topic'] === 'tickers.BTCUSDT' && m['type'] === 'delta');
    await c.waitFor((m) => m['topic'] === 'kline.5.BTCUSDT' && (m['data'] as Array<{ confirm: boolean }>)[0]!.confirm);
    const five = c.messages.filter((m) => m['topic'] === 'kline.5.BTCUSDT' && (m['data'] as Array<{ confirm: boolean }>)[0]!.confirm);
    expect(five.length, 'six 1m candles close at least one 5m candle').toBeGreaterThanOrEqual(1);
    c.close();
  });

  it('answers ping with the public pong and an unknown topic with the handler error', async () => {
    const c = await RecordingClient.open(sb.wsPublicUrl);
    c.send({ req_id: '7', op: 'ping' });
    const pong = await c.waitFor((m) => m['op'] === 'ping');
    expect(pong).toMatchObject({ success: true, ret_msg: 'pong', req_id: '7', op: 'ping' });
    expect(typeof pong['conn_id']).toBe('string');
    c.send({ req_id: 'x', op: 'subscribe', args: ['orderbook.50.BTCUSDT', 'orderbook.7.BTCUSDT'] });
    const err = await c.waitFor((m) => m['op'] === 'subscribe');
    expect(err).toMatchObject({ success: false, ret_msg: 'error:handler not found,topic:orderbook.7.BTCUSDT', req_id: 'x' });
    c.close();
  });
});

describe('private websocket', () => {
  it('refuses a bad signature and subscriptions before auth', async () => {
    const c = await RecordingClient.open(sb.wsPrivateUrl);
    c.send({ op: 'subscribe', args: ['order'] });
    expect(await c.waitFor((m) => m['op'] === 'subscribe')).toMatchObject({ success: false, ret_msg: 'Request not authorized' });
    const expires = sb.nowMs() + 10_000;
    c.send({ req_id: 'a', op: 'auth', args: [DEFAULT_API_KEY, expires, signWsAuth('wrong-secret', expires)] });
    expect(await c.waitFor((m) => m['op'] === 'auth')).toMatchObject({ success: false, op: 'auth' });
    c.close();
  });

  it('refuses an expired auth with "Params Error"', async () => {
    const c = await RecordingClient.open(sb.wsPrivateUrl);
    const expires = sb.nowMs() - 1000;
    c.send({ op: 'auth', args: [DEFAULT_API_KEY, String(expires), signWsAuth(DEFAULT_API_SECRET, expires)] });
    expect(await c.waitFor((m) => m['op'] === 'auth')).toMatchObject({ success: false, ret_msg: 'Params Error' });
    c.close();
  });

  it('authenticates with the documented signature and pushes order, execution, position and wallet for a fill', async () => {
    const c = await RecordingClient.open(sb.wsPrivateUrl);
    // ccxt sends expires as a string, the docs as a number: the sandbox takes both (reference section 2).
    const expires = String(sb.nowMs() + 10_000);
    c.send({ req_id: 'auth-1', op: 'auth', args: [DEFAULT_API_KEY, expires, signWsAuth(DEFAULT_API_SECRET, expires)] });
    expect(await c.waitFor((m) => m['op'] === 'auth')).toMatchObject({ success: true, ret_msg: '', op: 'auth', req_id: 'auth-1' });
    c.send({ req_id: 'p', op: 'ping' });
    const pong = await c.waitFor((m) => m['op'] === 'pong');
    expect(pong['req_id']).toBe('p');
    expect((pong['args'] as string[])[0]).toMatch(/^\d{13}$/);
    c.send({ op: 'subscribe', args: ['order', 'execution', 'position', 'wallet'] });
    await c.waitFor((m) => m['op'] === 'subscribe' && m['success'] === true);
    const r = await signedCall(sb.restUrl, 'POST', '/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.002', orderLinkId: 'ws-push-1' });
    expect(r.json['retCode']).toBe(0);
    const order = await c.waitFor((m) => m['topic'] === 'order' && (m['data'] as Msg[])[0]!['orderStatus'] === 'Filled');
    expect((order['data'] as Msg[])[0]).toMatchObject({ orderLinkId: 'ws-push-1', side: 'Buy', orderType: 'Market', cumExecQty: '0.002', leavesQty: '0.000', category: 'linear' });
    expect(typeof order['creationTime']).toBe('number');
    const exec = await c.waitFor((m) => m['topic'] === 'execution');
    expect((exec['data'] as Msg[])[0]).toMatchObject({ orderLinkId: 'ws-push-1', execQty: '0.002', isMaker: false, execType: 'Trade' });
    const pos = await c.waitFor((m) => m['topic'] === 'position');
    expect((pos['data'] as Msg[])[0]).toMatchObject({ symbol: 'BTCUSDT', side: 'Buy', size: '0.002', positionIdx: 0 });
    await c.waitFor((m) => m['topic'] === 'wallet');
    // Stop loss set through trading-stop shows up in a position push too.
    const sl = (Math.floor(sb.sim.lastPrice('BTCUSDT') * 0.97 * 10) / 10).toFixed(1);
    const ts = await signedCall(sb.restUrl, 'POST', '/v5/position/trading-stop', { category: 'linear', symbol: 'BTCUSDT', stopLoss: sl, tpslMode: 'Full', positionIdx: 0 });
    expect(ts.json['retCode']).toBe(0);
    await c.waitFor((m) => m['topic'] === 'position' && (m['data'] as Msg[])[0]!['stopLoss'] === sl);
    c.close();
  });
});
