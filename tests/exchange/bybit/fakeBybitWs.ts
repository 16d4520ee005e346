/**
 * Test helper: a loopback `ws` server that speaks just enough of Bybit's stream protocol (reference/
 * bybit-v5.md section 2) to be controlled from a test: it answers pings (linear-public style) and
 * subscribe requests, records every frame, can push arbitrary messages, stop answering, refuse auth,
 * or drop connections abruptly.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeConnection {
  readonly socket: WebSocket;
  readonly frames: Record<string, unknown>[];
  readonly openedAtMs: number;
}

export interface FakeBybitWs {
  readonly url: string;
  readonly connections: FakeConnection[];
  /** Answer pings (default true). */
  answerPings: boolean;
  /** Answer auth with success (default true); the args are recorded either way. */
  acceptAuth: boolean;
  /** Called for each subscribe request after the ack (push a snapshot here). */
  onSubscribe: ((conn: FakeConnection, topics: string[]) => void) | null;
  /** Sends to every open connection. */
  broadcast(message: unknown): void;
  /** Abruptly drops every open connection (no close frame). */
  dropAll(): void;
  latest(): FakeConnection | undefined;
  waitForConnections(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeBybitWs(): Promise<FakeBybitWs> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  const state: FakeBybitWs = {
    url: `ws://127.0.0.1:${port}/v5/public/linear`,
    connections: [],
    answerPings: true,
    acceptAuth: true,
    onSubscribe: null,
    broadcast(message) {
      const text = JSON.stringify(message);
      for (const c of state.connections) if (c.socket.readyState === c.socket.OPEN) c.socket.send(text);
    },
    dropAll() {
      for (const c of state.connections) c.socket.terminate();
    },
    latest() {
      return state.connections[state.connections.length - 1];
    },
    async waitForConnections(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (state.connections.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} connections, saw ${state.connections.length}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (socket) => {
    const conn: FakeConnection = { socket, frames: [], openedAtMs: Date.now() };
    state.connections.push(conn);
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      conn.frames.push(frame);
      const op = frame['op'];
      if (op === 'ping' && state.answerPings) {
        socket.send(JSON.stringify({ success: true, ret_msg: 'pong', conn_id: 'c', req_id: frame['req_id'] ?? '', op: 'ping' }));
      } else if (op === 'auth') {
        socket.send(JSON.stringify(state.acceptAuth ? { success: true, ret_msg: '', op: 'auth', conn_id: 'c' } : { success: false, ret_msg: 'Params Error', op: 'auth', conn_id: 'c' }));
      } else if (op === 'subscribe' || op === 'unsubscribe') {
        socket.send(JSON.stringify({ success: true, ret_msg: '', conn_id: 'c', req_id: frame['req_id'], op }));
        if (op === 'subscribe') state.onSubscribe?.(conn, frame['args'] as string[]);
      }
    });
  });
  return state;
}

export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
