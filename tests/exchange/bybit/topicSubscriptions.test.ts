/**
 * The wanted topics of a connection and the request frames for them (reference/bybit-v5.md section 2:
 * at most 10 args per subscribe request on linear public).
 */
import { describe, expect, it } from 'vitest';
import { TopicSubscriptions } from '../../../src/exchange/bybit/topicSubscriptions.js';

const topics = (n: number): string[] => Array.from({ length: n }, (_, i) => `kline.1.SYM${i}USDT`);

describe('TopicSubscriptions', () => {
  it('adds and removes topics once each, reporting only the changes', () => {
    const subs = new TopicSubscriptions();
    expect(subs.add(['a', 'b'])).toEqual(['a', 'b']);
    expect(subs.add(['b', 'c']), 'b is already wanted').toEqual(['c']);
    expect(subs.remove(['a', 'x']), 'x was never wanted').toEqual(['a']);
    expect([...subs.wanted]).toEqual(['b', 'c']);
  });

  it('splits requests into batches of 10, each with its own id', () => {
    const subs = new TopicSubscriptions();
    const frames = subs.requests('subscribe', topics(23));
    expect(frames.map((f) => (f['args'] as string[]).length)).toEqual([10, 10, 3]);
    expect(frames.map((f) => f['req_id'])).toEqual(['s1', 's2', 's3']);
    expect(frames.every((f) => f['op'] === 'subscribe')).toBe(true);
  });

  it('numbers pings and (un)subscribes in one sequence', () => {
    const subs = new TopicSubscriptions();
    expect(subs.pingFrame()).toEqual({ req_id: 'p1', op: 'ping' });
    expect(subs.requests('unsubscribe', ['a'])).toEqual([{ req_id: 'u2', op: 'unsubscribe', args: ['a'] }]);
    expect(subs.requests('subscribe', ['a'])).toEqual([{ req_id: 's3', op: 'subscribe', args: ['a'] }]);
    expect(subs.pingFrame()).toEqual({ req_id: 'p4', op: 'ping' });
  });

  it('names the topics of an answered subscribe request once; a new socket forgets the old requests', () => {
    const subs = new TopicSubscriptions();
    subs.requests('subscribe', ['a', 'b']);
    subs.requests('unsubscribe', ['c']);
    expect(subs.answered('s1')).toEqual(['a', 'b']);
    expect(subs.answered('s1'), 'answered already').toEqual([]);
    expect(subs.answered('u2'), 'unsubscribe requests are not tracked').toEqual([]);
    subs.requests('subscribe', ['d']);
    subs.forgetPending();
    expect(subs.answered('s3')).toEqual([]);
  });

  it('a refusal without our req_id names the topic in Bybit’s text, else every topic still waiting (issue 20 item 12)', () => {
    const subs = new TopicSubscriptions();
    subs.requests('subscribe', ['order', 'adlAlert']);
    // Real wording (errors-quoted.json, a log line): the topic follows "topic:".
    expect(subs.answered('', 'error:handler not found,topic:adlAlert')).toEqual(['adlAlert']);
    subs.requests('subscribe', ['wallet']);
    expect(subs.answered('', 'Params Error'), 'no topic in the text: every request still waiting').toEqual(['order', 'adlAlert', 'wallet']);
    expect(subs.answered('', null), 'a success without our id names nothing').toEqual([]);
  });
});
