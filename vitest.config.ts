import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests run anywhere in seconds; integration tests share one Temporal
// dev server started by globalSetup (STACK.md §0: the SDK's own 5 s start-up limit is too short
// on a loaded 2-core machine) and get a fresh PostgreSQL database per file.
export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'forks',
          sequence: { groupOrder: 0 },
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          pool: 'forks',
          sequence: { groupOrder: 1 },
          globalSetup: ['test/support/global-setup.ts'],
          // Two files at a time even on 2 cores: most of an integration file's wall time is spent
          // waiting on Temporal and PostgreSQL, and each file has its own database, task queues and
          // time-skipping server, so files cannot see each other.
          maxWorkers: 2,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
