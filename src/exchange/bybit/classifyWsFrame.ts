/**
 * What one text frame from a Bybit stream is (reference section 2): a topic push, a pong, an auth
 * answer, a (un)subscribe answer, or something to ignore with a warning. Pure, so that
 * ./wsConnection.ts only acts on the answer, and a malformed frame never reaches the engine.
 */

/** How much of a frame a log line quotes. */
const SAMPLE_CHARS = 80;

export type WsFrame =
  /** A topic push (`topic` is a string). */
  | { readonly kind: 'data'; readonly message: Record<string, unknown> }
  /** Linear-public answers `op: "ping"` with `ret_msg: "pong"`; the private stream sends `op: "pong"`. */
  | { readonly kind: 'pong' }
  /** `retMsg` is "refused" when Bybit gave none. */
  | { readonly kind: 'auth'; readonly accepted: boolean; readonly retMsg: string }
  | { readonly kind: 'subscription'; readonly op: 'subscribe' | 'unsubscribe'; readonly reqId: string; readonly refused: boolean; readonly retMsg: string }
  /** Not usable: `warning` and `detail` are the log line that says so. */
  | { readonly kind: 'ignored'; readonly warning: string; readonly detail: Readonly<Record<string, unknown>> };

export function classifyWsFrame(text: string): WsFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { kind: 'ignored', warning: 'a message that is not JSON', detail: { bytes: text.length, sample: text.slice(0, SAMPLE_CHARS) } };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return { kind: 'ignored', warning: 'a message that is not a JSON object', detail: { sample: text.slice(0, SAMPLE_CHARS) } };
  }
  const m = msg as Record<string, unknown>;
  if ('topic' in m && typeof m['topic'] !== 'string') {
    return { kind: 'ignored', warning: 'a message whose topic is not a string', detail: { sample: text.slice(0, SAMPLE_CHARS) } };
  }
  if (typeof m['topic'] === 'string') return { kind: 'data', message: m };
  const op = m['op'];
  if (op === 'pong' || (op === 'ping' && m['ret_msg'] === 'pong')) return { kind: 'pong' };
  if (op === 'auth') {
    // The WS trade gateway answers in REST's shape: {"retCode":10005,"retMsg":"Permission denied for current apikey","op":"auth"}.
    const text = typeof m['ret_msg'] === 'string' ? m['ret_msg'] : typeof m['retMsg'] === 'string' ? `${typeof m['retCode'] === 'number' ? `${m['retCode']} ` : ''}${m['retMsg']}` : 'refused';
    return { kind: 'auth', accepted: m['success'] === true || m['retCode'] === 0, retMsg: text };
  }
  if (op === 'subscribe' || op === 'unsubscribe') {
    return {
      kind: 'subscription',
      op,
      reqId: typeof m['req_id'] === 'string' ? m['req_id'] : '',
      refused: m['success'] === false,
      retMsg: typeof m['ret_msg'] === 'string' ? m['ret_msg'] : '',
    };
  }
  return { kind: 'ignored', warning: 'a message with neither a known topic nor a known op', detail: { sample: text.slice(0, SAMPLE_CHARS) } };
}
