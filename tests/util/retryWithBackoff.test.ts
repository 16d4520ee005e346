/** retryWithBackoff: waits out retryable failures with growing, capped, jittered delays (issue 15). */
import { describe, expect, it } from 'vitest';
import { retryWithBackoff, WAIT_POLICY, type Wait } from '../../src/util/retryWithBackoff.js';

class Transient extends Error {
  override name = 'Transient';
}

function failing(times: number, err: () => Error = () => new Transient('503')): () => Promise<string> {
  let n = 0;
  return async () => {
    if (n++ < times) throw err();
    return 'answer';
  };
}

const base = {
  retryable: (e: unknown) => e instanceof Transient,
  describe: (e: unknown) => (e instanceof Error ? e.message : String(e)),
  // The top of each jitter range, and no real waiting.
  random: () => 0.999999,
  sleep: async () => {},
};

describe('retryWithBackoff', () => {
  it('retries until the step answers, one wait per failure, delays growing and capped at a minute', async () => {
    const waits: Wait[] = [];
    let recovered = 0;
    const v = await retryWithBackoff('fill catch-up', failing(9), { ...base, onWait: (w) => waits.push(w), onRecovered: (_s, n) => (recovered = n) });
    expect(v).toBe('answer');
    expect(waits.map((w) => w.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(waits.map((w) => Math.round(w.delayMs / 1000))).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(Math.max(...waits.map((w) => w.delayMs))).toBeLessThanOrEqual(WAIT_POLICY.maxMs);
    expect(waits[0]).toMatchObject({ step: 'fill catch-up', error: '503' });
    expect(recovered, 'the answer came on the tenth try').toBe(10);
  });

  it('throws a failure that waiting cannot fix at once, without waiting', async () => {
    const waits: Wait[] = [];
    await expect(retryWithBackoff('instruments', failing(1, () => new Error('unknown symbol')), { ...base, onWait: (w) => waits.push(w) })).rejects.toThrow('unknown symbol');
    expect(waits).toHaveLength(0);
  });

  it('stops waiting when aborted (shutdown) and throws the last failure', async () => {
    const ctrl = new AbortController();
    let tries = 0;
    const run = async (): Promise<string> => {
      if (++tries === 3) ctrl.abort();
      throw new Transient(`try ${tries}`);
    };
    await expect(retryWithBackoff('reconciliation', run, { ...base, signal: ctrl.signal, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))) })).rejects.toThrow('try 3');
    expect(tries).toBe(3);
  });

  it('gives up after maxTotalWaitMs of waiting when told to (runtime reads)', async () => {
    const waits: Wait[] = [];
    await expect(retryWithBackoff('warm-up', failing(100), { ...base, maxTotalWaitMs: 10_000, onWait: (w) => waits.push(w) })).rejects.toThrow('503');
    expect(waits.reduce((s, w) => s + w.delayMs, 0)).toBeLessThanOrEqual(10_000);
    expect(waits.length).toBeGreaterThan(1);
  });

  it('a real wait lasts about the delay it announced, with jitter in the range', async () => {
    const waits: Wait[] = [];
    const t0 = Date.now();
    await retryWithBackoff('leverage', failing(1), { retryable: base.retryable, describe: base.describe, random: () => 0, onWait: (w) => waits.push(w) });
    expect(waits[0]!.delayMs, 'full jitter never below minMs').toBe(WAIT_POLICY.minMs);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(WAIT_POLICY.minMs - 20);
  });
});
