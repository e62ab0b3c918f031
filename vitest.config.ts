import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Migrations are .ts files that Kysely's FileMigrationProvider imports with Node's own
    // loader; tsx's loader in every fork (and in the global setup) lets Node 20 read them.
    execArgv: ['--import', 'tsx'],
    maxWorkers: 4,
  },
});
