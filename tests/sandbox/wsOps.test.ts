/** What a websocket client asks by `op`, and the answers it gets (reference section 2). */
import { describe, expect, it } from 'vitest';
import { signWsAuth } from '../../src/sandbox/auth.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET } from '../../src/sandbox/startSandbox.js';
import { sandboxPerFile } from '../helpers/sandboxPerFile.js';
import { RecordingClient } from './wsClient.js';


const sb = sandboxPerFile();

describe('requests every connection may send', () => {
  it('answers a frame that is not a JSON object, and an unknown op, with Bybit errors', async () => {
    const c = await RecordingClient.open(sb.wsPublicUrl);
    c.ws.send('not json');
    expect(await c.waitFor((m) => m['success'] === false)).toMatchObject({ ret_msg: 'error:json unmarshal failed', op: '' });
    c.ws.send('[1,2]');
    await c.waitFor((m) => m['success'] === false, 5000, 1);
    c.send({ op: 'explode', req_id: 9 });
    expect(await c.waitFor((m) => m['op'] === 'explode')).toMatchObject({ success: false, ret_msg: 'error:invalid op, op:explode', req_id: '9' });
    c.close();
  });

  it('auth on the public stream is an invalid op', async () => {
    const c = await RecordingClient.open(sb.wsPublicUrl);
    c.send({ op: 'auth', args: [] });
    expect(await c.waitFor((m) => m['op'] === 'auth')).toMatchObject({ success: false, ret_msg: 'error:invalid op, op:auth' });
    c.close();
  });
});

describe('subscribe and unsubscribe', () => {
  it('one bad topic fails the whole batch: none of it is subscribed', async () => {
    const c = await RecordingClient.open(sb.wsPublicUrl);
    c.send({ req_id: 'batch', op: 'subscribe', args: ['tickers.BTCUSDT', 'tickers.DOGEUSDT'] });
    expect(await c.waitFor((m) => m['op'] === 'subscribe')).toMatchObject({ success: false, ret_msg: 'error:handler not found,topic:tickers.DOGEUSDT', req_id: 'batch' });
    c.send({ req_id: 'again', op: 'subscribe', args: ['tickers.BTCUSDT'] });
    expect(await c.waitFor((m) => m['req_id'] === 'again'), 'the good topic was not left subscribed').toMatchObject({ success: true });
    c.send({ req_id: 'twice', op: 'subscribe', args: ['tickers.BTCUSDT'] });
    expect(await c.waitFor((m) => m['req_id'] === 'twice')).toMatchObject({ success: false, ret_msg: 'error:already subscribed,topic:tickers.BTCUSDT' });
    c.close();
  });

  it('after unsubscribe nothing more arrives on the topic; subscribing again starts with a fresh snapshot', async () => {
    const c = await RecordingClient.open(sb.wsPublicUrl);
    c.send({ op: 'subscribe', args: ['orderbook.50.BTCUSDT'] });
    await c.waitFor((m) => m['topic'] === 'orderbook.50.BTCUSDT' && m['type'] === 'snapshot');
    c.send({ req_id: 'u', op: 'unsubscribe', args: ['orderbook.50.BTCUSDT'] });
    expect(await c.waitFor((m) => m['op'] === 'unsubscribe')).toMatchObject({ success: true, ret_msg: '', req_id: 'u' });
    const mark = c.messages.length;
    sb.step(5);
    c.send({ req_id: 'sync', op: 'ping' });
    await c.waitFor((m) => m['req_id'] === 'sync');
    expect(c.messages.slice(mark).filter((m) => m['topic'] === 'orderbook.50.BTCUSDT')).toEqual([]);
    c.send({ op: 'subscribe', args: ['orderbook.50.BTCUSDT'] });
    const snap = await c.waitFor((m) => m['topic'] === 'orderbook.50.BTCUSDT', 5000, mark);
    expect(snap['type']).toBe('snapshot');
    const rest = (await (await fetch(`${sb.restUrl}/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50`)).json()) as { result: { b: unknown; a: unknown } };
    const data = snap['data'] as { b: unknown; a: unknown };
    expect(data.b, 'the snapshot is the book now, not the one left behind').toEqual(rest.result.b);
    expect(data.a).toEqual(rest.result.a);
    c.close();
  });
});

describe('private auth', () => {
  it('refuses a second auth on the same connection', async () => {
    const c = await RecordingClient.open(sb.wsPrivateUrl);
    const expires = sb.nowMs() + 10_000;
    const args = [DEFAULT_API_KEY, expires, signWsAuth(DEFAULT_API_SECRET, expires)];
    c.send({ req_id: 'a1', op: 'auth', args });
    expect(await c.waitFor((m) => m['req_id'] === 'a1')).toMatchObject({ success: true });
    c.send({ req_id: 'a2', op: 'auth', args });
    expect(await c.waitFor((m) => m['req_id'] === 'a2')).toMatchObject({ success: false, ret_msg: 'Repeat auth', op: 'auth' });
    c.send({ req_id: 's', op: 'subscribe', args: ['tickers.BTCUSDT'] });
    expect(await c.waitFor((m) => m['req_id'] === 's'), 'public topics are not served on the private stream').toMatchObject({ success: false, ret_msg: 'error:handler not found,topic:tickers.BTCUSDT' });
    c.close();
  });
});
