import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The browser suite has its own config (test/app/vitest.config.ts): it builds and serves the app.
    exclude: ['test/app/**', 'node_modules/**'],
    // tfjs WASM and training slices are CPU-heavy; two cores are shared by the pool.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
