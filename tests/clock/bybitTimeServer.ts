/**
 * Test helper: a loopback HTTP server answering Bybit's `GET /v5/market/time` with a clock that runs
 * `offsetMs` ahead of this machine, in Bybit's wire format (reference/bybit-v5.md: `timeSecond` and
 * `timeNano` as digit strings, envelope `time` as a number). `respond` can replace the answer to test
 * bad responses.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEpochClock } from '../../src/clock/epochClock.js';

export interface BybitTimeServer {
  readonly url: string;
  offsetMs: number;
  /** Override the answer: return [status, body]; null means the normal answer. */
  respond: ((req: IncomingMessage) => [number, string] | null) | null;
  requests: number;
  close(): Promise<void>;
}

export function bybitTimeBody(serverMs: number): string {
  const wholeMs = Math.floor(serverMs);
  const nanos = BigInt(wholeMs) * 1_000_000n + BigInt(Math.round((serverMs - wholeMs) * 1e6));
  return JSON.stringify({
    retCode: 0,
    retMsg: 'OK',
    result: { timeSecond: String(nanos / 1_000_000_000n), timeNano: String(nanos) },
    retExtInfo: {},
    time: wholeMs,
  });
}

export async function startBybitTimeServer(offsetMs = 0): Promise<BybitTimeServer> {
  const epochMs = createEpochClock();
  const state: BybitTimeServer = {
    url: '',
    offsetMs,
    respond: null,
    requests: 0,
    close: () => Promise.resolve(),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests++;
    const custom = state.respond?.(req) ?? null;
    if (custom !== null) {
      res.writeHead(custom[0], { 'content-type': 'application/json' }).end(custom[1]);
      return;
    }
    if (req.method !== 'GET' || req.url !== '/v5/market/time') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(bybitTimeBody(epochMs() + state.offsetMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return state;
}
