/**
 * From a grey page to what is written on it, in the layouts `npm run read` knows (single, string,
 * fields, auto), with the same decisions: printed fields first (a form's printed text would otherwise be
 * read as digits), then locate() on the whole page. Pure apart from the classifier, so Node tests and
 * the benchmark run it as the worker does.
 *
 * When the shared reader module lands (the lead's port of trainer/read.ts to a browser-safe module),
 * this file becomes a thin adapter over it; the PageResult shape stays.
 */
import { findFields, readScannedFields } from '../../../preprocess/fields.ts';
import { toInkImage, type GrayImage } from '../../../preprocess/image.ts';
import { locate, type Box, type LocatedDigit, type LocateOptions } from '../../../preprocess/locate.ts';
import { normalize } from '../../../preprocess/normalize.ts';
import type { Layout, PageLayout } from '../lib/constants.ts';
import type { DigitResult, FieldResult, PageResult, StringResult, Timings } from '../lib/protocol.ts';

/** count digits (count * 784 floats) -> count * 10 probabilities. */
export type Classifier = (digits: Float32Array, count: number) => Promise<Float32Array>;

export interface ReadPageOptions {
  layout: Layout | 'draw';
  includePixels: boolean;
  locate: Partial<LocateOptions>;
}

export const defaultReadPageOptions: ReadPageOptions = { layout: 'string', includePixels: false, locate: {} };

interface Group {
  box: Box;
  digits: LocatedDigit[];
  cells?: Box[];
  cellOf?: number[];
}

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

/** Locates the digits of a page and groups them as the layout says. */
function group(
  image: GrayImage,
  layout: Layout | 'draw',
  options: ReadPageOptions,
): {
  layout: PageLayout | 'draw';
  decision?: string;
  groups: Group[];
  fields: boolean;
  polarity: PageResult['polarity'];
} {
  if (layout === 'draw') {
    // A drawing pad holds one digit written dark on light, like an MNIST form's box: the whole pad is it.
    const ink = toInkImage(image, 'dark-on-light');
    const box = inkBox(ink);
    if (!box) return { layout, groups: [], fields: false, polarity: 'dark-on-light' };
    const digit: LocatedDigit = { box, pixels: normalize(ink), quality: 1 };
    return { layout, groups: [{ box, digits: [digit] }], fields: false, polarity: 'dark-on-light' };
  }
  if (layout === 'fields' || layout === 'auto') {
    const scan = findFields(image);
    if (layout === 'fields' || scan.fields.length > 0) {
      const read = readScannedFields(image, scan, { locate: options.locate });
      const cells = scan.fields.reduce((n, f) => n + f.cells.length, 0);
      return {
        layout: 'fields',
        decision:
          layout === 'auto'
            ? `fields: ${scan.fields.length} printed field${scan.fields.length === 1 ? '' : 's'} with ${cells} cell${cells === 1 ? '' : 's'} found`
            : undefined,
        groups: read.map((f) => ({
          box: f.box,
          digits: f.digits,
          cells: f.cells,
          cellOf: f.digits.map((d) => d.cell),
        })),
        fields: true,
        polarity: scan.polarity,
      };
    }
  }
  const located = locate(image, options.locate);
  let pageLayout: PageLayout;
  let decision: string | undefined;
  if (layout === 'auto') {
    const n = located.digits.length;
    pageLayout = n === 1 ? 'single' : 'string';
    decision =
      n === 0
        ? 'string: no printed fields and no digits found'
        : n === 1
          ? 'single: no printed fields, one digit found'
          : `string: no printed fields, ${n} digits in ${located.strings.length} string${located.strings.length === 1 ? '' : 's'} found`;
  } else pageLayout = layout as PageLayout;
  let groups: Group[] = located.strings;
  if (pageLayout === 'single' && located.digits.length > 0) {
    // One digit per image: the biggest well-formed blob; the rest are marks, dots and text.
    const score = (d: LocatedDigit) => d.box.width * d.box.height * d.quality;
    const best = located.digits.reduce((a, b) => (score(b) > score(a) ? b : a));
    groups = [{ box: best.box, digits: [best] }];
  }
  return { layout: pageLayout, decision, groups, fields: false, polarity: located.polarity };
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
  const g = group(image, o.layout, o);
  const t1 = performance.now();
  const all = g.groups.flatMap((s) => s.digits);
  const batch = new Float32Array(all.length * 784);
  all.forEach((d, i) => batch.set(d.pixels, i * 784));
  const probs = all.length > 0 ? await classify(batch, all.length) : new Float32Array(0);
  const t2 = performance.now();
  const digits: DigitResult[] = [];
  const strings: (StringResult & { cells?: Box[] })[] = [];
  let k = 0;
  g.groups.forEach((s, si) => {
    let text = '';
    for (const d of s.digits) {
      const p = probs.slice(k * 10, k * 10 + 10);
      const digit = argmax(p);
      text += digit;
      digits.push({
        box: d.box,
        probs: p,
        digit,
        probability: p[digit],
        quality: d.quality,
        string: si,
        ...(o.includePixels ? { pixels: d.pixels } : {}),
      });
      k++;
    }
    strings.push({ box: s.box, text, ...(s.cells ? { cells: s.cells } : {}) });
  });
  const timings: Timings = { decode: decodeMs, locate: t1 - t0, infer: t2 - t1, total: decodeMs + (t2 - t0) };
  const result: PageResult = {
    width: image.width,
    height: image.height,
    layout: g.layout,
    polarity: g.polarity,
    digits,
    strings: g.fields ? [] : strings,
    timings,
  };
  if (g.decision) result.decision = g.decision;
  if (g.fields) result.fields = strings as FieldResult[];
  return result;
}
