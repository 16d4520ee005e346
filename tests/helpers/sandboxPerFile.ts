/**
 * One sandbox on loopback for a test file: started before its tests with the committed candle files
 * of `symbols` and the rate limits off, closed after them; and a private websocket already
 * authenticated with the sandbox's default key.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { signWsAuth } from '../../src/sandbox/auth.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, type Sandbox, startSandbox } from '../../src/sandbox/startSandbox.js';
import { RecordingClient } from '../sandbox/wsClient.js';

const candles = (symbol: string): string => fileURLToPath(new URL(`../../data/bybit-${symbol}-1m.csv.gz`, import.meta.url));

/** The file's sandbox: use it inside tests and hooks only (it starts in `beforeAll`). */
export function sandboxPerFile(symbols: readonly string[] = ['BTCUSDT']): Sandbox {
  let started: Sandbox | null = null;
  beforeAll(async () => {
    started = await startSandbox({ data: symbols.map(candles), rateLimits: false });
  });
  afterAll(async () => {
    await started?.close();
  });
  return new Proxy({} as Sandbox, {
    get(_target, key) {
      if (!started) throw new Error('the sandbox starts in beforeAll: use it inside a test');
      const value: unknown = Reflect.get(started, key);
      return typeof value === 'function' ? value.bind(started) : value;
    },
  });
}

/** A private websocket that has sent `auth` (req_id "auth") and been told it succeeded. */
export async function authedPrivateClient(sb: Sandbox): Promise<RecordingClient> {
  const c = await RecordingClient.open(sb.wsPrivateUrl);
  const expires = sb.nowMs() + 10_000;
  c.send({ req_id: 'auth', op: 'auth', args: [DEFAULT_API_KEY, expires, signWsAuth(DEFAULT_API_SECRET, expires)] });
  expect(await c.waitFor((m) => m['req_id'] === 'auth')).toMatchObject({ success: true });
  return c;
}
