import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStatusCommand, statusCommand } from '../../src/cli/status.js';
import { Dec } from '../../src/domain/money.js';
import { Journal } from '../../src/state/journal.js';
import { symbolDraft } from '../../src/domain/persistedState.js';
import { StateStore } from '../../src/state/stateStore.js';
import { memoryIo } from '../helpers/cli.js';

const NOW = Date.parse('2026-11-05T12:00:00Z');
const DAY_START = Date.parse('2026-11-05T00:00:00Z');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-status-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A bot that holds a long BTCUSDT position with a stop and a 3-rung TP ladder, one rung hit. */
async function seed(): Promise<void> {
  const store = await StateStore.open(join(dir, 'state'), { nowMs: () => NOW - 120_000 });
  store.update((d) => {
    d.mode = 'paper';
    d.lastClock = { measuredAtMs: NOW - 300_000, ok: true, source: 'ntp', offsetMs: 12.5, trusted: true };
    const btc = symbolDraft(d, 'BTCUSDT');
    btc.position = {
      side: 'long',
      size: '0.015',
      entryPrice: '64000.5',
      openedMs: NOW - 3_600_000,
      entryOrderLinkId: 'ps-btc-1-entry',
      stop: { price: '63500', orderLinkId: 'ps-btc-1-sl', orderId: 'b-2' },
      targets: [
        { price: '64500', qty: '0.005', filled: true, orderLinkId: 'ps-btc-1-tp1', orderId: 'b-3' },
        { price: '65000', qty: '0.005', filled: false, orderLinkId: 'ps-btc-1-tp2', orderId: 'b-4' },
        { price: '65500', qty: '0.005', filled: false, orderLinkId: 'ps-btc-1-tp3', orderId: 'b-5' },
      ],
    };
    btc.openOrders['ps-btc-1-tp2'] = { orderLinkId: 'ps-btc-1-tp2', orderId: 'b-4', side: 'sell', type: 'limit', purpose: 'takeProfit', status: 'new', price: '65000', qty: '0.005', filledQty: '0', reduceOnly: true, createdMs: NOW - 3_600_000 };
    symbolDraft(d, 'ETHUSDT').cooldownUntilMs = NOW + 600_000;
    // An expired lock is not "in force"; the drawdown one is.
    d.protections.consecutiveLoss = { reason: '3 losses in a row', sinceMs: NOW - 7_200_000, untilMs: NOW - 3_600_000 };
    d.protections.drawdown = { reason: 'equity 15.2 % below its peak (limit 15 %)', sinceMs: NOW - 60_000, untilMs: null };
    d.daily = { dayStartMs: DAY_START, realisedPnl: '-12', botEquityAtDayStart: '1000' };
  });
  await store.close();
  const journal = new Journal(join(dir, 'state'));
  await journal.append({ type: 'equity', ts: NOW - 5 * 86_400_000, equity: '1000', source: 'paper' });
  const exit = (ts: number, pnl: string) =>
    journal.append({ type: 'exit', ts, symbol: 'BTCUSDT', side: 'long', entryTs: ts - 60_000, entryPrice: '64000', exitPrice: '64100', qty: '0.01', fees: '0.5', pnl, reason: 'stopLoss' });
  await exit(NOW - 3 * 86_400_000, '20');
  await exit(NOW - 2 * 86_400_000, '-8');
  await exit(NOW - 3_600_000, '-12');
  await journal.close();
}

const inputs = { nowMs: () => NOW, maxDailyLossPct: 3, unrealisedPnl: async (symbol: string) => (symbol === 'BTCUSDT' ? new Dec('7.5') : null) };

