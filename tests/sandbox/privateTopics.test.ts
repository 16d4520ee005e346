/** Private pushes: every topic name a client subscribed to, bare or `.linear`, gets each change once. */
import { describe, expect, it } from 'vitest';
import { authedPrivateClient, sandboxPerFile } from '../helpers/sandboxPerFile.js';
import { type Msg, signedCall } from './wsClient.js';


const sb = sandboxPerFile();

const buy = (orderLinkId: string): Promise<unknown> => signedCall(sb.restUrl, 'POST', '/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.001', orderLinkId });

describe('private pushes', () => {
  it('with no private subscriber, a fill sends nothing', async () => {
    const before = sb.wsMessagesSent();
    await buy('quiet-1');
    expect(sb.wsMessagesSent()).toBe(before);
  });

  it('`order` and `order.linear` each get the push, with their own ids; `execution.linear` gets the fill', async () => {
    const c = await authedPrivateClient(sb);
    c.send({ req_id: 'sub', op: 'subscribe', args: ['order', 'order.linear', 'execution.linear'] });
    expect(await c.waitFor((m) => m['req_id'] === 'sub')).toMatchObject({ success: true });
    await buy('loud-1');
    const bare = await c.waitFor((m) => m['topic'] === 'order' && (m['data'] as Msg[])[0]!['orderStatus'] === 'Filled');
    const linear = await c.waitFor((m) => m['topic'] === 'order.linear' && (m['data'] as Msg[])[0]!['orderStatus'] === 'Filled');
    expect(linear['data']).toEqual(bare['data']);
    expect(linear['creationTime']).toBe(bare['creationTime']);
    expect(linear['id']).not.toBe(bare['id']);
    const exec = await c.waitFor((m) => m['topic'] === 'execution.linear');
    expect((exec['data'] as Msg[])[0]).toMatchObject({ orderLinkId: 'loud-1', execQty: '0.001', category: 'linear' });
    expect(c.messages.some((m) => m['topic'] === 'execution' || m['topic'] === 'position' || m['topic'] === 'wallet'), 'only the topics asked for').toBe(false);
    const ids = c.messages.filter((m) => typeof m['id'] === 'string').map((m) => m['id']);
    expect(new Set(ids).size, 'push ids are unique').toBe(ids.length);
    c.close();
  });
});
