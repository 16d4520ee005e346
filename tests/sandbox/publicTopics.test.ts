/**
 * Public topics and their fan-out: one message per tick and topic, the same for every subscriber;
 * level 1 books are snapshots only; ticker deltas carry only what changed.
 */
import { describe, expect, it } from 'vitest';
import { sandboxPerFile } from '../helpers/sandboxPerFile.js';
import { type Msg, RecordingClient } from './wsClient.js';


const sb = sandboxPerFile(['BTCUSDT', 'ETHUSDT']);

/** Every frame sent before this pong has arrived (one connection's frames stay in order). */
async function sync(c: RecordingClient, id: string): Promise<void> {
  c.send({ req_id: id, op: 'ping' });
  await c.waitFor((m) => m['req_id'] === id);
}

const on = (c: RecordingClient, topic: string, from = 0): Msg[] => c.messages.slice(from).filter((m) => m['topic'] === topic);

describe('fan-out', () => {
  it('two subscribers of a topic get the same messages; one leaving does not disturb the other', async () => {
    const a = await RecordingClient.open(sb.wsPublicUrl);
    const b = await RecordingClient.open(sb.wsPublicUrl);
    for (const c of [a, b]) {
      c.send({ op: 'subscribe', args: ['orderbook.50.ETHUSDT', 'publicTrade.ETHUSDT'] });
      await c.waitFor((m) => m['topic'] === 'orderbook.50.ETHUSDT');
    }
    const fromA = a.messages.length;
    const fromB = b.messages.length;
    const sentBefore = sb.wsMessagesSent();
    sb.step(4);
    await sync(a, 'a1');
    await sync(b, 'b1');
    const tradesA = on(a, 'publicTrade.ETHUSDT', fromA);
    expect(tradesA.length, 'one trade message per tick').toBe(4);
    expect(on(b, 'publicTrade.ETHUSDT', fromB), 'built once, sent to both').toEqual(tradesA);
    expect(on(b, 'orderbook.50.ETHUSDT', fromB)).toEqual(on(a, 'orderbook.50.ETHUSDT', fromA));
    const perTick = on(a, 'orderbook.50.ETHUSDT', fromA).length + tradesA.length;
    expect(sb.wsMessagesSent() - sentBefore, 'each message counted once per subscriber, plus the two pongs').toBe(2 * perTick + 2);
    a.close();
    await a.waitClosed();
    const fromB2 = b.messages.length;
    sb.step(2);
    await sync(b, 'b2');
    expect(on(b, 'publicTrade.ETHUSDT', fromB2).length).toBe(2);
    b.close();
  });

  it('a tick of one symbol goes to that symbol’s topics only', async () => {
    const c = await RecordingClient.open(sb.wsPublicUrl);
    c.send({ op: 'subscribe', args: ['publicTrade.BTCUSDT', 'publicTrade.ETHUSDT'] });
    await c.waitFor((m) => m['op'] === 'subscribe');
    const from = c.messages.length;
    sb.step(6);
    await sync(c, 's');
    const trades = c.messages.slice(from).filter((m) => typeof m['topic'] === 'string');
    for (const m of trades) expect((m['data'] as Array<{ s: string }>)[0]!.s, String(m['topic'])).toBe(String(m['topic']).split('.')[1]);
    expect(on(c, 'publicTrade.BTCUSDT', from).length, 'a step plays one tick of every symbol').toBe(6);
    expect(on(c, 'publicTrade.ETHUSDT', from).length).toBe(6);
    c.close();
  });
});

describe('topic messages', () => {
  it('a level 1 book is a snapshot on every tick; deeper books send deltas', async () => {
    const c = await RecordingClient.open(sb.wsPublicUrl);
    c.send({ op: 'subscribe', args: ['orderbook.1.BTCUSDT', 'orderbook.200.BTCUSDT'] });
    await c.waitFor((m) => m['topic'] === 'orderbook.200.BTCUSDT');
    const from = c.messages.length;
    sb.step(6);
    await sync(c, 's');
    const l1 = on(c, 'orderbook.1.BTCUSDT', from);
    expect(l1.length).toBeGreaterThan(0);
    expect(l1.every((m) => m['type'] === 'snapshot')).toBe(true);
    for (const m of l1) expect((m['data'] as { b: unknown[] }).b.length).toBeLessThanOrEqual(1);
    expect(on(c, 'orderbook.200.BTCUSDT', from).every((m) => m['type'] === 'delta')).toBe(true);
    c.close();
  });

  it('ticker deltas carry the symbol and only the fields that changed', async () => {
    const c = await RecordingClient.open(sb.wsPublicUrl);
    c.send({ op: 'subscribe', args: ['tickers.BTCUSDT'] });
    const snap = await c.waitFor((m) => m['topic'] === 'tickers.BTCUSDT');
    expect(snap['type']).toBe('snapshot');
    const state: Record<string, string> = { ...(snap['data'] as Record<string, string>) };
    const from = c.messages.length;
    sb.step(8);
    await sync(c, 's');
    const deltas = on(c, 'tickers.BTCUSDT', from);
    expect(deltas.length).toBeGreaterThan(0);
    for (const d of deltas) {
      expect(d['type']).toBe('delta');
      const data = d['data'] as Record<string, string>;
      expect(data['symbol']).toBe('BTCUSDT');
      for (const [k, v] of Object.entries(data)) if (k !== 'symbol') expect(v, `${k} is sent only when it changed`).not.toBe(state[k]);
      Object.assign(state, data);
    }
    const rest = (await (await fetch(`${sb.restUrl}/v5/market/tickers?category=linear&symbol=BTCUSDT`)).json()) as { result: { list: Array<Record<string, string>> } };
    expect(state['lastPrice'], 'snapshot plus deltas give the current ticker').toBe(rest.result.list[0]!['lastPrice']);
    c.close();
  });
});
