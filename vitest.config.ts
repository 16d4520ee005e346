import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Many suites start loopback servers and subprocesses; two workers match the 2-core CI machine.
    maxWorkers: 2,
  },
});
