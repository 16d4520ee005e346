/**
 * The V8 flags a command sets for itself (src/util/commandV8Flags.ts). A backtest: its young
 * generation stays at its size when the command starts, and Maglev is off (BENCHMARKS.md,
 * "Backtest memory"). `run`: JavaScript compiled no further than V8's baseline tier, which keeps
 * the optimising compilers' worker threads from taking the core of an order on its way
 * (BENCHMARKS.md, "Latency"). A user who chose any of these with node's own options keeps their
 * choice. The built bundle runs as a user runs it, with a `--require` hook in NODE_OPTIONS that
 * records the V8 flags the bot sets and the young generation's size then and at exit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestMemoryFlags, runTierFlags } from '../../src/util/commandV8Flags.js';
import { cleanEnv, runBot } from '../helpers/cli.js';
import { replayUntil, writeReplayHome } from '../helpers/replayHome.js';

const BTC_1M = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));

const HOOK = `
const v8 = require('node:v8');
const { syncBuiltinESMExports } = require('node:module');
const { writeFileSync } = require('node:fs');
const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const atStart = young();
const seen = { flags: [], atFlags: null };
const set = v8.setFlagsFromString;
const write = () => writeFileSync(process.env.YOUNG_OUT, JSON.stringify({ ...seen, atStart, atExit: young() }));
v8.setFlagsFromString = (flags) => {
  seen.flags.push(flags);
  seen.atFlags = young();
  set(flags);
  write();
};
syncBuiltinESMExports();
process.on('exit', write);
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-young-'));
  writeFileSync(join(dir, 'young.cjs'), HOOK);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Young {
  readonly flags: string[];
  /** The young generation's size (bytes) when the bot set its flags, at start-up and at exit. */
  readonly atFlags: number | null;
  readonly atStart: number;
  readonly atExit: number;
}

async function youngGeneration(args: readonly string[], nodeOptions = ''): Promise<Young> {
  const out = join(dir, `young-${Math.random().toString(36).slice(2)}.json`);
  const r = await runBot(args, { cwd: dir, env: { NODE_OPTIONS: `--require ${join(dir, 'young.cjs')} ${nodeOptions}`, YOUNG_OUT: out }, timeoutMs: 120_000 });
  // V8 names a flag it does not know on stdout.
  expect(r.stdout + r.stderr).not.toMatch(/unrecognized flag/);
  expect(r.stderr).not.toMatch(/error:/);
  expect(r.code).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8')) as Young;
}

describe('the young generation of a backtest', () => {
  it('stays at its size from the start of the command through a month of real 1m candles', async () => {
    const y = await youngGeneration(['backtest', '--data', BTC_1M, '--symbol', 'BTCUSDT', '--state-dir', join(dir, 'state-a')]);
    expect(y.flags).toEqual(['--semi-space-growth-factor=1', '--no-maglev']);
    expect(y.atExit).toBe(y.atFlags);
    // Set before the candles, not after: left to grow, a month took it from 1 to 8 MB (Node 20).
    // Held, it ends at 2 MB, or 4 MB for a test build, which node compiles twice before the bot
    // starts (no package.json beside it says it is a module).
    expect(y.atExit).toBeLessThan(8 * y.atStart);
  });

  it("grows as V8 grows it when the user sizes it with node's own option", async () => {
    const y = await youngGeneration(['backtest', '--data', BTC_1M, '--symbol', 'BTCUSDT', '--state-dir', join(dir, 'state-b')], '--max-semi-space-size=8');
    expect(y.flags).toEqual(['--no-maglev']);
    expect(y.atExit).toBeGreaterThanOrEqual(8 * y.atStart);
  });

  it('is left to V8 by signals (slower with it held) and by the commands other than backtest', async () => {
    const signals = await youngGeneration(['signals', '--data', BTC_1M]);
    expect(signals.flags).toEqual([]);
    expect(signals.atExit).toBeGreaterThan(signals.atStart);
    expect((await youngGeneration(['--version'])).flags).toEqual([]);
    expect((await youngGeneration(['--help'])).flags).toEqual([]);
  });
});

