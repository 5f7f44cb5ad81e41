import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // tfjs WASM and training slices are CPU-heavy; two cores are shared by the pool.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
