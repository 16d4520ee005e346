/**
 * The self-healing connection against a real loopback `ws` server (STYLE point 9: bybit-api has no
 * such tests). Intervals are shortened so each case takes well under a second.
 */
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamHealth } from '../../../src/engine/exchangePort.js';
import { WsConnection } from '../../../src/exchange/bybit/wsConnection.js';
import type { WsTiming } from '../../../src/exchange/bybit/wsTiming.js';
import { startFakeBybitWs, until, type FakeBybitWs } from './fakeBybitWs.js';

const FAST: Partial<WsTiming> = {
  pingIntervalMs: 50,
  pongTimeoutMs: 80,
  connectTimeoutMs: 1000,
  authTimeoutMs: 300,
  backoff: { baseMs: 20, maxMs: 200, minMs: 5 },
  healthyResetMs: 10_000,
};

let server: FakeBybitWs;
let conns: WsConnection[] = [];

beforeEach(async () => {
  server = await startFakeBybitWs();
});

afterEach(async () => {
  await Promise.all(conns.map((c) => c.close()));
  conns = [];
  await server.close();
});

function connect(extra: { timing?: Partial<WsTiming>; auth?: () => Record<string, unknown>; random?: () => number } = {}) {
  const data: Record<string, unknown>[] = [];
  const health: [StreamHealth, string][] = [];
  const authFailures: string[] = [];
  const conn = new WsConnection(
    { name: 'test', url: server.url, timing: { ...FAST, ...extra.timing }, ...(extra.auth ? { auth: extra.auth } : {}), random: extra.random ?? (() => 0.5) },
    { onData: (m) => data.push(m), onHealth: (h, d) => health.push([h, d]), onAuthFailed: (m) => authFailures.push(m) },
  );
  conns.push(conn);
  return { conn, data, health, authFailures };
}

function subscribedTopics(frames: readonly Record<string, unknown>[]): string[] {
  return frames.filter((f) => f['op'] === 'subscribe').flatMap((f) => f['args'] as string[]);
}

