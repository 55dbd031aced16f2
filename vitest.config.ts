import { defineConfig } from 'vitest/config';

/**
 * Three tiers, one folder each under tests/:
 * - unit: pure code, no Redis, no database server, no process, no network (`npm run test:unit`);
 * - adapters: against a real redis-server, SQLite, PostgreSQL and the emulators (tests/emulators);
 * - processes: whole `kith` / worker processes.
 * tests/support, tests/emulators and tests/fixtures serve every tier. The global setup (a
 * throwaway redis-server and PostgreSQL) runs for the adapters and processes tiers only.
 */
const inTier = (tier: string) => `tests/${tier}/**/*.test.ts`;

const shared = {
  setupFiles: ['tests/support/leak-check.ts'],
  env: { METADATA_SERVER_DETECTION: 'none', KITH_LOG_LEVEL: 'silent' },
  testTimeout: 30_000,
  hookTimeout: 30_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { test: { ...shared, name: 'unit', include: [inTier('unit')], env: { ...shared.env, KITH_TEST_TIER: 'unit' } } },
      {
        test: {
          ...shared,
          name: 'adapters',
          include: [inTier('adapters')],
          globalSetup: ['tests/global-setup.ts'],
        },
      },
      { test: { ...shared, name: 'processes', include: [inTier('processes')], globalSetup: ['tests/global-setup.ts'] } },
    ],
  },
});
