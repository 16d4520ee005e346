/**
 * Issue 20 item 6: Bybit's HTTP 403 "access too frequent" stops every REST call of the adapter for
 * one pause (10 min; 2 s here), said once in the log and once to `onRestPause` (the notification),
 * through the real adapter (ccxt) against the sandbox's `http403=` IP ban. No request reaches the
 * sandbox during the pause; reads wait through Patience, writes wait in the adapter, an entry is
 * refused with the reason; afterwards everything works again by itself.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Patience } from '../../../src/cli/patience.js';
import { ExchangeError } from '../../../src/domain/exchangeErrors.js';
import { dec } from '../../../src/domain/money.js';
import { createBybitExchange, type BybitExchange } from '../../../src/exchange/bybit/bybitExchange.js';
import type { RestPause } from '../../../src/exchange/bybit/restPipeline.js';
import { fixedSigningClock } from '../../../src/exchange/bybit/signingClock.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox, type Sandbox } from '../../../src/sandbox/startSandbox.js';
import type { Logger } from '../../../src/util/logger.js';

const BTC = fileURLToPath(new URL('../../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));
const PAUSE_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const lines: { level: string; message: string }[] = [];
const recording: Logger = {
  debug: (message) => lines.push({ level: 'debug', message }),
  info: (message) => lines.push({ level: 'info', message }),
  warn: (message) => lines.push({ level: 'warn', message }),
  error: (message) => lines.push({ level: 'error', message }),
  child: () => recording,
};

let sb: Sandbox;
let ex: BybitExchange;
const pauses: RestPause[] = [];

beforeAll(async () => {
  sb = await startSandbox({ data: [BTC], historyCandles: 50 });
  ex = createBybitExchange({
    network: 'mainnet',
    restUrl: sb.restUrl,
    credentials: { apiKey: DEFAULT_API_KEY, apiSecret: DEFAULT_API_SECRET },
    clock: fixedSigningClock(0),
    logger: recording,
    ipBanPauseMs: PAUSE_MS,
    onRestPause: (p) => pauses.push(p),
  });
  await ex.loadInstruments(['BTCUSDT']);
});

afterAll(async () => {
  await ex.close();
  await sb.close();
});

it('one 403 pauses every REST call: nothing is sent until the pause ends, told once, then calls succeed by themselves', async () => {
  // The ban is shorter than our pause: any request sent during the pause would reach the sandbox.
  // (New fault settings would start a new ban, so they stay as they are.)
  sb.setFaults('latency=300ms,http403=1s');
  const start = sb.restRequests();
  // Two different calls in flight when the 403 comes.
  const results = await Promise.allSettled([ex.fetchPositions(['BTCUSDT']), ex.fetchBalance()]);
  const pausedAt = Date.now();
  for (const r of results) {
    expect(r.status).toBe('rejected');
    const err = (r as PromiseRejectedResult).reason as ExchangeError;
    expect(err.kind).toBe('retryable');
    expect(err.message).toBe('Bybit asked us to stop for 2 seconds (HTTP 403 access too frequent)');
    expect(err.retryAtMs! - Date.now()).toBeGreaterThan(1000);
  }
  expect(sb.restRequests() - start, 'the two calls, each once').toBe(2);

  // During the pause: a read waits through Patience, a cancel waits in the adapter, an entry is refused.
  const patience = new Patience(recording);
  const read = patience.run('positions', () => ex.fetchPositions(['BTCUSDT']));
  let cancelDoneAt = 0;
  const cancel = ex.cancelOrder('BTCUSDT', 'no-such-order').then((v) => ((cancelDoneAt = Date.now()), v));
  const entry = ex.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', qty: dec('0.001'), price: null, reduceOnly: false, orderLinkId: 'entry-in-pause', timeInForce: 'GTC', stopLoss: null, takeProfit: null });
  await expect(entry).rejects.toMatchObject({ kind: 'rejected', message: expect.stringContaining('entry not sent: Bybit asked us to stop for 2 seconds (HTTP 403 access too frequent)') });
  await sleep(PAUSE_MS - (Date.now() - pausedAt) - 300);
  expect(sb.restRequests() - start, 'no request reached Bybit during the pause').toBe(2);

  // After it, by themselves.
  expect((await read).every((p) => p.size.isZero())).toBe(true);
  expect(await cancel).toBe(false);
  expect(cancelDoneAt - pausedAt).toBeGreaterThanOrEqual(PAUSE_MS - 300);
  expect((await ex.fetchBalance()).equity.gt(0)).toBe(true);
  expect(sb.restRequests() - start).toBeGreaterThanOrEqual(5);

  // Said once: one adapter line, one notification; Patience's line names the pause and the time.
  const said = lines.filter((l) => l.message.startsWith('Bybit asked us to stop'));
  expect(said).toHaveLength(1);
  expect(said[0]!.level).toBe('warn');
  expect(said[0]!.message).toMatch(/^Bybit asked us to stop for 2 seconds \(HTTP 403 access too frequent\): no request to Bybit until \d\d:\d\d; exits and stops wait for it, new entries are skipped; it resumes by itself$/);
  expect(pauses).toHaveLength(1);
  expect(pauses[0]!.reason).toBe('Bybit asked us to stop for 2 seconds (HTTP 403 access too frequent)');
  expect(lines.some((l) => /^waiting for Bybit: positions: Bybit asked us to stop for 2 seconds \(HTTP 403 access too frequent\); next try at \d\d:\d\d$/.test(l.message))).toBe(true);
}, 20_000);
