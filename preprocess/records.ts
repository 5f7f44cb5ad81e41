/**
 * What a page reading is, as data: the records `npm run read` writes (one per page) and the app exports
 * from upload mode, built by one function from the classifier's probabilities so the two cannot drift.
 *
 * A digit is flagged for review when the model's probability for it is under `minConfidence`; a field or
 * string is flagged when one of its digits is. A digit a person corrected (app review) carries the
 * model's digit in `corrected` and is no longer flagged.
 */
import type { Box } from './locate.ts';
import type { PageLayout } from './read-page.ts';
import { checkNumber, fail } from './validate.ts';

export interface Candidate {
  digit: number;
  probability: number;
}

export interface DigitRecord {
  /** The digit read (or, when corrected, the digit a person says it is). */
  digit: number;
  /** The model's probability for its own best digit, rounded to 4 decimals. */
  probability: number;
  /** The three most likely digits, most likely first. */
  top3: Candidate[];
  /** True when probability < minConfidence and no person has looked at it. */
  review: boolean;
  /** The digit's ink, page pixels. */
  box: Box;
  /** The model's digit, when a person corrected it. */
  corrected?: { from: number };
  /** The field cell (index into FieldRecord.cells) the digit was found in, where known. */
  cell?: number;
}

/** A string of digits, or a field's digits; the page's reading units. */
export interface UnitRecord {
  /** A string's ink, or a field's printed outline; page pixels. */
  box: Box;
  /** A field's cells (one for a box without separators), page pixels, left to right. */
  cells?: Box[];
  /** The digits read, left to right; empty cells add nothing. */
  text: string;
  digits: DigitRecord[];
  review: boolean;
}

export interface FieldRecord extends UnitRecord {
  cells: Box[];
}

/** What was read on one page. */
export interface PageReading {
  width: number;
  height: number;
  layout: PageLayout;
  /** With layout auto: what was decided and why. */
  decision?: string;
  fields?: FieldRecord[];
  strings?: UnitRecord[];
  /** No digit was found (not a guess: nothing is reported). */
  empty: boolean;
  /** Every field's or string's text, in reading order, separated by spaces. */
  text: string;
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
  /** Why, as a code ('corrupt', 'empty', 'too-large', 'loop', 'failed', ...), where the reader knows one. */
  errorCode?: string;
}

const round4 = (p: number) => Math.round(p * 10000) / 10000;

/** One digit's record from its 10 probabilities; a correction replaces the digit and clears review. */
export function digitRecord(
  probs: ArrayLike<number>,
  box: Box,
  minConfidence: number,
  correction?: number,
): DigitRecord {
  if (probs?.length !== 10) fail('10 probabilities (digits 0-9)', 'probs', probs);
  checkNumber(minConfidence, 'minConfidence', 0, 1);
  const order = Array.from(probs, (probability, digit) => ({ digit, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, 3)
    .map((c) => ({ digit: c.digit, probability: round4(c.probability) }));
  const model = order[0];
  const record: DigitRecord = {
    digit: model.digit,
    probability: model.probability,
    top3: order,
    review: probs[model.digit] < minConfidence,
    box: { ...box },
  };
  if (correction !== undefined && correction !== model.digit) {
    record.corrected = { from: model.digit };
    record.digit = correction;
  }
  // A digit a person has looked at needs no more review.
  if (correction !== undefined) record.review = false;
  return record;
}

/** A classified digit: where it is, its field cell if any, the model's 10 probabilities. */
export interface ClassifiedDigitLike {
  box: Box;
  cell?: number;
  probs: ArrayLike<number>;
  /** The digit a person says it is (app review). */
  correction?: number;
}

/** A unit whose digits have been classified, in reading order. */
export interface ClassifiedUnitLike {
  box: Box;
  cells?: Box[];
  digits: readonly ClassifiedDigitLike[];
}

/**
 * The reading of a page from its classified units: records per digit, text and review per unit, counts
 * per page. Units are fields when the layout is `fields`, strings otherwise.
 */
export function pageReading(
  page: { width: number; height: number; layout: PageLayout; decision?: string },
  units: readonly ClassifiedUnitLike[],
  minConfidence: number,
): PageReading {
  const records = units.map((u) => {
    const digits = u.digits.map((d) => {
      const r = digitRecord(d.probs, d.box, minConfidence, d.correction);
      return d.cell === undefined ? r : { ...r, cell: d.cell };
    });
    return {
      box: u.box,
      ...(u.cells ? { cells: u.cells } : {}),
      text: digits.map((d) => d.digit).join(''),
      digits,
      review: digits.some((d) => d.review),
    };
  });
  const all = records.flatMap((u) => u.digits);
  return {
    width: page.width,
    height: page.height,
    layout: page.layout,
    ...(page.decision ? { decision: page.decision } : {}),
    // A fields page's units are its fields, and every field has its cells.
    ...(page.layout === 'fields' ? { fields: records as FieldRecord[] } : { strings: records }),
    empty: all.length === 0,
    text: records
      .map((u) => u.text)
      .filter((t) => t.length > 0)
      .join(' '),
    digits: all.length,
    flagged: all.filter((d) => d.review).length,
  };
}
