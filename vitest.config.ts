import { defineConfig } from 'vitest/config';

// Unit, service and whole-host tests (real broker, real processes, real SQLite). Browser specs live in e2e/*.spec.ts.
export default defineConfig({
  test: {
    include: ['services/**/*.test.ts', 'electron/**/*.test.ts', 'e2e/**/*.test.ts', 'renderer/src/**/*.test.ts', 'build/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // 2-core machines: a few files at a time; each spins up brokers and processes.
    maxWorkers: 2,
    reporters: ['default'],
    // services under test log JSON lines; keep the run readable (a test that needs logs sets its own logger)
    env: { ALICIA_LOG_LEVEL: 'error' },
  },
});
