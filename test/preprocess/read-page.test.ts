/**
 * The page reader shared by `npm run read` and the app, with stand-in classifiers (the model's accuracy
 * is test/trainer/read.test.ts's): layout decisions, grouping, review flags, splits of touching digits.
 */
import { describe, expect, test } from 'vitest';
import { createRng } from '../../preprocess/random.ts';
import type { Classifier } from '../../preprocess/read-classify.ts';
import { planPage, readPage } from '../../preprocess/read-page.ts';
import { createPaper, pasteString, photograph } from '../../preprocess/synth.ts';
import {
  centreIn,
  DigitPool,
  generateForm,
  generatePhoto,
  generateStringPhoto,
  overlap,
} from '../fixtures/forms.ts';
import { oneOfEach } from '../mnist-sample.ts';

/** A stand-in model: digit i of a batch is read as i mod 10 with probability p. */
function fakeClassifier(p = 0.97): Classifier {
  return (_digits, count) => {
    const out = new Float32Array(count * 10).fill((1 - p) / 9);
    for (let i = 0; i < count; i++) out[i * 10 + (i % 10)] = p;
    return out;
  };
}

describe('readPage with a stand-in classifier', () => {
  const pool = new DigitPool(9000);

  test('an empty page says so: no digits, no guess', async () => {
    const r = await readPage(createPaper(640, 480, 0.9), fakeClassifier());
    expect(r).toMatchObject({ empty: true, digits: 0, flagged: 0, text: '', layout: 'string', strings: [] });
    expect(r.decision).toMatch(/no printed fields and no digits found/);
  });

  test('auto: a form is read as fields, and the decision says why', async () => {
    const form = generateForm(7, pool);
    const r = await readPage(form.image, fakeClassifier());
    expect(r.layout).toBe('fields');
    expect(r.decision).toMatch(/^fields: \d+ printed fields with \d+ cells found$/);
    expect(r.fields).toHaveLength(form.fields.length);
    expect(r.strings).toBeUndefined();
    for (const f of r.fields!) {
      expect(f.text).toBe(f.digits.map((d) => d.digit).join(''));
      for (const d of f.digits) {
        expect(d.top3).toHaveLength(3);
        expect(d.top3[0]).toEqual({ digit: d.digit, probability: d.probability });
        expect(centreIn(d.box, f.cells[d.cell!])).toBe(true);
      }
    }
  });

  test('auto: one digit on a photo is single, a written number is string', async () => {
    const photo = generatePhoto(3, pool);
    const single = await readPage(photo.image, fakeClassifier());
    expect(single).toMatchObject({ layout: 'single', digits: 1, empty: false });
    expect(single.decision).toBe('single: no printed fields, one digit found');
    expect(overlap(single.strings![0].digits[0].box, photo.digits[0].box)).toBeGreaterThan(0);
    const number = generateStringPhoto(4, pool);
    const string = await readPage(number.image, fakeClassifier());
    expect(string.layout).toBe('string');
    expect(string.digits).toBe(number.text.length);
  });

  test('a forced layout is used as given: single keeps the most digit-like blob only', async () => {
    const number = generateStringPhoto(5, pool);
    const r = await readPage(number.image, fakeClassifier(), { layout: 'single' });
    expect(r).toMatchObject({ layout: 'single', digits: 1 });
    expect(r.decision).toBeUndefined();
    const f = await readPage(number.image, fakeClassifier(), { layout: 'fields' });
    expect(f).toMatchObject({ layout: 'fields', fields: [], empty: true });
  });

  test('digits under --min-confidence are flagged for review, and so are their fields', async () => {
    const form = generateForm(8, pool);
    const unsure = await readPage(form.image, fakeClassifier(0.6), { minConfidence: 0.9 });
    expect(unsure.flagged).toBe(unsure.digits);
    expect(unsure.fields!.every((f) => f.review === f.digits.length > 0)).toBe(true);
    const sure = await readPage(form.image, fakeClassifier(0.6), { minConfidence: 0.5 });
    expect(sure.flagged).toBe(0);
  });

  test.each([
    {
      options: { layout: 'table' },
      message: /Expected one of auto, single, string, fields for options.layout/,
    },
    { options: { minConfidence: 2 }, message: /for options.minConfidence but received 2/ },
    { options: { fields: { minCellSize: 1 } }, message: /options.fields.minCellSize/ },
    { options: { split: 'yes' }, message: /Expected true or false for options.split but received "yes"/ },
  ])('rejects $options', async ({ options, message }) => {
    await expect(readPage(createPaper(20, 20), fakeClassifier(), options as never)).rejects.toThrow(message);
  });
});

