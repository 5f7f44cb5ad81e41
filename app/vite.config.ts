/**
 * The app's build: Svelte 5, an ES-module inference worker, the model under model/<hash>/ (see
 * build/model-plugin.ts), a Workbox service worker that precaches everything needed offline, and a CSP.
 *
 *   npm run dev      development server
 *   npm start        build, then serve the build at http://127.0.0.1:4173/
 *   DIGITLENS_MODEL_DIR=/tmp/dev-model npm run build    bundle another model
 */
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { CSP_HEADER_ONLY, cspString } from './build/csp.ts';
import { modelDirFromEnv, modelPlugin } from './build/model-plugin.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The CSP as a <meta> in the built page (not in dev: Vite's client needs inline code and a websocket). */
function cspMeta(): Plugin {
  return {
    name: 'digitlens-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: cspString() },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [
    svelte(),
    modelPlugin(modelDirFromEnv(REPO_ROOT)),
    cspMeta(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icon.svg'],
      manifest: {
        name: 'digitlens: handwritten digit reader',
        short_name: 'digitlens',
        description:
          'Reads handwritten digits from the camera, photos and scanned forms, offline, on the device.',
        theme_color: '#0f172a',
        background_color: '#0f172a',
        display: 'standalone',
        orientation: 'any',
        start_url: '/',
        scope: '/',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest,wasm,json,bin}'],
        // mupdf (TIFF and PDF pages) is 10 MB of WASM: cached when first used, not on every install.
        globIgnores: ['**/mupdf*', '**/*threaded*'],
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        // Hashed file names (Vite's and the model's) need no cache-busting revision.
        dontCacheBustURLsMatching: /(-[\w-]{8,}\.\w+$)|(^model\/[0-9a-f]{16}\/)/,
        navigateFallback: 'index.html',
        cleanupOutdatedCaches: true,
        runtimeCaching: [
          {
            urlPattern: ({ url, sameOrigin }) => sameOrigin && /\/assets\/mupdf/.test(url.pathname),
            handler: 'CacheFirst',
            options: { cacheName: 'digitlens-mupdf', expiration: { maxEntries: 4 } },
          },
        ],
      },
    }),
  ],
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // tfjs is large by nature; it is split per backend and loaded by the worker only.
    chunkSizeWarningLimit: 2048,
  },
  server: { fs: { allow: [REPO_ROOT] } },
  preview: {
    headers: { 'Content-Security-Policy': cspString(CSP_HEADER_ONLY) },
  },
});
