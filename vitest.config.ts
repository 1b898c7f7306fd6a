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
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