describe('WsConnection', () => {
  it('subscribes the wanted topics on open, and again on every reconnect', async () => {
    const { conn, health } = connect();
    conn.subscribe(['kline.1.BTCUSDT', 'orderbook.50.BTCUSDT']);
    conn.start();
    await server.waitForConnections(1);
    await until(() => subscribedTopics(server.connections[0]!.frames).length === 2, 'first subscribe');
    conn.subscribe(['kline.1.ETHUSDT']);
    await until(() => subscribedTopics(server.connections[0]!.frames).length === 3, 'a topic added while open');
    server.dropAll();
    await server.waitForConnections(2);
    await until(() => subscribedTopics(server.connections[1]!.frames).length === 3, 'resubscribe');
    expect(subscribedTopics(server.connections[1]!.frames).sort()).toEqual(['kline.1.BTCUSDT', 'kline.1.ETHUSDT', 'orderbook.50.BTCUSDT']);
    expect(health.map(([h]) => h)).toContain('reconnecting');
    await until(() => conn.health === 'open', 'healthy again');
    expect(conn.counters.reconnects).toBe(1);
  });

  it('reconnects with growing, jittered delays while the server keeps dropping it', async () => {
    // The server accepts and immediately drops: attempts should spread out as base·2^n (random = 1).
    server.onSubscribe = null;
    const accepted: number[] = [];
    const { conn } = connect({ random: () => 0.999, timing: { backoff: { baseMs: 30, maxMs: 240, minMs: 1 } } });
    conn.subscribe(['kline.1.BTCUSDT']);
    const timer = setInterval(() => {
      for (const c of server.connections) {
        if (c.socket.readyState === c.socket.OPEN) {
          accepted.push(Date.now());
          c.socket.terminate();
        }
      }
    }, 1);
    conn.start();
    try {
      await until(() => accepted.length >= 5, 'five attempts', 5000);
    } finally {
      clearInterval(timer);
    }
    const gaps = accepted.slice(1).map((t, i) => t - accepted[i]!);
    // Delays were 30, 60, 120, 240 ms (capped); allow the loop's scheduling slack above, none below.
    expect(gaps[0]!).toBeGreaterThanOrEqual(28);
    expect(gaps[1]!).toBeGreaterThanOrEqual(58);
    expect(gaps[2]!).toBeGreaterThanOrEqual(118);
    expect(gaps[3]!).toBeGreaterThanOrEqual(235);
    expect(gaps[3]!, 'capped at maxMs (generous: a loaded machine runs timers late)').toBeLessThan(1000);
  });

  it('drops a connection whose pongs stop, then reconnects', async () => {
    const { conn, health } = connect();
    conn.subscribe(['kline.1.BTCUSDT']);
    conn.start();
    await server.waitForConnections(1);
    await until(() => conn.health === 'open', 'open');
    server.answerPings = false;
    await server.waitForConnections(2, 2000);
    expect(conn.counters.pongTimeouts).toBeGreaterThanOrEqual(1);
    expect(health.some(([h, d]) => h === 'stale' && d.includes('no pong'))).toBe(true);
    server.answerPings = true;
    await until(() => conn.health === 'open', 'open again after pongs resume');
  });

  it('declares a stream that pongs but sends no data stale after its deadline', async () => {
    const { conn } = connect({ timing: { dataStaleAfterMs: 150 } });
    conn.subscribe(['kline.1.BTCUSDT']);
    conn.start();
    await server.waitForConnections(2, 3000);
    expect(conn.counters.staleDrops).toBeGreaterThanOrEqual(1);
  });

  it('delivers topic messages and treats ping answers as control traffic', async () => {
    const { conn, data } = connect();
    conn.subscribe(['kline.1.BTCUSDT']);
    conn.start();
    await until(() => conn.health === 'open', 'open');
    server.broadcast({ topic: 'kline.1.BTCUSDT', type: 'snapshot', ts: 1, data: [] });
    await until(() => data.length === 1, 'a data message');
    expect(data[0]!['topic']).toBe('kline.1.BTCUSDT');
  });

  it('does not reconnect after an intentional close', async () => {
    const { conn, health } = connect();
    conn.subscribe(['kline.1.BTCUSDT']);
    conn.start();
    await until(() => conn.health === 'open', 'open');
    await conn.close();
    expect(conn.state).toBe('idle');
    expect(health[health.length - 1]![0]).toBe('closed');
    await new Promise((r) => setTimeout(r, 150));
    expect(server.connections.length, 'no new connection after close()').toBe(1);
    expect(conn.counters.reconnects).toBe(0);
  });

  it('authenticates first on a private stream with the documented signature, then subscribes', async () => {
    // Reference section 1 vector: key XXXXXXXXXX, secret YYYYYYYYYY, expires 1662350400000.
    const expires = 1662350400000;
    const auth = () => ({
      req_id: 'auth',
      op: 'auth',
      args: ['XXXXXXXXXX', expires, createHmac('sha256', 'YYYYYYYYYY').update(`GET/realtime${expires}`).digest('hex')],
    });
    const { conn } = connect({ auth });
    conn.subscribe(['order', 'execution']);
    conn.start();
    await server.waitForConnections(1);
    await until(() => subscribedTopics(server.connections[0]!.frames).length === 2, 'subscribe after auth');
    const frames = server.connections[0]!.frames;
    expect(frames[0]!['op'], 'auth is the first frame').toBe('auth');
    expect((frames[0]!['args'] as unknown[])[2]).toBe('9c4c0629fddfee26ca0da50a7fed51968fce6935d34b02e772d3bd0c34327bd1');
  });

  it('reports a refused auth, reconnects, and does not subscribe unauthenticated', async () => {
    server.acceptAuth = false;
    const { conn, authFailures } = connect({ auth: () => ({ op: 'auth', args: ['k', 1, 's'] }) });
    conn.subscribe(['order']);
    conn.start();
    await server.waitForConnections(2, 3000);
    expect(authFailures[0]).toBe('Params Error');
    expect(subscribedTopics(server.connections[0]!.frames)).toEqual([]);
    server.acceptAuth = true;
    await until(() => conn.health === 'open', 'open after auth is accepted again', 3000);
  });

  it('postpones the connection while the auth frame cannot be built (clock not trusted)', async () => {
    let trusted = false;
    const { conn, health } = connect({
      auth: () => {
        if (!trusted) throw new Error('clock is not trusted');
        return { op: 'auth', args: ['k', 1, 's'] };
      },
    });
    conn.subscribe(['order']);
    conn.start();
    await server.waitForConnections(2, 3000);
    expect(health.some(([h, d]) => h === 'stale' && d.includes('clock is not trusted'))).toBe(true);
    expect(server.connections.every((c) => c.frames.every((f) => f['op'] !== 'auth' && f['op'] !== 'subscribe'))).toBe(true);
    trusted = true;
    await until(() => conn.health === 'open', 'open once the clock is trusted', 3000);
  });
});
