/**
 * `run` collects its start-up garbage once, 10 s after it reports running (src/util/startUpGarbage.ts;
 * BENCHMARKS.md, "Memory"). The built bundle runs a replay of real BTCUSDT candles as a user runs
 * it, with a `--require` hook that watches V8's collections through perf_hooks and writes what it
 * saw at exit: a forced collection is one a program asked for, which V8 never makes on its own.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectGarbageOnce, START_UP_GC_DELAY_MS } from '../../src/util/startUpGarbage.js';
import { cleanEnv } from '../helpers/cli.js';
import { replayUntil, writeReplayHome, type ReplayRun } from '../helpers/replayHome.js';

const HOOK = `
const { PerformanceObserver, performance, constants } = require('node:perf_hooks');
const { writeFileSync } = require('node:fs');
const seen = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    seen.push({ atMs: performance.timeOrigin + e.startTime, major: e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR, forced: (e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0 });
  }
}).observe({ entryTypes: ['gc'] });
process.on('exit', () => writeFileSync(process.env.GC_OUT, JSON.stringify({ seen, gcOnGlobal: typeof globalThis.gc })));
`;

interface Seen {
  readonly seen: { atMs: number; major: boolean; forced: boolean }[];
  readonly gcOnGlobal: string;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-startgc-'));
  writeFileSync(join(dir, 'gc.cjs'), HOOK);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Replay = Seen & ReplayRun;

/** The built bundle's `run --replay` of 400 real candles, under the hook, until 3 s past the collection's due time; then SIGTERM. */
async function replay(nodeArgs: readonly string[]): Promise<Replay> {
  const home = mkdtempSync(join(dir, 'run-'));
  const file = writeReplayHome(home, 400);
  const out = join(home, 'gc.json');
  const env = cleanEnv({ NODE_OPTIONS: `--require ${join(dir, 'gc.cjs')}`, GC_OUT: out });
  const run = await replayUntil({ home, file, nodeArgs, env, done: (_output, runningAt) => Date.now() >= runningAt + START_UP_GC_DELAY_MS + 3000 });
  return { ...(JSON.parse(readFileSync(out, 'utf8')) as Seen), ...run };
}

describe('run after start-up', () => {
  it('makes one full collection 10 s after it reports running, and leaves no gc function to the program', async () => {
    const r = await replay([]);
    expect(r.code, r.output.slice(-2000)).toBe(0);
    const forced = r.seen.filter((e) => e.forced);
    expect(forced).toHaveLength(1);
    expect(forced[0]!.major).toBe(true);
    expect(forced[0]!.atMs - r.runningAt).toBeGreaterThan(START_UP_GC_DELAY_MS - 1000);
    expect(forced[0]!.atMs - r.runningAt).toBeLessThan(START_UP_GC_DELAY_MS + 2500);
    expect(r.gcOnGlobal).toBe('undefined');
    expect(r.output).toMatch(/deciding from the candle of/);
  }, 90_000);

  it("keeps trading under the user's own node --expose-gc-as, and leaves that choice alone", async () => {
    // V8 then names the function `collect`, not `gc`: the bot finds none to call and collects nothing.
    const r = await replay(['--expose-gc-as=collect']);
    expect(r.code, r.output.slice(-2000)).toBe(0);
    expect(r.output).not.toMatch(/ReferenceError|uncaught/i);
    expect(r.seen.filter((e) => e.forced)).toHaveLength(0);
  }, 90_000);
});

describe('collectGarbageOnce', () => {
  it('collects in a process started without --expose-gc, and the global gets no gc', () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    expect(collectGarbageOnce()).toBe(true);
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
  });
});
