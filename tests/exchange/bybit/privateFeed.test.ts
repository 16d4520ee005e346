/**
 * The private feed on its own: pushes and REST gap fills in, engine events out. Each fill reaches
 * the engine once however often it is pushed or re-read; a gap fill reads orders, positions and the
 * balance, and looks up the orders that filled while the stream was down.
 */
import { describe, expect, it } from 'vitest';
import { ExchangeError } from '../../../src/domain/exchangeErrors.js';
import { dec } from '../../../src/domain/money.js';
import type { Fill, Order } from '../../../src/domain/types.js';
import { PrivateFeed, type PrivateRestSource } from '../../../src/exchange/bybit/privateFeed.js';
import { StreamEventSink } from '../../../src/exchange/bybit/streamEventSink.js';
import { goodExecution, goodOrder, goodPosition, goodWallet, SYMBOL, T0 } from '../../badInput/corpus.js';
import { recordingLogger } from '../../badInput/recordingLogger.js';
import { until } from './fakeBybitWs.js';

function fill(execId: string, ts: number, orderLinkId = 'ps-1'): Fill {
  return { execId, orderId: 'o-1', orderLinkId, symbol: SYMBOL, side: 'buy', price: dec('100.5'), qty: dec('0.01'), fee: dec('0.0005'), isMaker: false, ts };
}

function make(rest: Partial<PrivateRestSource> = {}) {
  const log = recordingLogger();
  const sink = new StreamEventSink(log);
  const seen: string[] = [];
  sink.events = {
    onFill: (f) => seen.push(`fill ${f.execId}`),
    onOrder: (o) => seen.push(`order ${o.orderLinkId} ${o.status}`),
    onPosition: (p) => seen.push(`position ${p.symbol}`),
    onBalance: (b) => seen.push(`balance ${b.equity.toString()}`),
  };
  const calls: string[] = [];
  let closed = false;
  const feed = new PrivateFeed({
    rest: {
      fetchOpenOrders: async () => (calls.push('openOrders'), []),
      fetchOrder: async (_s, id) => (calls.push(`order ${id}`), null),
      fetchPositions: async (symbols) => (calls.push(`positions ${symbols.join(',')}`), []),
      fetchBalance: async () => (calls.push('balance'), { equity: dec(5), walletBalance: dec(5), available: dec(5) }),
      recentFills: async (_s, stopBefore, pages) => (calls.push(`fills ${String(stopBefore)} ${String(pages)}`), []),
      ...rest,
    },
    sink,
    log,
    symbols: () => [SYMBOL],
    closed: () => closed,
  });
  return { feed, sink, log, seen, calls, close: () => (closed = true) };
}

const push = (topic: string, data: unknown) => ({ topic, id: 'x', creationTime: T0, data });

