/**
 * The batch reader's library: from a decoded page to a record of the digits on it.
 *
 * A page is read in one of three layouts: `single` (one digit per image: the most digit-like blob),
 * `string` (lines of digits: locate's strings), `fields` (a form: printed boxes and combs of cells,
 * each cell read on its own; preprocess/fields.ts). `auto` decides per page, and the record says what it
 * decided and why:
 *   1. printed fields found (closed outlines with cells big enough for a digit) -> fields;
 *   2. otherwise locate() on the whole page: one digit -> single, several -> string, none -> empty.
 * Fields come first because a form also has printed text, which a page-wide locate would read as digits.
 *
 * Every digit of a page goes to the model in one batch. A digit is flagged for review when the model's
 * probability for it is under `minConfidence`; a field or string is flagged when one of its digits is.
 * Boxes are in pixels of the decoded page (PDF pages: at the raster resolution, 150 dpi by default).
 */
import type { GrayImage, Polarity } from '../preprocess/image.ts';
import {
  checkFieldOptions,
  defaultFieldOptions,
  readFields,
  splitUnchecked,
  type FieldOptions,
} from '../preprocess/fields.ts';
import {
  checkLocateOptions,
  defaultLocateOptions,
  locate,
  type Box,
  type LocatedDigit,
  type LocateOptions,
} from '../preprocess/locate.ts';
import { MNIST_SIZE } from '../preprocess/normalize.ts';
import { checkNumber, fail } from '../preprocess/validate.ts';
import { DecodeError, decodeFile, type DecodedPage, type DecodeOptions } from './decode.ts';

export const LAYOUTS = ['auto', 'single', 'string', 'fields'] as const;
export type Layout = (typeof LAYOUTS)[number];
export type PageLayout = Exclude<Layout, 'auto'>;

export interface ReadOptions {
  layout: Layout;
  /** Digits whose probability is under this are flagged for review. */
  minConfidence: number;
  fields: Partial<FieldOptions>;
  locate: Partial<LocateOptions>;
  decode: Partial<DecodeOptions>;
}

export const defaultReadOptions: ReadOptions = {
  layout: 'auto',
  // On 30 generated forms (799 comb digits, models/default): 0.85 flags 6.9 % of the digits and catches
  // 10 of the 12 misreads; 0.9 flags 11.1 % and catches the same 10; 0.95 flags 22 % to catch all 12.
  minConfidence: 0.85,
  fields: {},
  locate: {},
  decode: {},
};

export function checkReadOptions(o: ReadOptions, name = 'options'): void {
  if (!(LAYOUTS as readonly string[]).includes(o.layout))
    fail(`one of ${LAYOUTS.join(', ')}`, `${name}.layout`, o.layout);
  checkNumber(o.minConfidence, `${name}.minConfidence`, 0, 1);
  for (const k of ['fields', 'locate', 'decode'] as const) {
    if (typeof o[k] !== 'object' || o[k] === null) fail('an object', `${name}.${k}`, o[k]);
  }
  checkFieldOptions({ ...defaultFieldOptions, ...o.fields }, `${name}.fields`);
  checkLocateOptions({ ...defaultLocateOptions, ...o.locate }, `${name}.locate`);
}

export function resolveReadOptions(options: Partial<ReadOptions> = {}): ReadOptions {
  if (typeof options !== 'object' || options === null) fail('an options object', 'options', options);
  const o = { ...defaultReadOptions, ...options };
  checkReadOptions(o);
  return o;
}

/** Probabilities of digits 0-9 for `count` normalised digits (count * 784 floats): count * 10 floats. */
export type Classifier = (digits: Float32Array, count: number) => Float32Array | Promise<Float32Array>;

export interface Candidate {
  digit: number;
  probability: number;
}

export interface DigitReading {
  /** The digit read. */
  digit: number;
  /** The model's probability for it. */
  probability: number;
  /** The three most likely digits, most likely first. */
  top3: Candidate[];
  /** True when probability < minConfidence: a person should check it. */
  review: boolean;
  /** The digit's ink, page pixels. */
  box: Box;
}

