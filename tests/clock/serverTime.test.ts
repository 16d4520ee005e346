/**
 * Tests for src/exchange/bybit/serverTime.ts (kept beside the clock tests, which are this task's test
 * folder; the exchange test folder belongs to the adapter's author).
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BybitServerTimeError, fetchBybitServerTime } from '../../src/exchange/bybit/serverTime.js';
import { startBybitTimeServer, type BybitTimeServer } from './bybitTimeServer.js';

describe('fetchBybitServerTime against a loopback /v5/market/time', () => {
  let server: BybitTimeServer;
  beforeAll(async () => {
    server = await startBybitTimeServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('reads the server clock from timeNano and the offset from the midpoint of the round trip', async () => {
    server.respond = null;
    for (const offsetMs of [-3000, 0, 2500]) {
      server.offsetMs = offsetMs;
      const t = await fetchBybitServerTime(server.url + '/', { timeoutMs: 2000 });
      // The server stamps somewhere inside our round trip, so the midpoint is off by at most half of it.
      expect(Math.abs(t.offsetMs - offsetMs), `offset ${offsetMs}: measured ${t.offsetMs}, rtt ${t.rttMs}`).toBeLessThanOrEqual(t.rttMs / 2 + 1);
      expect(t.rttMs).toBeGreaterThanOrEqual(0);
      expect(t.receivedMs).toBeGreaterThanOrEqual(t.sentMs);
    }
  });

  it('parses the real Bybit answer from the docs', async () => {
    // Example from Bybit's V5 docs, "Get Bybit Server Time".
    server.respond = () => [
      200,
      '{"retCode":0,"retMsg":"OK","result":{"timeSecond":"1688639403","timeNano":"1688639403423213947"},"retExtInfo":{},"time":1688639403423}',
    ];
    const t = await fetchBybitServerTime(server.url);
    expect(t.serverMs, "whole microseconds of 1688639403423213947 ns").toBe(1688639403423.213);
  });

  const bad: [string, [number, string], RegExp][] = [
    ['HTTP 502', [502, 'Bad Gateway'], /HTTP 502/],
    ['not JSON', [200, '<html>maintenance</html>'], /not JSON/],
    ['a Bybit error', [200, '{"retCode":10016,"retMsg":"server error","result":{},"retExtInfo":{},"time":1}'], /retCode 10016 server error/],
    ['a number where a digit string belongs', [200, '{"retCode":0,"retMsg":"OK","result":{"timeSecond":1688639403,"timeNano":"1688639403423213947"},"time":1}'], /result.*timeSecond/],
    ['a missing envelope field', [200, '{"retCode":0,"result":{}}'], /retMsg/],
    ['inconsistent seconds and nanoseconds', [200, '{"retCode":0,"retMsg":"OK","result":{"timeSecond":"1","timeNano":"1688639403423213947"},"time":1}'], /disagree/],
  ];
  it.each(bad)('rejects %s with a named error', async (_label, answer, message) => {
    server.respond = () => answer;
    const error = await fetchBybitServerTime(server.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BybitServerTimeError);
    expect((error as Error).name).toBe('BybitServerTimeError');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('/v5/market/time');
  });

  it('gives up after its timeout when the server accepts but never answers, and names a refused connection', async () => {
    const held: Socket[] = [];
    const mute = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const { port } = mute.address() as AddressInfo;
    try {
      const started = performance.now();
      await expect(fetchBybitServerTime(`http://127.0.0.1:${port}`, { timeoutMs: 200 })).rejects.toThrow(/no answer within 200 ms/);
      expect(performance.now() - started).toBeLessThan(1500);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => mute.close(() => resolve()));
    }
    await expect(fetchBybitServerTime(`http://127.0.0.1:${port}`, { timeoutMs: 500 })).rejects.toThrow(/ECONNREFUSED/);
  });
});
