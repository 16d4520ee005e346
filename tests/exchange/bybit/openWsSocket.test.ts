/**
 * One socket against a real loopback `ws` server (./fakeBybitWs.ts): its events reach the owner, and
 * a frame over the size limit is refused with a warning, not buffered.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { openWsSocket } from '../../../src/exchange/bybit/openWsSocket.js';
import { recordingLogger } from '../../badInput/recordingLogger.js';
import { startFakeBybitWs, until, type FakeBybitWs } from './fakeBybitWs.js';

let server: FakeBybitWs;
let sockets: WebSocket[] = [];
beforeEach(async () => {
  server = await startFakeBybitWs();
});
afterEach(async () => {
  for (const s of sockets) s.terminate();
  sockets = [];
  await server.close();
});

function open(maxFrameBytes = 1024) {
  const log = recordingLogger();
  const seen: string[] = [];
  const ws = openWsSocket(server.url, { connectTimeoutMs: 1000, maxFrameBytes }, log, {
    onOpen: () => seen.push('open'),
    onMessage: (data) => seen.push(`message ${data.toString()}`),
    onClose: (code) => seen.push(`close ${code}`),
  });
  sockets.push(ws);
  return { ws, log, seen };
}

describe('openWsSocket', () => {
  it('reports open, each message and the close code', async () => {
    const { ws, seen, log } = open();
    await until(() => seen.includes('open'), 'open');
    ws.send(JSON.stringify({ op: 'ping', req_id: 'p1' }));
    await until(() => seen.length === 2, 'the pong');
    server.dropAll();
    await until(() => seen.length === 3, 'the close');
    expect(seen[1]).toContain('"ret_msg":"pong"');
    expect(seen[2], 'dropped without a close frame').toBe('close 1006');
    expect(log.problems()).toEqual([]);
  });

  it('refuses a frame over the limit with a warning naming ws\'s error code, and closes', async () => {
    const { seen, log } = open(100);
    await until(() => seen.includes('open'), 'open');
    server.broadcast({ topic: 'kline.1.BTCUSDT', data: 'x'.repeat(500) });
    await until(() => seen.some((s) => s.startsWith('close')), 'the close');
    expect(seen.filter((s) => s.startsWith('message')), 'never handed over').toEqual([]);
    const [warning] = log.problems('bad frame from the server; reconnecting');
    expect(warning?.fields).toMatchObject({ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', maxFrameBytes: 100 });
  });

  it('logs an unreachable server at debug level only: it is routine on a phone', async () => {
    const log = recordingLogger();
    const closes: number[] = [];
    sockets.push(openWsSocket('ws://127.0.0.1:1/', { connectTimeoutMs: 1000, maxFrameBytes: 1024 }, log, { onOpen: () => undefined, onMessage: () => undefined, onClose: (c) => closes.push(c) }));
    await until(() => closes.length === 1, 'the close');
    expect(log.lines.map((l) => [l.level, l.message])).toEqual([['debug', 'socket error']]);
  });
});
