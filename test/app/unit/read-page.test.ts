import { describe, expect, test } from 'vitest';
import { readPage } from '../../../app/src/worker/read-page.ts';
import { createImage } from '../../../preprocess/image.ts';
import { locate } from '../../../preprocess/locate.ts';
import { cameraFrame, CAMERA_READING, formPage } from '../scenes.ts';

/** A classifier that "reads" each digit as the next label in a list (tests wiring, not the model). */
function scripted(labels: number[]) {
  let k = 0;
  return async (_digits: Float32Array, count: number) => {
    const out = new Float32Array(count * 10);
    for (let i = 0; i < count; i++) out[i * 10 + labels[k++ % labels.length]] = 1;
    return out;
  };
}

describe('readPage', () => {
  test('string layout: locate order, texts and one batch', async () => {
    const image = cameraFrame(0);
    const calls: number[] = [];
    const labels = [...CAMERA_READING].map(Number);
    const classify = scripted(labels);
    const r = await readPage(image, async (d, n) => (calls.push(n), classify(d, n)), { layout: 'string' });
    expect(calls).toEqual([locate(image).digits.length]);
    expect(r.strings.map((s) => s.text).join(' ')).toBe(CAMERA_READING);
    expect(r.digits.every((d) => d.probs.length === 10 && d.pixels === undefined)).toBe(true);
  });

  test('single layout keeps the biggest digit; pixels on request', async () => {
    const r = await readPage(cameraFrame(0), scripted([5]), { layout: 'single', includePixels: true });
    expect(r.digits).toHaveLength(1);
    expect(r.digits[0].pixels).toHaveLength(784);
  });

  test('auto finds the printed fields of a form', async () => {
    const form = formPage();
    const r = await readPage(form.image, scripted([1]), { layout: 'auto' });
    expect(r.layout).toBe('fields');
    expect(r.fields?.map((f) => f.text.length)).toEqual(form.fields.map((f) => f.text.length));
    expect(r.decision).toMatch(/^fields: 2 printed fields/);
  });

  test("a blank page and an empty pad are 'no digit', not a guess", async () => {
    const blank = createImage(200, 100, 0.9);
    expect((await readPage(blank, scripted([0]), { layout: 'auto' })).digits).toEqual([]);
    const pad = createImage(280, 280, 1);
    expect((await readPage(pad, scripted([0]), { layout: 'draw' })).digits).toEqual([]);
  });
});
