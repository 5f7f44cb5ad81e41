/**
 * Camera mode end to end: Chromium's fake camera plays the committed y4m (MNIST test digits 7 2 1 0 4
 * on paper), and the page must show that reading, a 10-bar histogram for the selected digit and the
 * backend it runs on, under each backend of the ladder, with no request leaving the origin.
 * Left to choose, the app passes over WebGL and WebGPU when they render in software (SwiftShader here).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { appUrl, histogram, waitForBackend, waitForReading } from './app-page.ts';
import { CAMERA_Y4M, launch, PHONE, watch } from './browser.ts';
import { CAMERA_READING } from './scenes.ts';

const baseUrl = inject('baseUrl');

describe.each([
  { backend: 'wasm', webgpu: false },
  { backend: 'webgl', webgpu: false },
  { backend: 'webgpu', webgpu: true },
])('camera on $backend', ({ backend, webgpu }) => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch({ camera: CAMERA_Y4M, webgpu });
  });
  afterAll(async () => {
    await browser?.close();
  });

  test('shows the reading, the histogram and the backend', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const w = watch(context, baseUrl);
    const page = await context.newPage();
    await page.goto(appUrl(baseUrl, 'camera', backend));
    expect(await waitForBackend(page)).toBe(backend);
    await waitForReading(page, CAMERA_READING);

    const bars = await histogram(page);
    expect(bars.map((b) => b.digit)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The first digit is selected by default: a 7.
    const best = bars.reduce((a, b) => (b.p > a.p ? b : a));
    expect(best.digit).toBe(Number(CAMERA_READING[0]));
    expect(best.p).toBeGreaterThan(0.5);
    expect(bars.reduce((s, b) => s + b.p, 0)).toBeCloseTo(1, 2);

    // One box per digit over the video.
    await expect.poll(() => page.locator('svg.overlay .box').count()).toBe(CAMERA_READING.length);
    expect(w.foreign).toEqual([]);
    expect(w.errors).toEqual([]);
    await context.close();
  });
});

test('auto passes over WebGPU and WebGL that render in software, and says why', async () => {
  const browser = await launch({ camera: CAMERA_Y4M, webgpu: true });
  try {
    const page = await browser.newPage({ viewport: PHONE });
    await page.goto(appUrl(baseUrl, 'model'));
    expect(await waitForBackend(page)).toBe('wasm');
    const attempts = await page.locator('.attempts li').allTextContents();
    expect(attempts).toHaveLength(3);
    expect(attempts[0]).toMatch(/^webgpu: skipped \(.*swiftshader.* renders in software/i);
    expect(attempts[1]).toMatch(/^webgl: skipped \(.*SwiftShader.* renders in software/);
    expect(attempts[2]).toMatch(/^wasm: in use/);
  } finally {
    await browser.close();
  }
});
