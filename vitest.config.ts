import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 20_000 } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          globalSetup: ['test/e2e/build.global-setup.ts'],
        },
      },
      {
        // Property-based tests over every surface a request or a file reaches (issue 18): thousands of generated
        // cases each, a seed printed on failure (AUTHLAB_FUZZ_SEED replays it, AUTHLAB_FUZZ_SCALE scales the runs).
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 60_000,
          globalSetup: ['test/e2e/build.global-setup.ts'],
        },
      },
    ],
  },
});
