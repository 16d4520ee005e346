/**
 * Confirmed candles reach the engine exactly once and in order, whatever the stream does: a missed
 * confirm is fetched from REST before the next one is delivered, repeats are dropped, and after an
 * outage `catchUp` fetches what closed meanwhile. Candles are the first rows of the real
 * data/bybit-BTCUSDT-1m.csv.gz.
 */
import { describe, expect, it } from 'vitest';
import { readCandleFile } from '../../../src/domain/candleCsv.js';
import type { Candle } from '../../../src/domain/types.js';
import { KlineSequencer, type KlineSource } from '../../../src/exchange/bybit/klineSequencer.js';
import { until } from './fakeBybitWs.js';

const candles = readCandleFile(new URL('../../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url).pathname).slice(0, 40);
const STEP = 60_000;

/** REST as the exchange would answer: everything up to `closedUpTo` is closed. */
function restOf(all: readonly Candle[], state: { closedUpTo: number; failNext: number; calls: number }): KlineSource {
  return {
    between: async (from, to) => {
      state.calls++;
      if (state.failNext > 0) {
        state.failNext--;
        throw new Error('HTTP 503');
      }
      return all.filter((c) => c.ts >= from && c.ts <= to && c.ts <= state.closedUpTo);
    },
    since: async (from) => {
      state.calls++;
      if (state.failNext > 0) {
        state.failNext--;
        throw new Error('HTTP 503');
      }
      return all.filter((c) => c.ts >= from && c.ts <= state.closedUpTo);
    },
  };
}

function setup(afterTs: number | null = null) {
  const state = { closedUpTo: candles[candles.length - 1]!.ts, failNext: 0, calls: 0 };
  const got: { ts: number; confirmed: boolean }[] = [];
  const seq = new KlineSequencer('BTCUSDT', 1, restOf(candles, state), (c, confirmed) => got.push({ ts: c.ts, confirmed }), { afterTs, retryMs: 10 });
  const confirmedTs = () => got.filter((g) => g.confirmed).map((g) => g.ts);
  return { state, got, seq, confirmedTs };
}

describe('KlineSequencer', () => {
  it('passes consecutive confirmed candles straight through and drops repeats', () => {
    const { seq, confirmedTs, state } = setup();
    for (const c of candles.slice(0, 5)) seq.onKline(c, true);
    seq.onKline(candles[2]!, true);
    seq.onKline(candles[4]!, true);
    expect(confirmedTs()).toEqual(candles.slice(0, 5).map((c) => c.ts));
    expect(seq.counters.duplicatesDropped).toBe(2);
    expect(state.calls, 'no REST call when nothing is missing').toBe(0);
  });

  it('fills a missed confirm from REST before delivering the next one', async () => {
    const { seq, confirmedTs } = setup();
    seq.onKline(candles[0]!, true);
    seq.onKline(candles[4]!, true); // 1, 2, 3 were missed by the stream
    seq.onKline(candles[5]!, true); // arrives while REST is being asked
    await until(() => confirmedTs().length === 6, 'six confirmed candles');
    expect(confirmedTs()).toEqual(candles.slice(0, 6).map((c) => c.ts));
    expect(seq.counters.recovered).toBe(3);
  });

  it('retries a failed REST fill and still delivers in order', async () => {
    const { seq, confirmedTs, state } = setup();
    seq.onKline(candles[0]!, true);
    state.failNext = 2;
    seq.onKline(candles[3]!, true);
    await until(() => confirmedTs().length === 4, 'four confirmed candles');
    expect(confirmedTs()).toEqual(candles.slice(0, 4).map((c) => c.ts));
    expect(seq.counters.fillErrors).toBe(2);
  });

  it('catches up after an outage with what closed meanwhile, then resumes from the stream', async () => {
    const { seq, confirmedTs, state } = setup();
    seq.onKline(candles[0]!, true);
    state.closedUpTo = candles[6]!.ts; // the stream was silent while 1..6 closed
    seq.catchUp();
    await until(() => confirmedTs().length === 7, 'caught up');
    seq.onKline(candles[6]!, true); // the stream repeats the last one after reconnecting
    seq.onKline(candles[7]!, true);
    expect(confirmedTs()).toEqual(candles.slice(0, 8).map((c) => c.ts));
  });

  it('starts from the engine’s last candle when told, filling the start from REST', async () => {
    const { seq, confirmedTs } = setup(candles[9]!.ts);
    seq.start();
    seq.onKline(candles[15]!, false);
    seq.onKline(candles[15]!, true);
    await until(() => confirmedTs().length === 30, 'from 10 to the newest closed');
    expect(confirmedTs()[0]).toBe(candles[10]!.ts);
    const ts = confirmedTs();
    expect(ts.every((t, i) => i === 0 || t === ts[i - 1]! + STEP), 'consecutive, no repeats').toBe(true);
  });

  it('passes unconfirmed updates of the forming candle only when nothing is pending', () => {
    const { seq, got } = setup();
    seq.onKline(candles[0]!, true);
    seq.onKline(candles[1]!, false);
    seq.onKline(candles[0]!, false); // stale partial of an already closed candle
    expect(got).toEqual([
      { ts: candles[0]!.ts, confirmed: true },
      { ts: candles[1]!.ts, confirmed: false },
    ]);
  });

  it('counts a slot the exchange itself does not have, and moves on', async () => {
    const holey = candles.filter((_, i) => i !== 2);
    const state = { closedUpTo: candles[10]!.ts, failNext: 0, calls: 0 };
    const got: number[] = [];
    const seq = new KlineSequencer('BTCUSDT', 1, restOf(holey, state), (c, confirmed) => confirmed && got.push(c.ts));
    seq.onKline(candles[0]!, true);
    seq.onKline(candles[4]!, true);
    await until(() => got.length === 4, 'delivered around the hole');
    expect(got).toEqual([candles[0]!.ts, candles[1]!.ts, candles[3]!.ts, candles[4]!.ts]);
    expect(seq.counters.missingOnExchange).toBe(1);
  });
});
