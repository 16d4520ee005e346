/**
 * A filled entry stays on record until its ladder is (found when the mirror account's SIGKILL test
 * failed once under load). Between an entry's fill and the ladder's plan on disk the bot sets the
 * stop on the position, a call to the exchange, and the store's pending writes land meanwhile. A
 * SIGKILL then must leave the restart either the entry among the open orders (the restart looks it
 * up, finds it filled, and protects and ladders what filled) or the ladder's orders: never a
 * position whose ladder nobody will place. A take-profit that reached the exchange before the death
 * is not sent twice (Bybit's 110072 answer, "OrderLinkedID is duplicate", reads as already there).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/types.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineAlert } from '../../src/engine/ports.js';
import { parseOrderLinkId } from '../../src/engine/orderLinkId.js';
import { SimExchange } from '../../src/sim/simExchange.js';
import { LOCK_FILE_NAME } from '../../src/state/stateLock.js';
import { Journal } from '../../src/state/journal.js';
import { StateStore } from '../../src/state/stateStore.js';
import { silentLogger } from '../../src/util/logger.js';
import { BTC_1M, engineSettings, EnterThenExit, SCALPER_SETTINGS, startHarness, type Harness } from './harness.js';

const RISK = { risk: { maxDailyLossPct: 100, maxDrawdownPct: 100, lossStreak: { losses: 1000, cooldownMinutes: 1 }, maxOpenPositions: 1, dayTimeZone: 'UTC' as const } };

interface OnDisk {
  readonly symbols: Record<string, { position: { entryOrderLinkId: string; targets: unknown[] } | null; openOrders: Record<string, { purpose: string }> }>;
}

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe("an entry's fill and its ladder", () => {
  it('keeps the filled entry or the ladder in state.json at every exchange call of the fill', async () => {
    h = await startHarness({ candles: BTC_1M, startIndex: 300, strategy: new EnterThenExit(0.99, 1.02), settings: RISK });
    const harness = h;
    const file = join(harness.dir, 'state.json');
    const seen: OnDisk[] = [];
    const stop = harness.ex.setTradingStop.bind(harness.ex);
    // Bybit answers in tens of milliseconds: the store's pending writes land on disk meanwhile.
    harness.ex.setTradingStop = async (req) => {
      await harness.store.flush();
      seen.push(JSON.parse(readFileSync(file, 'utf8')) as OnDisk);
      return stop(req);
    };
    await harness.play(BTC_1M.slice(300, 306));
    expect(seen.length, 'a stop set on the position at each fill').toBeGreaterThan(0);
    for (const onDisk of seen) {
      const s = onDisk.symbols.BTCUSDT!;
      if (s.position === null) continue;
      const purposes = Object.values(s.openOrders).map((o) => o.purpose);
      const entryKept = s.openOrders[s.position.entryOrderLinkId] !== undefined;
      expect(entryKept || purposes.includes('takeProfit'), `on disk: ${JSON.stringify(s)}`).toBe(true);
    }
  });

  it('a restart from the stop call protects and ladders what filled, and sends nothing twice', async () => {
    await restartAfterDeath('setTradingStop');
  });

  it('a restart after the take-profit went out keeps it and sends it no second time', async () => {
    await restartAfterDeath('target placed');
  });
});

/**
 * Plays real candles until the first entry fills and the process dies, in the stop call of the fill
 * or just after its first take-profit reached the exchange: its state directory is what is left, and
 * the call never returns (that engine is stuck there for good, never closed). A new process (a new
 * SimExchange over the same simulator, the state left on disk) then starts, and must leave the
 * position with its stop and its whole ladder, each order on the exchange once.
 */
