/**
 * The worker's page reader: preprocess/read-page.ts, the reader `npm run read` uses (same layouts, same
 * decisions), with its result in the shape the page draws (PageResult, lib/protocol.ts), plus the drawing
 * pad, where the whole pad is one digit. Pure apart from the classifier, so Node tests and the benchmark
 * run it as the worker does.
 */
import { toInkImage, type GrayImage } from '../../../preprocess/image.ts';
import type { Box, LocateOptions } from '../../../preprocess/locate.ts';
import { normalize } from '../../../preprocess/normalize.ts';
import { classifyUnits, type Classifier, type PlannedUnit } from '../../../preprocess/read-classify.ts';
import { planPage } from '../../../preprocess/read-page.ts';
import type { Layout } from '../lib/constants.ts';
import type { DigitResult, FieldResult, PageResult, StringResult, Timings } from '../lib/protocol.ts';

export interface ReadPageOptions {
  layout: Layout | 'draw';
  includePixels: boolean;
  locate: Partial<LocateOptions>;
  /**
   * Also try wide blobs as touching digits, as `npm run read` does (preprocess/read-classify.ts). Upload
   * turns it on, so a batch reads as the CLI reads it; the camera leaves it off: it reads every frame
   * and cannot afford the extra digits.
   */
  split: boolean;
}

export const defaultReadPageOptions: ReadPageOptions = {
  layout: 'string',
  includePixels: false,
  locate: {},
  split: false,
};

function argmax(p: Float32Array): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

/** The ink's bounding box of a drawing (ink image: ink = 1), or null when it is blank. */
function inkBox(ink: GrayImage, threshold = 0.1): Box | null {
  let x0 = ink.width;
  let y0 = ink.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < ink.height; y++) {
    for (let x = 0; x < ink.width; x++) {
      if (ink.data[y * ink.width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** A drawing pad holds one digit written dark on light, like an MNIST form's box: the whole pad is it. */
function planDrawing(image: GrayImage): { layout: 'draw'; polarity: 'dark-on-light'; units: PlannedUnit[] } {
  const ink = toInkImage(image, 'dark-on-light');
  const box = inkBox(ink);
  const digits = box ? [{ box, pixels: normalize(ink), quality: 1 }] : [];
  return {
    layout: 'draw',
    polarity: 'dark-on-light',
    units: box ? [{ box, runs: [{ digits, split: false }] }] : [],
  };
}

/** Reads a page (grey, paper polarity). `decodeMs` is added to the timings for the caller's decode. */
export async function readPage(
  image: GrayImage,
  classify: Classifier,
  options: Partial<ReadPageOptions> = {},
  decodeMs = 0,
): Promise<PageResult> {
  const o = { ...defaultReadPageOptions, ...options };
  const t0 = performance.now();
  const plan =
    o.layout === 'draw'
      ? planDrawing(image)
      : planPage(image, { layout: o.layout, split: o.split, locate: o.locate });
  const t1 = performance.now();
  const units = await classifyUnits(image, plan.polarity, plan.units, classify, o.locate);
  const t2 = performance.now();
  const digits: DigitResult[] = units.flatMap((u, string) =>
    u.digits.map((d) => {
      const digit = argmax(d.probs);
      return {
        box: d.box,
        probs: d.probs,
        digit,
        probability: d.probs[digit],
        quality: d.quality,
        string,
        ...(o.includePixels ? { pixels: d.pixels } : {}),
      };
    }),
  );
  const texts: (StringResult & { cells?: Box[] })[] = units.map((u) => ({
    box: u.box,
    text: u.digits.map((d) => argmax(d.probs)).join(''),
    ...(u.cells ? { cells: u.cells } : {}),
  }));
  const fields = plan.layout === 'fields';
  const timings: Timings = { decode: decodeMs, locate: t1 - t0, infer: t2 - t1, total: decodeMs + (t2 - t0) };
  const result: PageResult = {
    width: image.width,
    height: image.height,
    layout: plan.layout,
    polarity: plan.polarity,
    digits,
    strings: fields ? [] : texts,
    timings,
  };
  if ('decision' in plan && plan.decision) result.decision = plan.decision;
  if (fields) result.fields = texts as FieldResult[];
  return result;
}