describe('PrivateFeed', () => {
  it('turns order, execution, position and wallet pushes into events, each fill once', () => {
    const { feed, seen } = make();
    feed.onPush(push('order', [goodOrder()]));
    feed.onPush(push('execution', [goodExecution('e1'), goodExecution('e1')]));
    feed.onPush(push('execution.linear', [goodExecution('e1'), goodExecution('e2')]));
    feed.onPush(push('position', [goodPosition()]));
    feed.onPush(push('wallet', [goodWallet()]));
    expect(seen).toEqual(['order ps-1 new', 'fill e1', 'fill e2', `position ${SYMBOL}`, 'balance 1000.5']);
    expect(feed.counters().fills).toEqual({ delivered: 2, duplicatesDropped: 2, recovered: 0 });
  });

  it('skips other categories and other account types without a word', () => {
    const { feed, seen, sink, log } = make();
    feed.onPush(push('order', [{ ...goodOrder(), category: 'spot' }]));
    feed.onPush(push('wallet', [{ ...goodWallet(), accountType: 'CONTRACT' }]));
    expect(seen).toEqual([]);
    expect(sink.wireErrors).toBe(0);
    expect(log.problems()).toEqual([]);
  });

  it('never marks fills already known (the adapter read them) as new', () => {
    const { feed, seen } = make();
    feed.markFillsSeen([fill('e1', T0)]);
    feed.onPush(push('execution', [goodExecution('e1')]));
    expect(seen).toEqual([]);
  });

  it('logs a malformed execution as an error and a malformed order as a warning, and counts both', () => {
    const { feed, sink, log } = make();
    feed.onPush(push('execution', [{ ...goodExecution('e1'), execQty: 'lots' }]));
    feed.onPush(push('order', [{ ...goodOrder(), qty: 'NaN' }]));
    feed.onPush(push('order', { not: 'a list' }));
    feed.onPush(push('greeks', []));
    expect(sink.wireErrors).toBe(4);
    expect(log.lines.filter((l) => l.message === 'dropped a malformed private message').map((l) => l.level)).toEqual(['error', 'warn', 'warn']);
    expect(log.problems('data is object, not an array')).toHaveLength(1);
    expect(log.problems('ignoring pushes on a topic the private stream did not subscribe to')).toHaveLength(1);
  });

  it('refuses an execution priced outside the instrument band', () => {
    const { feed, seen, log } = make({ priceBand: () => ({ min: 0.1, max: 100 }) });
    feed.onPush(push('execution', [goodExecution('e1')]));
    expect(seen).toEqual([]);
    expect(log.problems('execution e1 execPrice')).toHaveLength(1);
  });

  it('fills a gap from REST: positions first (a position opened meanwhile needs its stop), then recovered fills, open orders, the filled orders looked up, balance', async () => {
    const open: Order[] = [];
    const { feed, seen, calls } = make({
      recentFills: async (_s, stopBefore, pages) => (calls.push(`fills ${String(stopBefore)} ${String(pages)}`), [fill('e1', T0 + 100_000), fill('e2', T0 + 100_001, 'ps-2')]),
      fetchOpenOrders: async () => (calls.push('openOrders'), open),
    });
    feed.markFillsSeen([fill('e0', T0)]);
    feed.fillGap();
    await until(() => calls.includes('balance'), 'a whole gap fill');
    await feed.settled();
    expect(calls).toEqual([`positions ${SYMBOL}`, `fills ${T0 - 60_000} 20`, 'openOrders', 'order ps-1', 'order ps-2', 'balance']);
    expect(seen).toEqual(['fill e1', 'fill e2', 'balance 5']);
    expect(feed.counters()).toMatchObject({ fills: { recovered: 2 }, gapFills: 1, gapFillErrors: 0 });
  });

  it('goes round once more when asked during a fill, and stops going round once closed', async () => {
    let release: () => void = () => undefined;
    const { feed, calls, close } = make({
      recentFills: (_s, stopBefore) => (calls.push(`fills ${String(stopBefore)}`), new Promise<Fill[]>((r) => (release = () => r([])))),
    });
    feed.fillGap();
    await until(() => calls.some((c) => c.startsWith('fills')), 'the first round at its fills');
    feed.fillGap();
    feed.fillGap();
    release();
    await until(() => calls.filter((c) => c.startsWith('fills')).length === 2, 'the second round');
    expect(feed.counters().gapFills, 'three asks during one fill make one more round').toBe(2);
    feed.fillGap();
    close();
    release();
    await feed.settled();
    expect(feed.counters().gapFills, 'closed: no further round').toBe(2);
  });

  it('counts a failed gap fill and logs it', async () => {
    const { feed, log } = make({ fetchBalance: async () => Promise.reject(new Error('boom')) });
    feed.fillGap();
    await feed.settled();
    expect(feed.counters().gapFillErrors).toBe(1);
    expect(log.problems('private gap fill failed', 'boom')).toHaveLength(1);
  });

  it('tries a gap fill that failed on a transient error again, with backoff, until the exchange answers (issue 15)', async () => {
    let failures = 3;
    const { feed, log, seen } = make({
      fetchBalance: async () => {
        if (failures-- > 0) throw new ExchangeError('GET /v5/account/wallet-balance: Bybit retCode 10016: Internal server error.', 'retryable', 10016, 'Internal server error.');
        return { equity: dec(7), walletBalance: dec(7), available: dec(7) };
      },
    });
    feed.fillGap();
    await until(() => seen.includes('balance 7'), 'the balance after the retries', 10_000);
    expect(feed.counters().gapFillErrors).toBe(3);
    const warned = log.problems('private gap fill failed; next try in');
    expect(warned, 'one line per failure, with the next try').toHaveLength(3);
    expect(warned[0]!.text).toContain('Bybit retCode 10016: Internal server error.');
    feed.stop();
  }, 15_000);

  it('does not retry a gap fill whose failure is not transient', async () => {
    let asked = 0;
    const { feed, log } = make({ fetchBalance: async () => (asked++, Promise.reject(new ExchangeError('bad', 'rejected'))) });
    feed.fillGap();
    await feed.settled();
    await new Promise((r) => setTimeout(r, 1200));
    expect(asked).toBe(1);
    expect(log.problems('next try')).toHaveLength(0);
  });
});