async function restartAfterDeath(at: 'setTradingStop' | 'target placed'): Promise<void> {
  const harness = await startHarness({ candles: BTC_1M, startIndex: 300, strategy: new EnterThenExit(0.99, 1.02), settings: RISK });
  const copy = mkdtempSync(join(tmpdir(), 'pocket-ladder-restart-'));
  let playing: Candle | null = null;
  const died = new Promise<void>((resolve) => {
    const die = async (): Promise<never> => {
      await harness.store.flush();
      cpSync(harness.dir, copy, { recursive: true, filter: (src) => !src.endsWith(LOCK_FILE_NAME) });
      resolve();
      return new Promise<never>(() => {});
    };
    if (at === 'setTradingStop') {
      harness.ex.setTradingStop = die;
    } else {
      const place = harness.ex.placeOrder.bind(harness.ex);
      harness.ex.placeOrder = async (req) => {
        const answer = await place(req);
        return parseOrderLinkId('ps', req.orderLinkId)?.role.kind === 'target' ? die() : answer;
      };
    }
  });
  void (async () => {
    for (const c of BTC_1M.slice(300, 306)) {
      playing = c;
      await harness.play([c]);
    }
  })();
  await died;
  const onDisk = JSON.parse(readFileSync(join(copy, 'state.json'), 'utf8')) as OnDisk;
  const entryLinkId = onDisk.symbols.BTCUSDT!.position!.entryOrderLinkId;
  const stamp = parseOrderLinkId('ps', entryLinkId)!.stampMs;
  expect(harness.sim.position('BTCUSDT').side, 'the entry filled on the exchange').toBe('buy');

  const port = new SimExchange(harness.sim, { history: async (_s, _i, sinceMs, limit) => BTC_1M.filter((c) => c.ts >= sinceMs && c.ts < playing!.ts).slice(-limit) });
  const clock = playing!.ts + 60_000;
  const store = await StateStore.open(copy, { nowMs: () => clock });
  const journal = new Journal(copy, { durability: 'write' });
  const alerts: EngineAlert[] = [];
  const engine = new Engine(
    { port, store, journal, alerts: { send: (a) => alerts.push(a) }, logger: silentLogger, now: () => clock, strategies: new Map([['BTCUSDT', new EnterThenExit(0.99, 1.02)]]) },
    engineSettings([SCALPER_SETTINGS], RISK),
  );
  try {
    await engine.start();
    await engine.idle();
    const ladder = (o: { orderLinkId: string }): boolean => {
      const id = parseOrderLinkId('ps', o.orderLinkId);
      return id?.role.kind === 'target' && id.stampMs === stamp;
    };
    expect(harness.sim.openOrders('BTCUSDT').filter(ladder).length, 'the ladder of what filled is on the exchange').toBe(onDisk.symbols.BTCUSDT!.position!.targets.length);
    const sent = harness.sim.orders('BTCUSDT').filter(ladder).map((o) => o.orderLinkId);
    expect(new Set(sent).size, 'each take-profit sent once').toBe(sent.length);
    for (const id of sent) expect(store.state.symbols.BTCUSDT!.openOrders[id]?.purpose, `the bot keeps ${id} on record`).toBe('takeProfit');
    expect(harness.sim.position('BTCUSDT').stopLoss, 'with its stop').not.toBeNull();
    expect(harness.sim.orders('BTCUSDT').filter((o) => o.orderLinkId === entryLinkId), 'the entry was not sent again').toHaveLength(1);
    expect(store.state.symbols.BTCUSDT!.openOrders[entryLinkId], 'and is off the record once laddered').toBeUndefined();
    // The take-profit that reached the exchange before the death is adopted, and said so; nothing else.
    const adopted = at === 'target placed' ? [`Reconciled 1 difference(s): BTCUSDT: adopted open order ${sent[0]}`] : [];
    expect(alerts.filter((a) => a.level === 'warning' || a.level === 'critical').map((a) => `${a.title}: ${a.body}`)).toEqual(adopted);
  } finally {
    await engine.stop();
    await store.close();
    await journal.close();
    rmSync(copy, { recursive: true, force: true });
    rmSync(harness.dir, { recursive: true, force: true });
  }
}
