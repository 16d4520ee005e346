import { describe, expect, it } from 'vitest';
import { WORKER_PEAK_MB, workerPlan } from '../../src/cli/backtestJobs.js';

const MB = 2 ** 20;

describe('how many sweep workers a phone gets (issue 21)', () => {
  it('one per core while the free memory holds them, and the line says how many would fit', () => {
    expect(WORKER_PEAK_MB).toBeLessThanOrEqual(50);
    const oneGb = workerPlan(20, 8, 1024 * MB);
    expect(oneGb.workers).toBe(8);
    expect(oneGb.why).toBe(`8 core(s), 1,024 MB free memory: room for ${Math.floor(1024 / WORKER_PEAK_MB)} worker(s) of about ${WORKER_PEAK_MB} MB`);
    expect(workerPlan(20, 8, 2048 * MB).workers).toBe(8);
    expect(workerPlan(3, 8, 2048 * MB).workers).toBe(3);
  });

  it('fewer workers than cores when the memory is short, never none', () => {
    expect(workerPlan(20, 8, 200 * MB).workers).toBe(Math.floor(200 / WORKER_PEAK_MB));
    expect(workerPlan(20, 8, 10 * MB).workers).toBe(1);
  });
});
