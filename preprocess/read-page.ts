/**
 * From a grey page to what is written on it: the page reader of `npm run read` (trainer/read.ts) and of
 * the app's upload and camera modes (app/src/worker/read-page.ts), so both decide and group alike.
 *
 * A page is read in one of three layouts: `single` (one digit per image: the most digit-like blob),
 * `string` (lines of digits: locate's strings), `fields` (a form: printed boxes and combs of cells,
 * each cell read on its own; fields.ts). `auto` decides per page, and the reading says what it decided
 * and why:
 *   1. printed fields found (closed outlines with cells big enough for a digit) -> fields;
 *   2. otherwise locate() on the whole page: one digit -> single, several -> string, none -> empty.
 * Fields come first because a form also has printed text, which a page-wide locate would read as digits.
 *
 * Reading is two steps, so a caller can time or skip either: planPage (the layout and the digits to
 * classify, pure) and classifyUnits (read-classify.ts: one batch through the model); readPage does
 * both and builds the records (records.ts). Boxes are in pixels of the page given.
 */
import { checkFieldOptions, defaultFieldOptions, readFields, type FieldOptions } from './fields.ts';
import type { GrayImage, Polarity } from './image.ts';
import {
  checkLocateOptions,
  defaultLocateOptions,
  locate,
  type LocatedDigit,
  type LocateOptions,
} from './locate.ts';
import { classifyUnits, type Classifier, type PlannedUnit } from './read-classify.ts';
import { pageReading, type PageReading } from './records.ts';
import { checkNumber, fail } from './validate.ts';

export const LAYOUTS = ['auto', 'single', 'string', 'fields'] as const;
export type Layout = (typeof LAYOUTS)[number];
export type PageLayout = Exclude<Layout, 'auto'>;

export interface ReadPageOptions {
  layout: Layout;
  /** Digits whose probability is under this are flagged for review. */
  minConfidence: number;
  /**
   * Try wide blobs in strings and in wide cells as touching digits (read-classify.ts). It sends more
   * digits to the model; the app, whose camera reads every frame, leaves it off.
   */
  split: boolean;
  fields: Partial<FieldOptions>;
  locate: Partial<LocateOptions>;
}

export const defaultReadPageOptions: ReadPageOptions = {
  layout: 'auto',
  // On 30 generated forms (799 comb digits, models/default): 0.85 flags 6.9 % of the digits and catches
  // 10 of the 12 misreads; 0.9 flags 11.1 % and catches the same 10; 0.95 flags 22 % to catch all 12.
  minConfidence: 0.85,
  split: true,
  fields: {},
  locate: {},
};

export function checkReadPageOptions(o: ReadPageOptions, name = 'options'): void {
  if (!(LAYOUTS as readonly string[]).includes(o.layout))
    fail(`one of ${LAYOUTS.join(', ')}`, `${name}.layout`, o.layout);
  checkNumber(o.minConfidence, `${name}.minConfidence`, 0, 1);
  if (typeof o.split !== 'boolean') fail('true or false', `${name}.split`, o.split);
  for (const k of ['fields', 'locate'] as const) {
    if (typeof o[k] !== 'object' || o[k] === null) fail('an object', `${name}.${k}`, o[k]);
  }
  checkFieldOptions({ ...defaultFieldOptions, ...o.fields }, `${name}.fields`);
  checkLocateOptions({ ...defaultLocateOptions, ...o.locate }, `${name}.locate`);
}

function resolve(options: Partial<ReadPageOptions>): ReadPageOptions {
  if (typeof options !== 'object' || options === null) fail('an options object', 'options', options);
  const o = { ...defaultReadPageOptions, ...options };
  checkReadPageOptions(o);
  return o;
}

/** A page's layout and the digits to classify, grouped into reading units. */
export interface PagePlan {
  width: number;
  height: number;
  layout: PageLayout;
  /** With layout auto: what was decided and why. */
  decision?: string;
  polarity: Polarity;
  /** Fields (layout fields) or strings, in reading order. */
  units: PlannedUnit[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Decides the layout of a page (grey, paper polarity) and finds its digits (see the file comment). */
export function planPage(image: GrayImage, options: Partial<ReadPageOptions> = {}): PagePlan {
  const o = resolve(options);
  const { width, height } = image;
  if (o.layout === 'fields' || o.layout === 'auto') {
    const fieldOptions = { ...o.fields, locate: { ...o.locate, ...o.fields.locate } };
    const { polarity, fields } = readFields(image, fieldOptions);
    if (o.layout === 'fields' || fields.length > 0) {
      const cells = fields.reduce((n, f) => n + f.cells.length, 0);
      const decision =
        o.layout === 'auto'
          ? `fields: ${plural(fields.length, 'printed field')} with ${plural(cells, 'cell')} found`
          : undefined;
      const aspect = o.fields.digitCellAspect ?? defaultFieldOptions.digitCellAspect;
      const units = fields.map((f) => ({
        box: f.box,
        cells: f.cells,
        // One run per cell; cells wider than a digit cell may hold touching digits.
        runs: f.cells.map((c, i) => ({
          digits: f.digits.filter((d) => d.cell === i),
          split: o.split && c.width > aspect * c.height,
        })),
      }));
      return { width, height, layout: 'fields', ...(decision ? { decision } : {}), polarity, units };
    }
  }
  const located = locate(image, o.locate);
  const n = located.digits.length;
  const layout: PageLayout = o.layout !== 'auto' ? o.layout : n === 1 ? 'single' : 'string';
  const decision =
    o.layout !== 'auto'
      ? undefined
      : n === 0
        ? 'string: no printed fields and no digits found'
        : n === 1
          ? 'single: no printed fields, one digit found'
          : `string: no printed fields, ${n} digits in ${plural(located.strings.length, 'string')} found`;
  let groups = located.strings;
  if (layout === 'single' && n > 0) {
    // One digit per image: the biggest well-formed blob; the rest are marks, dots and text.
    const score = (d: LocatedDigit) => d.box.width * d.box.height * d.quality;
    const best = located.digits.reduce((a, b) => (score(b) > score(a) ? b : a));
    groups = [{ box: best.box, digits: [best] }];
  }
  const units = groups.map((g) => ({
    box: g.box,
    runs: [{ digits: g.digits, split: o.split && layout === 'string' }],
  }));
  return { width, height, layout, ...(decision ? { decision } : {}), polarity: located.polarity, units };
}

/**
 * Reads the digits on one page (grey, paper polarity): planPage, then every digit of the page (and the
 * pieces of possibly touching digits) to the classifier in one call, then the records.
 */
export async function readPage(
  image: GrayImage,
  classify: Classifier,
  options: Partial<ReadPageOptions> = {},
): Promise<PageReading> {
  const o = resolve(options);
  if (typeof classify !== 'function') fail('a classifier function', 'classify', classify);
  const plan = planPage(image, o);
  const units = await classifyUnits(image, plan.polarity, plan.units, classify, o.locate);
  return pageReading(plan, units, o.minConfidence);
}
