/**
 * `status` shows live performance from the bot's own equity records (issue 23 item 4): max
 * drawdown %, Sharpe and Sortino on hourly returns (DESIGN section 5, annualised by √8760), PnL by
 * exit reason, and an open circuit breaker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStatusCommand } from '../../src/cli/status.js';
import { Journal } from '../../src/state/journal.js';
import { StateStore } from '../../src/state/stateStore.js';
import { memoryIo } from '../helpers/cli.js';

const NOW = Date.parse('2026-11-05T12:00:00Z');
const H = 3_600_000;
const T0 = NOW - 8 * H;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-perf-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// The bot's equity at the end of each hour; hour 3 has no record (it repeats hour 2).
const CURVE: (number | null)[] = [1000, 1004, 998, null, 1003, 990, 995, 1001];

async function seed(): Promise<void> {
  const store = await StateStore.open(join(dir, 'state'), { nowMs: () => NOW - 60_000 });
  store.update((d) => {
    d.mode = 'testnet';
    d.protections.circuitBreaker = { reason: '5 order requests failed in a row (last: 10016 Server error); no new entries or quotes for 60 s, then one is tried', sinceMs: NOW - 10_000, untilMs: NOW + 50_000 };
  });
  await store.close();
  const j = new Journal(join(dir, 'state'));
  for (const [i, e] of CURVE.entries()) if (e !== null) await j.append({ type: 'equity', ts: T0 + i * H + 30 * 60_000, equity: String(e), source: 'bot' });
  const exit = (ts: number, pnl: string, reason: string) => j.append({ type: 'exit', ts, symbol: 'BTCUSDT', side: 'long', entryTs: ts - 600_000, entryPrice: '64000', exitPrice: '64100', qty: '0.01', fees: '0.5', pnl, reason });
  // Closed by its second target.
  await j.append({ type: 'fill', ts: T0 + H, symbol: 'BTCUSDT', execId: 'e1', orderLinkId: 'ps-BTCUSDT-T2-1', orderId: 'o1', side: 'sell', price: '64100', qty: '0.002', fee: '0.01', isMaker: true });
  await exit(T0 + H, '4', 'takeProfit');
  // A stop after the stop moved to breakeven.
  await j.append({ type: 'alert', ts: T0 + 2 * H - 300_000, level: 'trade', kind: 'breakeven', title: 'BTCUSDT stop to breakeven', body: 'Stop moved', symbol: 'BTCUSDT' });
  await exit(T0 + 2 * H, '0.2', 'stopLoss');
  await exit(T0 + 4 * H, '-6', 'stopLoss');
  await exit(T0 + 5 * H, '-13', 'killSwitch');
  await j.close();
}

function expected(): { sharpe: number; sortino: number; ddPct: number; n: number } {
  const eq: number[] = [];
  for (const e of CURVE) eq.push(e ?? eq.at(-1)!);
  const r = eq.slice(1).map((e, i) => e / eq[i]! - 1);
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
  const down = Math.sqrt(r.reduce((a, b) => a + Math.min(b, 0) ** 2, 0) / (r.length - 1));
  let peak = -Infinity;
  let dd = 0;
  for (const e of eq) {
    peak = Math.max(peak, e);
    dd = Math.max(dd, ((peak - e) / peak) * 100);
  }
  // The realised curve (start equity plus each exit's PnL) counts too; the larger fall is shown.
  let realised = eq[0]!;
  peak = realised;
  for (const pnl of [4, 0.2, -6, -13]) {
    realised += pnl;
    peak = Math.max(peak, realised);
    dd = Math.max(dd, ((peak - realised) / peak) * 100);
  }
  return { sharpe: (mean / sd) * Math.sqrt(8760), sortino: (mean / down) * Math.sqrt(8760), ddPct: dd, n: r.length };
}

describe('status: live performance', () => {
  it('text: max drawdown %, hourly Sharpe and Sortino, PnL by exit reason, the circuit breaker', async () => {
    await seed();
    const io = memoryIo({ cwd: dir });
    expect(await createStatusCommand({ nowMs: () => NOW }).run([], io)).toBe(0);
    const text = io.err();
    for (const l of text.trimEnd().split('\n')) expect(l.length, `too wide for a phone: "${l}"`).toBeLessThanOrEqual(50);
    const x = expected();
    expect(text).toContain(`max DD   ${x.ddPct.toFixed(2)} %`);
    expect(text).toContain(`Sharpe   ${x.sharpe.toFixed(2)}, Sortino ${x.sortino.toFixed(2)} (hourly, ${x.n} h)`);
    expect(text).toMatch(/by exit  breakeven: 1, \+0\.20/);
    expect(text).toContain('kill switch: 1, -13.00');
    expect(text).toContain('stop: 1, -6.00');
    expect(text).toContain('target 2: 1, +4.00');
    expect(text).toMatch(/circuit breaker until 2026-11-05 12:00Z:\s+5 order requests failed in a row \(last:\s+10016 Server error\)/);
  });

  it('--json carries the same figures', async () => {
    await seed();
    const io = memoryIo({ cwd: dir });
    expect(await createStatusCommand({ nowMs: () => NOW }).run(['--json'], io)).toBe(0);
    const s = (JSON.parse(io.out()) as { statistics: { sharpe: number; sortino: number; returnHours: number; maxDrawdownPct: number; byReason: { reason: string; trades: number; pnl: number }[] } }).statistics;
    const x = expected();
    expect(s.sharpe).toBeCloseTo(x.sharpe, 9);
    expect(s.sortino).toBeCloseTo(x.sortino, 9);
    expect(s.returnHours).toBe(x.n);
    expect(s.maxDrawdownPct).toBeCloseTo(x.ddPct, 9);
    expect(s.byReason).toContainEqual({ reason: 'target 2', trades: 1, pnl: 4 });
  });
});