export interface FieldReading {
  /** The printed outline, page pixels. */
  box: Box;
  /** The cells inside it (one for a box without separators), page pixels, left to right. */
  cells: Box[];
  /** The digits read, left to right; empty cells add nothing. */
  text: string;
  digits: (DigitReading & { cell: number })[];
  review: boolean;
}

export interface StringReading {
  box: Box;
  text: string;
  digits: DigitReading[];
  review: boolean;
}

/** What was read on one page. */
export interface PageReading {
  width: number;
  height: number;
  layout: PageLayout;
  /** With layout auto: what was decided and why. */
  decision?: string;
  /** No digit was found (not a guess: nothing is reported). */
  empty: boolean;
  /** Every field's or string's text, in reading order, separated by spaces. */
  text: string;
  fields?: FieldReading[];
  strings?: StringReading[];
  digits: number;
  flagged: number;
}

/** One line of output: a page read, or a file (or page) that could not be read. */
export interface PageRecord extends Partial<PageReading> {
  file: string;
  /** 1-based page number; absent when the file itself could not be opened. */
  page?: number;
  pages?: number;
  format?: string;
  warnings?: string[];
  /** Why this file or page could not be read, as a sentence for the user. */
  error?: string;
  /** DecodeError code ('corrupt', 'empty', 'too-large', ...), 'loop' for a directory loop, 'failed' otherwise. */
  errorCode?: string;
}

const round4 = (p: number) => Math.round(p * 10000) / 10000;

