/**
 * An entry's plan is durable before its order leaves (DESIGN section 1): at the moment the exchange
 * is asked to place the entry, state.json on disk already names it with its stop and targets, the
 * file's new bytes were fsynced before they replaced it, and the directory was fsynced after the
 * rename. So a SIGKILL or a power cut at any instant after the order left finds it in the restart's
 * state, and the order is not sent again. Exits are not held up by a write (a repeated exit is
 * refused as reduce-only).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderRequest } from '../../src/engine/exchangePort.js';
import { recordFsCalls, type FsCall, type FsRecorder } from '../helpers/fsCalls.js';
import { BTC_1M, EnterThenExit, startHarness, type Harness } from './harness.js';

interface Sent {
  readonly req: OrderRequest;
  readonly onDisk: unknown;
  readonly callsBefore: readonly FsCall[];
}

let h: Harness | null = null;
let fs: FsRecorder | null = null;
afterEach(async () => {
  fs?.restore();
  await h?.close();
  h = null;
  fs = null;
});

describe('an entry leaves only once its plan is durable in state.json', () => {
  it('finds the plan on disk, fsynced and renamed, with the directory fsynced, when each entry is placed', async () => {
    h = await startHarness({ candles: BTC_1M, startIndex: 300, strategy: new EnterThenExit(0.99, 1.02), settings: { risk: { maxDailyLossPct: 100, maxDrawdownPct: 100, lossStreak: { losses: 1000, cooldownMinutes: 1 }, maxOpenPositions: 1, dayTimeZone: 'UTC' } } });
    const harness = h;
    const file = join(harness.dir, 'state.json');
    fs = recordFsCalls();
    const recorder = fs;
    const sent: Sent[] = [];
    const place = harness.ex.placeOrder.bind(harness.ex);
    harness.ex.placeOrder = (req) => {
      sent.push({ req, onDisk: JSON.parse(readFileSync(file, 'utf8')), callsBefore: [...recorder.calls] });
      return place(req);
    };
    await harness.play(BTC_1M.slice(300, 306));

    const entries = sent.filter((s) => s.req.orderLinkId.includes('-EL-'));
    expect(entries.length, 'an entry on every other candle').toBe(3);
    for (const { req, onDisk, callsBefore } of entries) {
      const s = (onDisk as { symbols: Record<string, { position: { entryOrderLinkId: string; stop: { price: string }; targets: unknown[] } | null; openOrders: Record<string, { purpose: string }> }> }).symbols.BTCUSDT!;
      expect(s.position?.entryOrderLinkId, 'state.json on disk names the entry').toBe(req.orderLinkId);
      expect(s.position?.stop.price).toBe(req.stopLoss!.toFixed());
      expect(s.position?.targets.length).toBe(1);
      expect(s.openOrders[req.orderLinkId]?.purpose).toBe('entry');
      // The last write of state.json before the order: every step done, in the safe order.
      const renamed = callsBefore.map((c, i) => ({ c, i })).filter(({ c }) => c.op === 'rename' && c.to === file).at(-1)!;
      const temp = renamed.c.path;
      const tempSteps = callsBefore.filter((c) => c.path === temp).map((c) => c.op);
      expect(tempSteps, 'the new bytes were on the storage before the rename').toEqual(['open', 'write', 'fsync', 'fsynced', 'close', 'rename']);
      const after = callsBefore.slice(renamed.i + 1).filter((c) => c.path === harness.dir).map((c) => c.op);
      expect(after, 'the directory was fsynced after the rename, before the order').toEqual(['open', 'fsync', 'fsynced', 'close']);
    }
  });
});
