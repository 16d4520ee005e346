/** Fault injection: the SPEC syntax and each fault as a client sees it. */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signWsAuth } from '../../src/sandbox/auth.js';
import { FaultSpecError, NO_FAULTS, parseFaultSpec } from '../../src/sandbox/faults.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, type Sandbox, startSandbox } from '../../src/sandbox/startSandbox.js';
import { type Msg, RecordingClient, signedCall } from './wsClient.js';

const BTC = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));

describe('parseFaultSpec', () => {
  it('parses every documented fault', () => {
    expect(parseFaultSpec('ws-drop=30s, stall=private, http5xx=5%, timeout=0.01, latency=200ms, storm10006=1, err10016=10%, partial=0.5, race-cancel=on, seed=9')).toEqual({
      wsDropEveryMs: 30_000,
      stall: 'private',
      http5xxRate: 0.05,
      timeoutRate: 0.01,
      latencyMs: 200,
      storm10006Rate: 1,
      err10016Rate: 0.1,
      partialFillRatio: 0.5,
      raceCancel: true,
      seed: 9,
    });
    expect(parseFaultSpec('ws-drop=2,latency=15')).toEqual({ wsDropEveryMs: 2000, latencyMs: 15 });
    expect(parseFaultSpec('http403=10m')).toEqual({ http403ForMs: 600_000 });
    expect(parseFaultSpec('http403=3')).toEqual({ http403ForMs: 3000 });
    expect(() => parseFaultSpec('http403=0')).toThrow(/http403/);
  });

  it('parses a fault window: during=PHASE and for=DURATION', () => {
    expect(parseFaultSpec('during=fill-catch-up,for=14s,http5xx=100%')).toEqual({ during: 'fill-catch-up', windowMs: 14_000, http5xxRate: 1 });
    expect(parseFaultSpec('during=start-up,for=3')).toEqual({ during: 'start-up', windowMs: 3000 });
    expect(parseFaultSpec('during=orders,for=6s,timeout=100%')).toEqual({ during: 'orders', windowMs: 6000, timeoutRate: 1 });
    expect(parseFaultSpec('during=trading-stop,for=1s')).toEqual({ during: 'trading-stop', windowMs: 1000 });
    expect(() => parseFaultSpec('during=lunch')).toThrow(/start-up, reconciliation, fill-catch-up/);
    expect(() => parseFaultSpec('for=0s')).toThrow(/for/);
  });

  it('names the bad part of a bad SPEC', () => {
    expect(() => parseFaultSpec('http5xx=150%')).toThrow(/http5xx/);
    expect(() => parseFaultSpec('explode=1')).toThrow(FaultSpecError);
    expect(() => parseFaultSpec('stall=sometimes')).toThrow(/public, private, all/);
  });
});

