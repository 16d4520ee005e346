/**
 * The kill switch in a backtest (issue 23 item 1): the same rule as live. With
 * `risk.killSwitchDrawdownPct` set, the trade open when the bot's equity falls that far below its
 * peak is closed with exit reason `killSwitch`, and nothing opens after it; unset, nothing changes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, runBot } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-kill-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ mode: 'paper', symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Trade { readonly entryTs: number; readonly exitTs: number; readonly exitReason: string; readonly pnl: number }
async function backtest(...sets: string[]): Promise<{ trades: Trade[]; stderr: string }> {
  const out = join(dir, 'out.json');
  const r = await runBot(['backtest', '--data', join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz'), ...sets.flatMap((s) => ['--set', s]), '--json', out], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return { trades: (JSON.parse(readFileSync(out, 'utf8')) as { trades: Trade[] }).trades, stderr: r.stderr };
}

describe('backtest: the kill switch', () => {
  it('closes the open trade with exitReason killSwitch when the bot equity falls past the limit, and nothing opens after it', async () => {
    const { trades, stderr } = await backtest('risk.maxDrawdownPct=0.5', 'risk.killSwitchDrawdownPct=0.8', 'risk.lossStreak.losses=50');
    const k = trades.findIndex((t) => t.exitReason === 'killSwitch');
    expect(k, trades.map((t) => t.exitReason).join(',')).toBeGreaterThanOrEqual(0);
    expect(trades.slice(k + 1), 'no trade after the kill switch').toEqual([]);
    expect(stderr).toMatch(/kill switch/i);
  }, 60_000);

  it('off by default, and a limit not above maxDrawdownPct is refused', async () => {
    const { trades } = await backtest();
    expect(trades.some((t) => t.exitReason === 'killSwitch')).toBe(false);
    const bad = await runBot(['config', 'check', '--set', 'risk.killSwitchDrawdownPct=10'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/killSwitchDrawdownPct above risk.maxDrawdownPct/);
  }, 60_000);
});
