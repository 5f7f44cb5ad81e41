/**
 * The browser suite: builds the app, serves the build with `vite preview`, and drives Debian's Chromium
 * through playwright-core. `npm run test:app`. The model is models/default unless DIGITLENS_MODEL_DIR
 * names another (e.g. a dev model from make-dev-model.ts).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/app/**/*.test.ts'],
    globalSetup: ['test/app/global-setup.ts'],
    // Each file starts its own Chromium; two cores cannot run two browsers and a build side by side.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