describe('faults at runtime', () => {
  let sb: Sandbox;
  let frozenMs = Date.now();
  beforeAll(async () => {
    // A frozen clock: rate-limit windows do not move during the test.
    sb = await startSandbox({ data: [BTC], baseClock: () => frozenMs });
  });
  afterEach(() => {
    sb.setFaults({ ...NO_FAULTS });
    frozenMs += 2000;
  });
  afterAll(async () => {
    await sb.close();
  });
  const call = (path: string, params: Record<string, unknown>, method: 'GET' | 'POST' = 'POST') => signedCall(sb.restUrl, method, path, params, { timestampMs: sb.nowMs() });

  it('answers 10006 with the limit headers beyond 10 order cancels per second', async () => {
    const codes: unknown[] = [];
    let last: Headers | null = null;
    for (let i = 0; i < 11; i++) {
      const r = await call('/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderId: 'none' });
      codes.push(r.json['retCode']);
      last = r.headers;
    }
    expect(codes.slice(0, 10).every((c) => c === 110001)).toBe(true);
    expect(codes[10]).toBe(10006);
    expect(last!.get('x-bapi-limit')).toBe('10');
    expect(last!.get('x-bapi-limit-status')).toBe('0');
    expect(Number(last!.get('x-bapi-limit-reset-timestamp'))).toBe(frozenMs + 1000);
  });

  it('http5xx, storm10006 and err10016 answer as configured', async () => {
    sb.setFaults('http5xx=100%');
    expect((await fetch(`${sb.restUrl}/v5/market/time`)).status).toBe(503);
    sb.setFaults('http5xx=0,storm10006=1');
    expect((await call('/v5/account/wallet-balance', { accountType: 'UNIFIED' }, 'GET')).json['retCode']).toBe(10006);
    sb.setFaults('storm10006=0,err10016=1');
    const before = sb.faultCounts();
    expect((await call('/v5/account/wallet-balance', { accountType: 'UNIFIED' }, 'GET')).json['retCode']).toBe(10016);
    // Each fault that struck is counted (the soak test's report is built from these).
    expect(sb.faultCounts().err10016).toBe(before.err10016 + 1);
    expect(sb.faultCounts().http5xx).toBeGreaterThanOrEqual(1);
    expect(sb.faultCounts().storm10006).toBeGreaterThanOrEqual(1);
  });

  it('a fault window strikes only its phase, from its first request, for its duration', async () => {
    sb.setFaults('during=fill-catch-up,for=5s,err10016=100%');
    // Other phases' requests pass, and do not open the window.
    expect((await call('/v5/position/list', { category: 'linear', symbol: 'BTCUSDT' }, 'GET')).json['retCode']).toBe(0);
    expect((await call('/v5/execution/list', { category: 'linear', symbol: 'BTCUSDT' }, 'GET')).json['retCode']).toBe(10016);
    frozenMs += 4000;
    expect((await call('/v5/execution/list', { category: 'linear', symbol: 'BTCUSDT' }, 'GET')).json['retCode'], 'still inside the window').toBe(10016);
    expect((await call('/v5/order/realtime', { category: 'linear', symbol: 'BTCUSDT' }, 'GET')).json['retCode']).toBe(0);
    frozenMs += 1500;
    expect((await call('/v5/execution/list', { category: 'linear', symbol: 'BTCUSDT' }, 'GET')).json['retCode'], 'the window has closed').toBe(0);
    // New settings, a new window: start-up strikes every request until it closes.
    sb.setFaults('during=start-up,for=2s,http5xx=100%');
    expect((await fetch(`${sb.restUrl}/v5/market/time`)).status).toBe(503);
    expect((await call('/v5/position/list', { category: 'linear', symbol: 'BTCUSDT' }, 'GET')).status).toBe(503);
    frozenMs += 2500;
    expect((await fetch(`${sb.restUrl}/v5/market/time`)).status).toBe(200);
  });

  it('http403: an IP ban answers every REST request HTTP 403 "access too frequent" for its duration', async () => {
    sb.setFaults('http403=3s');
    const before = sb.restRequests();
    const first = await fetch(`${sb.restUrl}/v5/market/time`);
    expect(first.status).toBe(403);
    expect(await first.text()).toContain('access too frequent');
    frozenMs += 2000;
    expect((await call('/v5/position/list', { category: 'linear', symbol: 'BTCUSDT' }, 'GET')).status, 'still banned').toBe(403);
    frozenMs += 1500;
    expect((await fetch(`${sb.restUrl}/v5/market/time`)).status, 'the ban is over').toBe(200);
    expect(sb.faultCounts().http403).toBe(2);
    expect(sb.restRequests() - before).toBe(3);
  });

  it('a timeout fault leaves the request unanswered', async () => {
    sb.setFaults('timeout=1');
    await expect(fetch(`${sb.restUrl}/v5/market/time`, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
  });

  it('stall silences a stream, pongs included; ws-drop closes connections', async () => {
    const c = await RecordingClient.open(sb.wsPublicUrl);
    sb.setFaults('stall=public');
    c.send({ op: 'ping' });
    c.send({ op: 'subscribe', args: ['orderbook.1.BTCUSDT'] });
    sb.step(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.messages.length).toBe(0);
    expect(sb.faultCounts().stall).toBeGreaterThanOrEqual(2);
    sb.setFaults('stall=none,ws-drop=50ms');
    await c.waitClosed(2000);
    expect(sb.faultCounts()['ws-drop']).toBeGreaterThanOrEqual(1);
  });

  it('race-cancel: the cancel answers 110001 and the order is pushed Filled twice', async () => {
    const p = await RecordingClient.open(sb.wsPrivateUrl);
    const expires = sb.nowMs() + 10_000;
    p.send({ op: 'auth', args: [DEFAULT_API_KEY, expires, signWsAuth(DEFAULT_API_SECRET, expires)] });
    await p.waitFor((m) => m['op'] === 'auth');
    p.send({ op: 'subscribe', args: ['order'] });
    await p.waitFor((m) => m['op'] === 'subscribe');
    const price = (Math.floor(sb.sim.lastPrice('BTCUSDT') * 0.9 * 10) / 10).toFixed(1);
    const created = await call('/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price, orderLinkId: 'race-1' });
    expect(created.json['retCode']).toBe(0);
    sb.setFaults('race-cancel=on');
    const r = await call('/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'race-1' });
    expect(r.json['retCode']).toBe(110001);
    const isFilled = (m: Msg): boolean => (m['data'] as Msg[] | undefined)?.[0]?.['orderStatus'] === 'Filled';
    const first = await p.waitFor(isFilled);
    await p.waitFor(isFilled, 5000, p.messages.indexOf(first) + 1);
    const filled = p.messages.filter(isFilled);
    expect(filled.length).toBe(2);
    expect(sb.faultCounts()['race-cancel']).toBe(1);
    p.close();
  });

  it('partial fills split a market order into two executions', async () => {
    sb.setFaults('partial=0.5');
    const r = await call('/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Market', qty: '0.004', orderLinkId: 'partial-1' });
    expect(r.json['retCode']).toBe(0);
    const execs = await call('/v5/execution/list', { category: 'linear', orderLinkId: 'partial-1' }, 'GET');
    const list = (execs.json['result'] as { list: Array<{ execQty: string }> }).list;
    expect(list.map((e) => e.execQty).sort()).toEqual(['0.002', '0.002']);
    expect(sb.faultCounts().partial).toBeGreaterThanOrEqual(1);
  });

  it('latency delays every REST answer', async () => {
    sb.setFaults('latency=150ms');
    const t0 = performance.now();
    await fetch(`${sb.restUrl}/v5/market/time`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

describe('thin book fault', () => {
  it('parses thin=RATIO', () => {
    expect(parseFaultSpec('thin=0.25').thinBookRatio).toBe(0.25);
    expect(() => parseFaultSpec('thin=2')).toThrow(/between 0 and 1/);
  });
});
