/**
 * What a frame from a Bybit stream is (reference/bybit-v5.md section 2): the answers Bybit really
 * sends, and the garbage a bad peer could send, each with the warning the connection logs.
 */
import { describe, expect, it } from 'vitest';
import { classifyWsFrame } from '../../../src/exchange/bybit/classifyWsFrame.js';

describe('classifyWsFrame', () => {
  it('passes topic pushes through whole', () => {
    const push = { topic: 'kline.1.BTCUSDT', type: 'snapshot', ts: 1, data: [] };
    expect(classifyWsFrame(JSON.stringify(push))).toEqual({ kind: 'data', message: push });
  });

  it('knows both pong shapes: linear public (op ping, ret_msg pong) and private (op pong)', () => {
    expect(classifyWsFrame('{"success":true,"ret_msg":"pong","conn_id":"c","req_id":"p1","op":"ping"}')).toEqual({ kind: 'pong' });
    expect(classifyWsFrame('{"req_id":"p2","op":"pong","args":["1700000000000"],"conn_id":"c"}')).toEqual({ kind: 'pong' });
  });

  it('reads auth answers, with "refused" when Bybit gives no message', () => {
    expect(classifyWsFrame('{"success":true,"ret_msg":"","op":"auth","conn_id":"c"}')).toMatchObject({ kind: 'auth', accepted: true });
    expect(classifyWsFrame('{"success":false,"ret_msg":"Params Error","op":"auth"}')).toEqual({ kind: 'auth', accepted: false, retMsg: 'Params Error' });
    expect(classifyWsFrame('{"success":false,"op":"auth"}')).toEqual({ kind: 'auth', accepted: false, retMsg: 'refused' });
  });

  it('reads (un)subscribe answers by request id; only success:false is a refusal', () => {
    expect(classifyWsFrame('{"success":false,"ret_msg":"error:handler not found,topic:x","req_id":"s3","op":"subscribe"}')).toEqual({
      kind: 'subscription',
      op: 'subscribe',
      reqId: 's3',
      refused: true,
      retMsg: 'error:handler not found,topic:x',
    });
    expect(classifyWsFrame('{"op":"unsubscribe","req_id":7}'), 'a numeric req_id is not one of ours').toEqual({ kind: 'subscription', op: 'unsubscribe', reqId: '', refused: false, retMsg: '' });
  });

  it('ignores what is not a usable message, saying why and quoting at most 80 characters', () => {
    const long = 'x'.repeat(500);
    expect(classifyWsFrame(long)).toEqual({ kind: 'ignored', warning: 'a message that is not JSON', detail: { bytes: 500, sample: 'x'.repeat(80) } });
    for (const text of ['[1,2]', 'null', '42', '"pong"']) {
      expect(classifyWsFrame(text), text).toEqual({ kind: 'ignored', warning: 'a message that is not a JSON object', detail: { sample: text } });
    }
    expect(classifyWsFrame('{"topic":42,"data":[]}')).toMatchObject({ kind: 'ignored', warning: 'a message whose topic is not a string' });
    expect(classifyWsFrame('{"topic":null}'), 'a null topic is not a missing one').toMatchObject({ kind: 'ignored', warning: 'a message whose topic is not a string' });
    expect(classifyWsFrame('{"op":"ping","ret_msg":"ping"}')).toMatchObject({ kind: 'ignored', warning: 'a message with neither a known topic nor a known op' });
  });
});
