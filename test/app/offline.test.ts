/**
 * Offline: after one visit the service worker has cached the app, tfjs's WASM and the model; with the
 * network cut the page reloads and still reads digits.
 */
import { expect, inject, test } from 'vitest';
import { appUrl, waitForBackend } from './app-page.ts';
import { launch, PHONE, watch } from './browser.ts';
import { stringPhoto, toPng } from './scenes.ts';

const baseUrl = inject('baseUrl');

test('reloads and reads digits with the network cut', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: PHONE });
    const w = watch(context, baseUrl);
    const page = await context.newPage();
    await page.goto(appUrl(baseUrl, 'upload', 'wasm'));
    // The service worker is installed once it has precached everything.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await page.getByTestId('offline-ready').waitFor({ timeout: 60_000 });
    const cached = await page.evaluate(async () => {
      const names = await caches.keys();
      const urls: string[] = [];
      for (const n of names)
        for (const r of await (await caches.open(n)).keys()) urls.push(new URL(r.url).pathname);
      return urls;
    });
    expect(cached.some((u) => /^\/model\/[0-9a-f]{16}\/model\.json$/.test(u))).toBe(true);
    expect(cached.some((u) => /tfjs-backend-wasm-simd.*\.wasm$/.test(u))).toBe(true);

    await context.setOffline(true);
    await page.reload();
    expect(await waitForBackend(page)).toBe('wasm');
    const photo = stringPhoto();
    await page
      .getByTestId('upload-input')
      .setInputFiles([{ name: 'photo.png', mimeType: 'image/png', buffer: await toPng(photo.image) }]);
    const row = page.getByTestId('upload-row');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 60_000 }).toBe('done');
    expect(await row.getAttribute('data-text')).toBe(photo.texts.join(' '));
    expect(w.foreign).toEqual([]);
    await context.close();
  } finally {
    await browser.close();
  }
});
