/**
 * A loopback Bybit stream for the contract suite: it answers auth, subscribe and ping with recorded
 * real frames (sent as recorded, req_id and all), and pushes recorded topic frames after a subscribe.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RecordedWs {
  readonly url: string;
  /** Recorded answers; a list is answered in turn (the last one repeats). */
  auth: Record<string, unknown> | null;
  subscribe: Record<string, unknown> | null;
  pongs: Record<string, unknown>[];
  /** Recorded pushes sent after each subscribe answer. */
  pushes: Record<string, unknown>[];
  readonly received: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startRecordedWs(path: string): Promise<RecordedWs> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  let pongIndex = 0;
  const state: RecordedWs = {
    url: `ws://127.0.0.1:${port}${path}`,
    auth: null,
    subscribe: null,
    pongs: [],
    pushes: [],
    received: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  const send = (socket: WebSocket, frame: unknown): void => socket.send(JSON.stringify(frame));
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      state.received.push(frame);
      if (frame['op'] === 'auth' && state.auth !== null) send(socket, state.auth);
      else if (frame['op'] === 'ping' && state.pongs.length > 0) send(socket, state.pongs[Math.min(pongIndex++, state.pongs.length - 1)]);
      else if (frame['op'] === 'subscribe' && state.subscribe !== null) {
        send(socket, state.subscribe);
        for (const p of state.pushes) send(socket, p);
      }
    });
  });
  return state;
}