describe('status', () => {
  it('text: fits a 50-column phone screen and shows position, orders, protections, today and statistics', async () => {
    await seed();
    const io = memoryIo({ cwd: dir });
    expect(await createStatusCommand(inputs).run([], io)).toBe(0);
    expect(io.out(), 'human text goes to stderr').toBe('');
    const text = io.err();
    const lines = text.trimEnd().split('\n');
    for (const l of lines) expect(l.length, `too wide for a phone: "${l}"`).toBeLessThanOrEqual(50);
    expect(text).toContain('mode     paper');
    expect(text).toContain('clock    trusted, +12.5 ms, 5 min ago');
    expect(text).toContain('drawdown: equity 15.2 % below its peak');
    expect(text, 'an expired protection is not shown').not.toContain('3 losses');
    expect(text).toContain('long 0.015 @ 64000.5');
    expect(text).toContain('stop 63500, TP 1/3 hit');
    expect(text).toContain('uPnL   +7.50');
    expect(text).toContain('takeProfit sell 0.005 @ 65000 new');
    expect(text).toContain('ETHUSDT');
    expect(text).toContain('until 2026-11-05 12:10Z');
    // Day limit: 3 % of 1000 = 30; -12 used 40 % of it.
    expect(text).toContain('today    -12.00, limit -30.00 (40 % used)');
    expect(text).toContain('trades   3: 1 won, 2 lost (33.3 %)');
    // Equity 1000 → 1020 → 1012 → 1000: fall 20 from 1020 = 1.96 %.
    expect(text).toContain('max DD   1.96 %');
    expect(text).toContain('bot      not running');
  });

  it('--json: one document on stdout with the same facts as numbers', async () => {
    await seed();
    const io = memoryIo({ cwd: dir });
    expect(await createStatusCommand(inputs).run(['--json', '--state-dir', 'state'], io)).toBe(0);
    expect(io.err()).toBe('');
    const doc = JSON.parse(io.out());
    expect(doc.mode).toBe('paper');
    expect(doc.clock).toEqual({ trusted: true, measured: true, offsetMs: 12.5, measuredAtMs: NOW - 300_000, reasons: [] });
    expect(doc.symbols[0]).toMatchObject({ symbol: 'BTCUSDT', position: { side: 'long', size: 0.015, entryPrice: 64000.5, stopPrice: 63500, targetsFilled: 1, targets: 3, unrealisedPnl: 7.5 } });
    expect(doc.symbols[0].openOrders[0]).toMatchObject({ orderLinkId: 'ps-btc-1-tp2', orderId: 'b-4', price: 65000, qty: 0.005 });
    expect(doc.symbols[1]).toMatchObject({ symbol: 'ETHUSDT', position: null, cooldownUntilMs: NOW + 600_000 });
    expect(doc.protections.map((p: { name: string }) => p.name)).toEqual(['drawdown']);
    expect(doc.today).toEqual({ dayStartMs: DAY_START, realisedPnl: -12, stale: false, lossLimit: -30, limitUsedPct: 40 });
    expect(doc.statistics).toMatchObject({ trades: 3, wins: 1, losses: 2, netPnl: 0, fees: 1.5, bestPnl: 20, worstPnl: -12, maxDrawdown: 20 });
    expect(doc.statistics.maxDrawdownPct).toBeCloseTo((20 / 1020) * 100, 10);
    expect(doc.journalProblems).toEqual([]);
  });

  it('without the exchange, unrealised PnL is unknown, not guessed; a running bot is named', async () => {
    await seed();
    const store = await StateStore.open(join(dir, 'state'));
    try {
      const io = memoryIo({ cwd: dir });
      expect(await statusCommand.run(['--json'], io)).toBe(0);
      const doc = JSON.parse(io.out());
      expect(doc.symbols[0].position.unrealisedPnl).toBeNull();
      expect(doc.running.pid, 'status reads without taking the lock').toBe(process.pid);
      const text = memoryIo({ cwd: dir });
      await statusCommand.run([], text);
      expect(text.err()).toContain('  uPnL   unknown (needs the exchange)');
    } finally {
      await store.close();
    }
  });

  it('a damaged state file: exit 1, says which file and what is wrong, names the backup', async () => {
    await seed();
    const store = await StateStore.open(join(dir, 'state'));
    const backup = await store.backupNow();
    await store.close();
    writeFileSync(join(dir, 'state', 'state.json'), '{"schemaVersion": 2,');
    const io = memoryIo({ cwd: dir });
    expect(await statusCommand.run([], io)).toBe(1);
    expect(io.err()).toContain(join(dir, 'state', 'state.json'));
    expect(io.err()).toContain('line 1, column 21');
    expect(io.err()).toContain(backup);
    const json = memoryIo({ cwd: dir });
    expect(await statusCommand.run(['--json'], json)).toBe(1);
    expect(JSON.parse(json.out()).error).toMatchObject({ name: 'StateFileError', problem: 'syntax', newestBackup: backup });
  });

  it('a fresh directory: no state yet, exit 0', async () => {
    const io = memoryIo({ cwd: dir });
    expect(await statusCommand.run(['--state-dir', 'nothing-here'], io)).toBe(0);
    expect(io.err()).toContain('no state yet');
  });
});

describe('status with config.json: the daily limit from the config, unrealised PnL from the exchange', () => {
  it('asks the exchange (here the sandbox on loopback) for the mark price, and --offline does not', async () => {
    const { startSandbox } = await import('../../src/sandbox/startSandbox.js');
    const { fetchMarkPrice } = await import('../../src/exchange/bybit/markPrice.js');
    const sandbox = await startSandbox({ data: [new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url).pathname] });
    try {
      await seed();
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ exchange: { restUrl: sandbox.restUrl }, risk: { maxDailyLossPct: 2 }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }));
      const mark = await fetchMarkPrice(sandbox.restUrl, 'BTCUSDT');
      const io = memoryIo({ cwd: dir });
      expect(await createStatusCommand({ nowMs: () => NOW }).run(['--json'], io)).toBe(0);
      const doc = JSON.parse(io.out()) as { symbols: { symbol: string; position: { unrealisedPnl: number | null } | null }[]; today: { limit: number | null } };
      const btc = doc.symbols.find((s) => s.symbol === 'BTCUSDT')!;
      // (mark − 64000.5) × 0.015 for the seeded long.
      expect(btc.position!.unrealisedPnl).toBeCloseTo(mark.minus('64000.5').mul('0.015').toNumber(), 8);
      expect(JSON.stringify(doc)).toMatch(/"lossLimit":-20\b/); // 2 % of the 1000 USDT equity at day start

      const offline = memoryIo({ cwd: dir });
      expect(await createStatusCommand({ nowMs: () => NOW }).run(['--json', '--offline'], offline)).toBe(0);
      const doc2 = JSON.parse(offline.out()) as { symbols: { symbol: string; position: { unrealisedPnl: number | null } | null }[] };
      expect(doc2.symbols.find((s) => s.symbol === 'BTCUSDT')!.position!.unrealisedPnl).toBeNull();
    } finally {
      await sandbox.close();
    }
  });
});