describe('planPage: the layout decision', () => {
  const pool = new DigitPool(9100);
  test.each([
    {
      name: 'a blank page',
      image: () => createPaper(640, 480, 0.9),
      layout: 'string',
      decision: /^string: no printed fields and no digits found$/,
    },
    {
      name: 'a photo of one digit',
      image: () => generatePhoto(11, pool).image,
      layout: 'single',
      decision: /^single: no printed fields, one digit found$/,
    },
    {
      name: 'a written number',
      image: () => generateStringPhoto(12, pool).image,
      layout: 'string',
      decision: /^string: no printed fields, \d+ digits in 1 string found$/,
    },
    {
      name: 'a form',
      image: () => generateForm(13, pool).image,
      layout: 'fields',
      decision: /^fields: \d+ printed fields with \d+ cells found$/,
    },
  ])('auto on $name: $layout', ({ image, layout, decision }) => {
    const plan = planPage(image());
    expect(plan.layout).toBe(layout);
    expect(plan.decision).toMatch(decision);
    // Fields are read cell by cell (one run per cell); a string or a single digit is one run.
    for (const u of plan.units) expect(u.runs).toHaveLength(u.cells?.length ?? 1);
  });
});

describe('touching digits', () => {
  /** A 4 and a 6 written touching: locate sees one wide blob. */
  function touchingPair() {
    const digits = oneOfEach();
    const page = createPaper(300, 160, 0.9);
    const placement = { x: 60, cy: 80, height: 60, touching: true, rotation: 0, jitter: 0 };
    pasteString(page, [digits[4].image, digits[6].image], placement, createRng(4));
    photograph(page, { blur: 0.6, noise: 0.01, quantize: true }, createRng(1));
    return page;
  }

  /** Unsure of the first digit of the batch (the whole blob), sure of the rest (the pieces). */
  function unsureOfTheWhole(calls: number[]): Classifier {
    return (_digits, count) => {
      calls.push(count);
      const out = new Float32Array(count * 10);
      for (let i = 0; i < count; i++) {
        const p = i === 0 ? 0.5 : 0.99;
        out.fill((1 - p) / 9, i * 10, i * 10 + 10);
        out[i * 10 + (i % 10)] = p;
      }
      return out;
    };
  }

  test('a wide blob is read as the pieces the model is surer of, in one batch', async () => {
    const page = touchingPair();
    expect(planPage(page, { layout: 'string' }).units.flatMap((u) => u.runs[0].digits)).toHaveLength(1);
    const calls: number[] = [];
    const r = await readPage(page, unsureOfTheWhole(calls), { layout: 'string' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeGreaterThan(2);
    expect(r.digits).toBe(2);
    const [a, b] = r.strings![0].digits;
    expect(a.box.x).toBeLessThan(b.box.x);
    expect(overlap(a.box, r.strings![0].box)).toBeGreaterThan(0);
  });

  test('the whole is kept when the pieces are no better, and with split off nothing is cut', async () => {
    const page = touchingPair();
    expect((await readPage(page, fakeClassifier(0.97), { layout: 'string' })).digits).toBe(1);
    const calls: number[] = [];
    const r = await readPage(page, unsureOfTheWhole(calls), { layout: 'string', split: false });
    expect(calls).toEqual([1]);
    expect(r).toMatchObject({ digits: 1, flagged: 1 });
  });

  test('a classifier that answers the wrong number of probabilities is named', async () => {
    const short: Classifier = (_digits, count) => new Float32Array(count * 10 - 1);
    await expect(readPage(touchingPair(), short, { layout: 'single' })).rejects.toThrow(
      /Expected 10 probabilities for classifier output but received Float32Array of length 9/,
    );
  });
});
