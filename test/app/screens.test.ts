/**
 * Every mode at phone and desktop sizes, exercised as a person would and saved as screenshots to look
 * at (test-results/app-screenshots, or DIGITLENS_SCREENSHOTS): the camera reading the fixture, a
 * digit drawn with the mouse, an upload batch, the model page. Draw mode is checked here too.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { appUrl, histogram, waitForBackend, waitForReading } from './app-page.ts';
import { CAMERA_Y4M, DESKTOP, launch, PHONE, watch } from './browser.ts';
import { CAMERA_READING, formPage, stringPhoto, toPng } from './scenes.ts';

const baseUrl = inject('baseUrl');
const OUT =
  process.env.DIGITLENS_SCREENSHOTS ??
  fileURLToPath(new URL('../../test-results/app-screenshots', import.meta.url));

/** Draws strokes (points in pad fractions) on the draw pad with the mouse. */
async function drawStrokes(page: Page, strokes: [number, number][][]): Promise<void> {
  const pad = page.getByRole('img', { name: /Drawing pad/ }).or(page.locator('canvas.pad'));
  const box = (await pad.first().boundingBox())!;
  for (const stroke of strokes) {
    const [x0, y0] = stroke[0];
    await page.mouse.move(box.x + x0 * box.width, box.y + y0 * box.height);
    await page.mouse.down();
    for (const [x, y] of stroke.slice(1)) {
      await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 6 });
    }
    await page.mouse.up();
  }
}

const SEVEN: [number, number][][] = [
  [
    [0.3, 0.25],
    [0.7, 0.25],
    [0.45, 0.8],
  ],
];
const ONE: [number, number][][] = [
  [
    [0.5, 0.2],
    [0.5, 0.8],
  ],
];

let browser: Browser;
beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  browser = await launch({ camera: CAMERA_Y4M });
});
afterAll(async () => {
  await browser?.close();
});

describe.each([
  { size: 'phone', viewport: PHONE },
  { size: 'desktop', viewport: DESKTOP },
])('$size', ({ size, viewport }) => {
  test('camera, draw, upload and model', async () => {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1, acceptDownloads: true });
    const w = watch(context, baseUrl);
    const page = await context.newPage();
    const shot = async (name: string) => {
      // Let the histogram's 120 ms transition finish, and take the offline notice out of the picture.
      await page.waitForTimeout(300);
      const toast = page.getByTestId('offline-ready');
      if (await toast.isVisible()) await toast.getByRole('button', { name: 'OK' }).click();
      await page.screenshot({ path: join(OUT, `${size}-${name}.png`) });
    };

    await page.goto(appUrl(baseUrl, 'camera', 'wasm'));
    await waitForBackend(page);
    await waitForReading(page, CAMERA_READING);
    await shot('camera');

    await page.getByRole('link', { name: 'Draw' }).click();
    await drawStrokes(page, ONE);
    await waitForReading(page, '1', 20_000);
    // The histogram agrees with the reading: the bar of 1 is the tallest.
    const bars = await histogram(page);
    expect(Math.max(...bars.map((b) => b.p))).toBe(bars.find((b) => b.digit === 1)!.p);
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => page.getByTestId('reading').getAttribute('data-state')).toBe('none');
    await drawStrokes(page, SEVEN);
    await expect.poll(async () => (await page.getByTestId('reading').textContent())?.trim()).toMatch(/^\d$/);
    await shot('draw');

    await page.getByRole('link', { name: 'Upload' }).click();
    await page.getByTestId('upload-input').setInputFiles([
      { name: 'form.png', mimeType: 'image/png', buffer: await toPng(formPage().image) },
      { name: 'photo.png', mimeType: 'image/png', buffer: await toPng(stringPhoto().image) },
      { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 2]) },
    ]);
    const rows = page.getByTestId('upload-row');
    await expect
      .poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))), {
        timeout: 60_000,
      })
      .toEqual(['done', 'done', 'error']);
    await shot('upload');

    await page.getByRole('link', { name: 'Model' }).click();
    await page.getByTestId('test-accuracy').waitFor();
    // Epochs are numbered across both stages of a run; the page names the one it kept, and the
    // shipped model's upright specialist.
    await expect
      .poll(() => page.locator('dd', { hasText: /epochs in/ }).textContent())
      .toMatch(
        /, \d+ epochs in \d+ min, kept (finishing )?epoch \d+( of restart \d+)?( \(run epoch \d+\))?; its upright specialist \d+ min$/,
      );
    await shot('model');
    await page.screenshot({ path: join(OUT, `${size}-model-full.png`), fullPage: true });

    expect(w.foreign).toEqual([]);
    expect(w.errors).toEqual([]);
    await context.close();
  });
});
