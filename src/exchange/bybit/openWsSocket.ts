/**
 * Opens one socket to a Bybit stream with the `ws` options a phone wants, and sorts its errors:
 * network errors are routine (the close that follows reconnects), a frame that breaks the protocol
 * or the size limit is the peer's fault and worth a warning. ./wsConnection.ts owns the socket.
 */
import WebSocket from 'ws';
import type { Logger } from '../../util/logger.js';

export interface WsSocketOptions {
  readonly connectTimeoutMs: number;
  /** Larger frames close the socket (ws's maxPayload). */
  readonly maxFrameBytes: number;
}

export interface WsSocketEvents {
  onOpen(): void;
  onMessage(data: WebSocket.RawData): void;
  onClose(code: number): void;
}

export function openWsSocket(url: string, options: WsSocketOptions, log: Logger, events: WsSocketEvents): WebSocket {
  // No compression (Bybit does not offer it) and no UTF-8 check of each frame: JSON.parse rejects
  // what matters, and the check is a measurable share of an idle stream's CPU (bench/streams.bench.ts).
  const ws = new WebSocket(url, { handshakeTimeout: options.connectTimeoutMs, perMessageDeflate: false, skipUTF8Validation: true, maxPayload: options.maxFrameBytes });
  ws.on('open', () => events.onOpen());
  ws.on('message', (data: WebSocket.RawData) => events.onMessage(data));
  ws.on('error', (err: Error & { code?: unknown }) => {
    // ws's WS_ERR_* codes: a bad opcode, a bad close code, a frame over maxPayload…
    if (typeof err.code === 'string' && err.code.startsWith('WS_ERR_')) {
      log.warn('bad frame from the server; reconnecting', { code: err.code, error: err.message, maxFrameBytes: options.maxFrameBytes });
    } else {
      log.debug('socket error', { error: err.message });
    }
  });
  ws.on('close', (code: number) => events.onClose(code));
  return ws;
}
