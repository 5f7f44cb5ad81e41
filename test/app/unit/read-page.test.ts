import { describe, expect, test } from 'vitest';
import { readPage } from '../../../app/src/worker/read-page.ts';
import { createImage } from '../../../preprocess/image.ts';
import { locate } from '../../../preprocess/locate.ts';
import { createRng } from '../../../preprocess/random.ts';
import { createPaper, pasteString, photograph } from '../../../preprocess/synth.ts';
import { oneOfEach } from '../../mnist-sample.ts';
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

  test('upload tries touching digits as the CLI does; the camera does not', async () => {
    const digits = oneOfEach();
    const page = createPaper(300, 160, 0.9);
    const placement = { x: 60, cy: 80, height: 60, touching: true, rotation: 0, jitter: 0 };
    pasteString(page, [digits[4].image, digits[6].image], placement, createRng(4));
    photograph(page, { blur: 0.6, noise: 0.01, quantize: true }, createRng(1));
    // Unsure of the whole blob (first in the batch), sure of its pieces.
    const unsure = async (_d: Float32Array, count: number) => {
      const out = new Float32Array(count * 10).fill(0.01);
      for (let i = 0; i < count; i++) out[i * 10 + (i % 10)] = i === 0 ? 0.5 : 0.95;
      return out;
    };
    expect((await readPage(page, unsure, { layout: 'string' })).digits).toHaveLength(1);
    const upload = await readPage(page, unsure, { layout: 'string', split: true });
    expect(upload.digits).toHaveLength(2);
    expect(upload.strings[0].text).toHaveLength(2);
  });
});