describe('the trading process', () => {
  /** `run --replay` of a real BTCUSDT 1m slice until it decides from a candle, then SIGTERM. */
  async function replay(nodeArgs: readonly string[]): Promise<{ flags: string[]; output: string; code: number | null }> {
    const home = mkdtempSync(join(dir, 'run-'));
    const file = writeReplayHome(home, 260);
    const out = join(home, 'flags.json');
    const env = cleanEnv({ NODE_OPTIONS: `--require ${join(dir, 'young.cjs')}`, YOUNG_OUT: out });
    const { output, code } = await replayUntil({ home, file, nodeArgs, env, done: (text) => /deciding from the candle of/.test(text) });
    return { flags: (JSON.parse(readFileSync(out, 'utf8')) as Young).flags, output, code };
  }

  it('run compiles no further than the baseline tier, and decides from the replayed candles', async () => {
    // V8's --trace-opt prints a line for each function an optimising compiler finishes.
    const r = await replay(['--trace-opt']);
    expect(r.flags).toEqual(['--no-maglev', '--no-turbofan', '--no-concurrent-sparkplug']);
    expect(r.output).not.toMatch(/unrecognized flag/);
    expect(r.output).not.toMatch(/completed (optimizing|compiling)/);
    expect(r.code, r.output.slice(-2000)).toBe(0);
  });

  it("keeps the user's own choice of compiler tiers", async () => {
    const r = await replay(['--max-opt=3', '--trace-opt']);
    expect(r.flags).toEqual([]);
    expect(r.output).toMatch(/completed (optimizing|compiling)/);
    expect(r.code, r.output.slice(-2000)).toBe(0);
  });
});

describe('runTierFlags', () => {
  it('caps V8 at its baseline compiler when node was given no choice of tiers', () => {
    expect(runTierFlags([], undefined)).toEqual(['--no-maglev', '--no-turbofan', '--no-concurrent-sparkplug']);
    expect(runTierFlags(['--enable-source-maps'], '--require /tmp/opt_hook.cjs --max-old-space-size=200 --optimize-for-size --maglev-inlining')).toEqual(['--no-maglev', '--no-turbofan', '--no-concurrent-sparkplug']);
  });

  it("leaves the user's own choice of tiers alone, spelt with - or _", () => {
    for (const given of ['--max-opt=3', '--max_opt=2', '--turbofan', '--no-opt', '--maglev', '--no_maglev', '--sparkplug', '--concurrent-sparkplug', '--no_concurrent_sparkplug', '--jitless', '--lite-mode']) {
      expect(runTierFlags([given], undefined)).toEqual([]);
      expect(runTierFlags([], given)).toEqual([]);
    }
  });
});

describe('backtestMemoryFlags', () => {
  it('holds the young generation and turns Maglev off when node was given neither', () => {
    expect(backtestMemoryFlags([], undefined)).toEqual(['--semi-space-growth-factor=1', '--no-maglev']);
    expect(backtestMemoryFlags(['--enable-source-maps'], '--require /tmp/hook_file.cjs --max-old-space-size=200 --maglev-inlining')).toEqual(['--semi-space-growth-factor=1', '--no-maglev']);
  });

  it("leaves the user's own young-generation options alone, spelt with - or _", () => {
    for (const given of ['--max-semi-space-size=4', '--max_semi_space_size=4', '--min-semi-space-size=2', '--semi-space-growth-factor=4', '--minor-ms']) {
      expect(backtestMemoryFlags([given], undefined)).toEqual(['--no-maglev']);
      expect(backtestMemoryFlags([], given)).toEqual(['--no-maglev']);
    }
  });

  it("leaves the user's own choice of Maglev alone", () => {
    expect(backtestMemoryFlags(['--maglev'], undefined)).toEqual(['--semi-space-growth-factor=1']);
    expect(backtestMemoryFlags([], '--no_maglev --max-semi-space-size=2')).toEqual([]);
  });
});
