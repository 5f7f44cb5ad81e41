/**
 * Parity: one PNG, decoded and preprocessed by Node (trainer/decode.ts, sharp, then preprocess/) and by
 * the page (createImageBitmap, canvas, then the same preprocess/ in the worker), gives the same 28x28
 * bytes for every digit. Train/serve skew would show here first.
 */
import { expect, inject, test } from 'vitest';
import { locate } from '../../preprocess/locate.ts';
import { decodeImage } from '../../trainer/decode.ts';
import { appUrl, waitForBackend } from './app-page.ts';
import { launch } from './browser.ts';
import { stringPhoto, toPng } from './scenes.ts';

const baseUrl = inject('baseUrl');
const bytes = (pixels: ArrayLike<number>) => Array.from(pixels, (v) => Math.round(v * 255));

test('Node and the page give the same 28x28 bytes', async () => {
  const png = await toPng(stringPhoto().image);
  const node = locate(await decodeImage(new Uint8Array(png), 'photo.png'));
  expect(node.digits.length).toBe(6);

  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(appUrl(baseUrl, 'model', 'wasm'));
    await waitForBackend(page);
    const inPage = await page.evaluate(async (b64) => {
      const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' });
      const api = (window as unknown as { digitlens: { read(b: Blob, l: string): Promise<unknown> } })
        .digitlens;
      const r = (await api.read(blob, 'string')) as {
        digits: { box: unknown; pixels: Record<string, number> }[];
      };
      return r.digits.map((d) => ({ box: d.box, pixels: Object.values(d.pixels) }));
    }, png.toString('base64'));
    expect(inPage.map((d) => d.box)).toEqual(node.digits.map((d) => d.box));
    inPage.forEach((d, i) => expect(bytes(d.pixels)).toEqual(bytes(node.digits[i].pixels)));
  } finally {
    await browser.close();
  }
});
