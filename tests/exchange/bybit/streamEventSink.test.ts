/** The engine's stream callbacks as the feeds call them, and the tally of dropped pushes. */
import { describe, expect, it } from 'vitest';
import { StreamEventSink } from '../../../src/exchange/bybit/streamEventSink.js';
import { recordingLogger } from '../../badInput/recordingLogger.js';

describe('StreamEventSink', () => {
  it('logs a consumer that throws instead of letting it break the stream', () => {
    const log = recordingLogger();
    const sink = new StreamEventSink(log);
    let after = false;
    sink.safe(() => {
      throw new Error('engine bug');
    });
    sink.safe(() => (after = true));
    expect(after).toBe(true);
    expect(log.lines.map((l) => [l.level, l.text])).toEqual([['error', 'event consumer threw error=engine bug']]);
  });

  it('hands out the events set last', () => {
    const sink = new StreamEventSink(recordingLogger());
    expect(sink.events).toEqual({});
    const events = { onFill: () => undefined };
    sink.events = events;
    expect(sink.events).toBe(events);
  });

  it('counts every unexpected push but names each topic once, at most 100 topics, each cut to 80 characters', () => {
    const log = recordingLogger();
    const sink = new StreamEventSink(log);
    sink.unexpectedTopic('public', 'tickers.BTCUSDT');
    sink.unexpectedTopic('private', 'tickers.BTCUSDT');
    expect(log.problems('ignoring pushes')).toHaveLength(1);
    for (let i = 0; i < 150; i++) sink.unexpectedTopic('public', `t${i}.${'x'.repeat(100)}`);
    expect(sink.wireErrors).toBe(152);
    expect(log.problems('ignoring pushes'), 'the first 100 distinct topics').toHaveLength(100);
    expect((log.lines[1]!.fields['topic'] as string).length).toBe(80);
    sink.wireError();
    expect(sink.wireErrors).toBe(153);
  });
});
