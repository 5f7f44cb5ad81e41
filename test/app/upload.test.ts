/**
 * Upload mode: a generated form (printed boxes), a photo of two numbers and a file that is no image go
 * in as one batch; the form and photo give their readings, the bad file is listed with its error, and
 * the CSV export carries it all in `npm run read`'s columns.
 */
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { appUrl, waitForBackend } from './app-page.ts';
import { launch, PHONE, watch } from './browser.ts';
import { formPage, pdfOf, stringPhoto, tiffOf, toPng } from './scenes.ts';

const baseUrl = inject('baseUrl');
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

/** Minimal CSV parser for the export (quoted cells, doubled quotes). */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

test('reads a form and a photo, lists a bad file, exports CSV', async () => {
  const form = formPage();
  const photo = stringPhoto();
  const context = await browser.newContext({ viewport: PHONE, acceptDownloads: true });
  const w = watch(context, baseUrl);
  const page = await context.newPage();
  await page.goto(appUrl(baseUrl, 'upload', 'wasm'));
  await page.getByTestId('upload-input').setInputFiles([
    { name: 'form.png', mimeType: 'image/png', buffer: await toPng(form.image) },
    { name: 'photo.png', mimeType: 'image/png', buffer: await toPng(photo.image) },
    { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('these are not pixels') },
  ]);
  expect(await waitForBackend(page)).toBe('wasm');
  const rows = page.getByTestId('upload-results').getByTestId('upload-row');
  await expect
    .poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))), { timeout: 60_000 })
    .toEqual(['done', 'done', 'error']);
  const texts = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-text')));
  expect(texts[0]).toBe(form.fields.map((f) => f.text).join(' '));
  expect(texts[1]).toBe(photo.texts.join(' '));
  await expect.poll(() => rows.nth(2).textContent()).toMatch(/not an image/);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-csv').click(),
  ]);
  const csv = parseCsv(readFileSync((await download.path())!, 'utf8'));
  const units = (file: string) => csv.filter((r) => r.file === file);
  expect(units('form.png').map((r) => [r.unit, r.text])).toEqual(form.fields.map((f) => ['field', f.text]));
  expect(units('photo.png').map((r) => [r.unit, r.text])).toEqual(photo.texts.map((t) => ['string', t]));
  expect(units('notes.png').map((r) => r.unit)).toEqual(['error']);
  expect(units('notes.png')[0].error).toMatch(/not an image/);
  expect(w.foreign).toEqual([]);
  expect(w.errors).toEqual([]);
  await context.close();
});

test('a correction shows in the reading and the export', async () => {
  const photo = stringPhoto();
  const context = await browser.newContext({ viewport: PHONE, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(appUrl(baseUrl, 'upload', 'wasm'));
  await page
    .getByTestId('upload-input')
    .setInputFiles([{ name: 'photo.png', mimeType: 'image/png', buffer: await toPng(photo.image) }]);
  const row = page.getByTestId('upload-row');
  await expect.poll(() => row.getAttribute('data-status'), { timeout: 60_000 }).toBe('done');
  const first = photo.texts[0][0];
  const other = first === '0' ? '1' : '0';
  await row.getByRole('button', { name: /^Digit 1:/ }).click();
  await row
    .getByRole('group', { name: 'Correct digit 1' })
    .getByRole('button', { name: other, exact: true })
    .click();
  await expect.poll(() => row.getAttribute('data-text')).toBe(other + photo.texts.join(' ').slice(1));
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-json').click(),
  ]);
  const records = JSON.parse(readFileSync((await download.path())!, 'utf8')) as {
    strings: { text: string; digits: { digit: number; corrected?: { from: number } }[] }[];
  }[];
  expect(records[0].strings[0].text[0]).toBe(other);
  expect(records[0].strings[0].digits[0].corrected).toEqual({ from: Number(first) });
  await context.close();
});

test('PDF and TIFF pages are read one row per page (mupdf, loaded on demand)', async () => {
  const form = formPage();
  const photo = stringPhoto();
  const context = await browser.newContext({ viewport: PHONE });
  const w = watch(context, baseUrl);
  const page = await context.newPage();
  await page.goto(appUrl(baseUrl, 'upload', 'wasm'));
  await page.getByTestId('upload-input').setInputFiles([
    {
      name: 'scan.pdf',
      mimeType: 'application/pdf',
      buffer: await pdfOf([await toPng(photo.image), await toPng(form.image)]),
    },
    { name: 'scan.tif', mimeType: 'image/tiff', buffer: await tiffOf([photo.image, form.image]) },
  ]);
  const rows = page.getByTestId('upload-row');
  await expect
    .poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))), { timeout: 90_000 })
    .toEqual(['done', 'done', 'done', 'done']);
  const seen = await rows.evaluateAll((els) =>
    els.map((e) => [e.getAttribute('data-file'), e.getAttribute('data-page'), e.getAttribute('data-text')]),
  );
  const photoText = photo.texts.join(' ');
  const formText = form.fields.map((f) => f.text).join(' ');
  expect(seen).toEqual([
    ['scan.pdf', '1', photoText],
    ['scan.pdf', '2', formText],
    ['scan.tif', '1', photoText],
    ['scan.tif', '2', formText],
  ]);
  expect(w.foreign).toEqual([]);
  expect(w.errors).toEqual([]);
  await context.close();
});

test('cancel stops the batch: the running file and the queued ones are marked cancelled', async () => {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await page.goto(appUrl(baseUrl, 'upload', 'wasm'));
  await waitForBackend(page);
  const png = await toPng(formPage().image);
  await page
    .getByTestId('upload-input')
    .setInputFiles(
      Array.from({ length: 6 }, (_, i) => ({ name: `form-${i}.png`, mimeType: 'image/png', buffer: png })),
    );
  await page.getByRole('button', { name: 'Cancel' }).click();
  const rows = page.getByTestId('upload-row');
  await expect
    .poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))), { timeout: 30_000 })
    .toSatisfy(
      (s: string[]) =>
        s.length === 6 && s.every((x) => x === 'done' || x === 'cancelled') && s.at(-1) === 'cancelled',
    );
  await expect.poll(() => page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
  // The engine comes back for the next batch.
  await page
    .getByTestId('upload-input')
    .setInputFiles([{ name: 'again.png', mimeType: 'image/png', buffer: await toPng(stringPhoto().image) }]);
  await expect.poll(() => rows.nth(6).getAttribute('data-status'), { timeout: 60_000 }).toBe('done');
  await context.close();
});
