/**
 * Upload results as records, in the shape `npm run read` writes (one record per page, CSV with one row
 * per field or string), so a batch read in the browser and one read by the CLI can be compared and fed
 * to the same spreadsheet. Corrections a person made in the review are applied, and marked.
 */
import type { Box, PageResult, StringResult } from './protocol.ts';

export interface Candidate {
  digit: number;
  probability: number;
}

export interface DigitRecord {
  digit: number;
  probability: number;
  top3: Candidate[];
  review: boolean;
  box: Box;
  /** The model's digit, when a person corrected it (digit is then the correction). */
  corrected?: { from: number };
}

export interface UnitRecord {
  box: Box;
  text: string;
  digits: DigitRecord[];
  review: boolean;
  cells?: Box[];
}

export interface PageRecord {
  file: string;
  page?: number;
  pages?: number;
  width?: number;
  height?: number;
  layout?: string;
  decision?: string;
  empty?: boolean;
  text?: string;
  fields?: UnitRecord[];
  strings?: UnitRecord[];
  digits?: number;
  flagged?: number;
  error?: string;
}

const round4 = (p: number) => Math.round(p * 10000) / 10000;

/** Digit index (in PageResult.digits) -> the digit a person says it is. */
export type Corrections = ReadonlyMap<number, number>;

export function digitRecord(
  probs: ArrayLike<number>,
  box: Box,
  reviewBelow: number,
  correction?: number,
): DigitRecord {
  const order = Array.from(probs, (probability, digit) => ({ digit, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, 3)
    .map((c) => ({ digit: c.digit, probability: round4(c.probability) }));
  const model = order[0];
  const record: DigitRecord = {
    digit: model.digit,
    probability: model.probability,
    top3: order,
    review: probs[model.digit] < reviewBelow,
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

export function pageRecord(
  file: string,
  page: number,
  pages: number,
  result: PageResult,
  reviewBelow: number,
  corrections: Corrections = new Map(),
): PageRecord {
  const source: (StringResult & { cells?: Box[] })[] = result.fields ?? result.strings;
  const units: UnitRecord[] = source.map((u) => ({
    box: { ...u.box },
    text: '',
    digits: [],
    review: false,
    ...(u.cells ? { cells: u.cells.map((c) => ({ ...c })) } : {}),
  }));
  result.digits.forEach((d, i) => {
    const unit = units[d.string];
    const r = digitRecord(d.probs, d.box, reviewBelow, corrections.get(i));
    unit.digits.push(r);
    unit.text += String(r.digit);
    unit.review ||= r.review;
  });
  const all = units.flatMap((u) => u.digits);
  const record: PageRecord = {
    file,
    page,
    pages,
    width: result.width,
    height: result.height,
    layout: result.layout,
    ...(result.decision ? { decision: result.decision } : {}),
    empty: all.length === 0,
    text: units
      .map((u) => u.text)
      .filter((t) => t.length > 0)
      .join(' '),
    ...(result.fields ? { fields: units } : { strings: units }),
    digits: all.length,
    flagged: all.filter((d) => d.review).length,
  };
  return record;
}

export function errorRecord(file: string, error: string, page?: number, pages?: number): PageRecord {
  return { file, ...(page !== undefined ? { page, pages } : {}), error };
}

export const CSV_COLUMNS = [
  'file',
  'page',
  'pages',
  'layout',
  'unit',
  'index',
  'x',
  'y',
  'width',
  'height',
  'text',
  'digits',
  'probabilities',
  'top3',
  'min_probability',
  'review',
  'empty',
  'error',
  'corrected',
] as const;
type Column = (typeof CSV_COLUMNS)[number];

/** A CSV cell; values a spreadsheet would run as a formula (= + - @) get a leading quote. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function row(values: Partial<Record<Column, unknown>>): string {
  return CSV_COLUMNS.map((c) => csvCell(values[c])).join(',') + '\n';
}

/** The CSV rows of one record: one per field or string; one for an empty page or an error. */
export function csvRows(r: PageRecord): string {
  const page = { file: r.file, page: r.page, pages: r.pages, layout: r.layout };
  if (r.error) return row({ ...page, unit: 'error', error: r.error });
  const units = [
    ...(r.fields ?? []).map((f) => ({ unit: 'field', ...f })),
    ...(r.strings ?? []).map((s) => ({ unit: 'string', ...s })),
  ];
  if (units.length === 0) return row({ ...page, unit: 'page', empty: true });
  return units
    .map((u, index) =>
      row({
        ...page,
        unit: u.unit,
        index,
        x: u.box.x,
        y: u.box.y,
        width: u.box.width,
        height: u.box.height,
        text: u.text,
        digits: u.digits.length,
        probabilities: u.digits.map((d) => d.probability).join(';'),
        top3: u.digits.map((d) => d.top3.map((c) => `${c.digit}:${c.probability}`).join('|')).join(';'),
        min_probability: u.digits.length ? Math.min(...u.digits.map((d) => d.probability)) : '',
        review: u.review,
        empty: u.digits.length === 0,
        error: '',
        corrected: u.digits.some((d) => d.corrected),
      }),
    )
    .join('');
}

export function toCsv(records: readonly PageRecord[]): string {
  return CSV_COLUMNS.join(',') + '\n' + records.map(csvRows).join('');
}

export function toJson(records: readonly PageRecord[]): string {
  return JSON.stringify(records, null, 2) + '\n';
}