function reading(probs: Float32Array, k: number, box: Box, minConfidence: number): DigitReading {
  const p = Array.from(probs.subarray(k * 10, k * 10 + 10));
  const order = p
    .map((probability, digit) => ({ digit, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, 3)
    .map((c) => ({ digit: c.digit, probability: round4(c.probability) }));
  const best = p[order[0].digit];
  return {
    digit: order[0].digit,
    probability: round4(best),
    top3: order,
    review: best < minConfidence,
    box: { ...box },
  };
}

/**
 * A blob wider than this many times the height of its unit's digits may be touching digits: its splits
 * are read too. The split is kept only when every piece is read with at least SPLIT_MIN_PART and their
 * geometric mean beats the whole by splitMargin. Chosen on the form fixtures (test/fixtures/forms.ts,
 * 60 pages apart from the test pages): no single digit was split, and the touching pairs a seam can
 * separate were.
 */
const SPLIT_WIDTH = 0.9;
/** Typical width of a digit, as a fraction of its height: a blob of width w is tried as about w / this. */
const DIGIT_WIDTH = 0.75;
const MAX_PARTS = 8;

/** How many digits a blob `width` digit-heights wide is tried as: 2, and around width / DIGIT_WIDTH. */
function partCounts(width: number): number[] {
  const k = Math.round(width / DIGIT_WIDTH);
  return [...new Set([2, k - 1, k, k + 1])].filter((n) => n >= 2 && n <= MAX_PARTS).sort((a, b) => a - b);
}
const SPLIT_MIN_PART = 0.9;
function splitMargin(parts: number): number {
  return parts > 2 ? 0.05 : 0;
}

/** A run of digits read together (a field's cell, a string), and whether touching digits may hide in it. */
interface Unit<T extends LocatedDigit> {
  digits: T[];
  split: boolean;
}

/**
 * Classifies the digits of every unit in one batch. In units that allow it, a blob wide enough to be
 * two or three touching digits is also cut (splitDigitBox) and the cut is kept when the model reads the
 * pieces with more confidence than the whole: recognition-driven segmentation.
 */
async function classifyUnits<T extends LocatedDigit>(
  image: GrayImage,
  polarity: Polarity,
  units: Unit<T>[],
  classify: Classifier,
  o: ReadOptions,
): Promise<{ located: T; reading: DigitReading }[][]> {
  const pixels: Float32Array[] = [];
  const push = (d: LocatedDigit) => pixels.push(d.pixels) - 1;
  type Option = { parts: LocatedDigit[]; idx: number[] };
  const plans = units.map((u) => {
    const heights = u.digits.map((d) => d.box.height).sort((a, b) => a - b);
    const med = heights.length ? heights[heights.length >> 1] : 0;
    return u.digits.map((d) => {
      const whole: Option = { parts: [d], idx: [push(d)] };
      const alts: { option: Option }[] = [];
      const width = d.box.width / Math.max(1, med);
      if (u.split && width > SPLIT_WIDTH && d.box.height >= 0.6 * med) {
        for (const parts of partCounts(width)) {
          const cut = splitUnchecked(image, d.box, parts, polarity, o.locate);
          if (cut) alts.push({ option: { parts: cut, idx: cut.map(push) } });
        }
      }
      return { d, whole, alts };
    });
  });
  const probs = await classifyAll(classify, pixels);
  const top = (i: number) => Math.max(...probs.subarray(i * 10, i * 10 + 10));
  const geomean = (idx: number[]) =>
    Math.exp(idx.reduce((s, i) => s + Math.log(Math.max(1e-9, top(i))), 0) / idx.length);
  return plans.map((plan) =>
    plan.flatMap(({ d, whole, alts }) => {
      let best = whole;
      let bestScore = top(whole.idx[0]);
      for (const { option } of alts) {
        const score = geomean(option.idx);
        if (option.idx.some((i) => top(i) < SPLIT_MIN_PART)) continue;
        if (score > bestScore + splitMargin(option.parts.length)) {
          best = option;
          bestScore = score;
        }
      }
      return best.parts.map((part, k) => ({
        // A piece of a split blob keeps the blob's other fields (its cell in a form).
        located: (best === whole ? d : { ...d, ...part }) as T,
        reading: reading(probs, best.idx[k], part.box, o.minConfidence),
      }));
    }),
  );
}

async function classifyAll(classify: Classifier, pixels: Float32Array[]): Promise<Float32Array> {
  if (pixels.length === 0) return new Float32Array(0);
  const size = MNIST_SIZE * MNIST_SIZE;
  const batch = new Float32Array(pixels.length * size);
  pixels.forEach((p, i) => batch.set(p, i * size));
  const probs = await classify(batch, pixels.length);
  if (!(probs instanceof Float32Array) || probs.length !== pixels.length * 10) {
    fail(`${pixels.length * 10} probabilities`, 'classifier output', probs);
  }
  return probs;
}

function countUp(r: Omit<PageReading, 'digits' | 'flagged' | 'text' | 'empty'>): PageReading {
  const units = r.fields ?? r.strings ?? [];
  const all = units.flatMap((u) => u.digits);
  return {
    ...r,
    empty: all.length === 0,
    text: units
      .map((u) => u.text)
      .filter((t) => t.length > 0)
      .join(' '),
    digits: all.length,
    flagged: all.filter((d) => d.review).length,
  };
}

/**
 * Reads the digits on one page (grey, paper polarity) with the given layout. The classifier gets every
 * digit of the page (and the pieces of possibly touching digits) in one call.
 */
export async function readImage(
  image: GrayImage,
  classify: Classifier,
  options: Partial<ReadOptions> = {},
): Promise<PageReading> {
  const o = resolveReadOptions(options);
  if (typeof classify !== 'function') fail('a classifier function', 'classify', classify);
  const { width, height } = image;
  let layout: PageLayout;
  let decision: string | undefined;
  if (o.layout === 'fields' || o.layout === 'auto') {
    const fieldOptions = { ...o.fields, locate: { ...o.locate, ...o.fields.locate } };
    const { polarity, fields: read } = readFields(image, fieldOptions);
    if (o.layout === 'fields' || read.length > 0) {
      if (o.layout === 'auto') {
        const cells = read.reduce((n, f) => n + f.cells.length, 0);
        decision = `fields: ${read.length} printed field${read.length === 1 ? '' : 's'} with ${cells} cell${cells === 1 ? '' : 's'} found`;
      }
      const aspect = o.fields.digitCellAspect ?? defaultFieldOptions.digitCellAspect;
      // One unit per cell; cells wider than a digit cell may hold touching digits.
      const units = read.flatMap((f) =>
        f.cells.map((c, i) => ({
          digits: f.digits.filter((d) => d.cell === i),
          split: c.width > aspect * c.height,
        })),
      );
      const classified = await classifyUnits(image, polarity, units, classify, o);
      let u = 0;
      const fields: FieldReading[] = read.map((f) => {
        const digits = f.cells
          .flatMap(() => classified[u++])
          .map(({ located, reading: r }) => ({ ...r, cell: located.cell }));
        return {
          box: f.box,
          cells: f.cells,
          text: digits.map((d) => d.digit).join(''),
          digits,
          review: digits.some((d) => d.review),
        };
      });
      return countUp({ width, height, layout: 'fields', ...(decision ? { decision } : {}), fields });
    }
  }
  const located = locate(image, o.locate);
  if (o.layout === 'auto') {
    const n = located.digits.length;
    layout = n === 1 ? 'single' : 'string';
    decision =
      n === 0
        ? 'string: no printed fields and no digits found'
        : n === 1
          ? 'single: no printed fields, one digit found'
          : `string: no printed fields, ${n} digits in ${located.strings.length} string${located.strings.length === 1 ? '' : 's'} found`;
  } else layout = o.layout;
  let groups = located.strings;
  if (layout === 'single' && located.digits.length > 0) {
    // One digit per image: the biggest well-formed blob; the rest are marks, dots and text.
    const score = (d: (typeof located.digits)[number]) => d.box.width * d.box.height * d.quality;
    const best = located.digits.reduce((a, b) => (score(b) > score(a) ? b : a));
    groups = [{ box: best.box, digits: [best] }];
  }
  const classified = await classifyUnits(
    image,
    located.polarity,
    groups.map((g) => ({ digits: g.digits, split: layout === 'string' })),
    classify,
    o,
  );
  const strings: StringReading[] = groups.map((g, i) => {
    const digits = classified[i].map((c) => c.reading);
    return {
      box: g.box,
      text: digits.map((d) => d.digit).join(''),
      digits,
      review: digits.some((d) => d.review),
    };
  });
  return countUp({ width, height, layout, ...(decision ? { decision } : {}), strings });
}

/** Reads one decoded page into a record (page numbers are 1-based in records). */
export async function readPage(
  file: string,
  page: DecodedPage,
  classify: Classifier,
  options: Partial<ReadOptions> = {},
): Promise<PageRecord> {
  const read = await readImage(page.image, classify, options);
  return {
    file,
    page: page.page + 1,
    pages: page.pageCount,
    format: page.format,
    ...(page.warnings?.length ? { warnings: [...page.warnings] } : {}),
    ...read,
  };
}

/** The record of a file or page that could not be read. */
export function errorRecord(
  file: string,
  error: unknown,
  page?: { page: number; pages: number },
): PageRecord {
  const message = error instanceof Error ? error.message : String(error);
  const errorCode = error instanceof DecodeError ? error.code : 'failed';
  return {
    file,
    ...(page ? { page: page.page, pages: page.pages } : {}),
    error: error instanceof DecodeError ? message : `Cannot read "${file}": ${message}`,
    errorCode,
  };
}

/** A page as read, with its image, for callers that draw on it (annotation). */
export interface ReadPageResult {
  record: PageRecord;
  image?: GrayImage;
}

/**
 * Reads every page of a file, one at a time (a 300-page PDF costs one page of memory). A file that
 * cannot be decoded yields one error record. A page that cannot be read yields an error record for that
 * page and the next page is read; a page the decoder fails on ends the file with an error record for it
 * (a decoder cannot skip past a broken page).
 */
export async function* readFile(
  file: string,
  classify: Classifier,
  options: Partial<ReadOptions> = {},
  signal?: AbortSignal,
): AsyncGenerator<ReadPageResult> {
  const o = resolveReadOptions(options);
  let last: { page: number; pages: number } | undefined;
  const pages = decodeFile(file, o.decode);
  for (;;) {
    let next: IteratorResult<DecodedPage>;
    try {
      next = await pages.next();
    } catch (error) {
      const at = last && last.page < last.pages ? { page: last.page + 1, pages: last.pages } : undefined;
      yield { record: errorRecord(file, error, at) };
      return;
    }
    if (next.done) break;
    const page = next.value;
    last = { page: page.page + 1, pages: page.pageCount };
    if (signal?.aborted) {
      await pages.return(undefined);
      return;
    }
    let record: PageRecord;
    try {
      record = await readPage(file, page, classify, o);
    } catch (error) {
      record = errorRecord(file, error, last);
    }
    yield { record, image: page.image };
  }
  if (last === undefined)
    yield { record: errorRecord(file, new DecodeError('no-pages', file, 'it has no pages.')) };
}
