/**
 * Page records as CSV, for spreadsheets: one row per field or string (a page's reading units), with the
 * page's columns repeated; a page with no digits, and a file that could not be read, get one row each,
 * so every page of a batch appears. `npm run read` writes CSV_COLUMNS; the app's upload export adds
 * `corrected` (a person changed a digit of the unit in review).
 */
import type { DigitRecord, PageRecord } from './records.ts';
import { fail } from './validate.ts';

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
] as const;

/** CSV_COLUMNS and whether a person corrected a digit of the unit. */
export const REVIEWED_CSV_COLUMNS = [...CSV_COLUMNS, 'corrected'] as const;

export type CsvColumn = (typeof REVIEWED_CSV_COLUMNS)[number];

/**
 * A CSV cell. Values a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage
 * return that some strip first) get a leading quote: a file named "=HYPERLINK(...)" stays text.
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The header line. */
export function csvHeader(columns: readonly CsvColumn[] = CSV_COLUMNS): string {
  checkColumns(columns);
  return columns.join(',') + '\n';
}

function checkColumns(columns: readonly CsvColumn[]): void {
  if (!Array.isArray(columns) || columns.some((c) => !REVIEWED_CSV_COLUMNS.includes(c))) {
    fail(`an array of columns from ${REVIEWED_CSV_COLUMNS.join(', ')}`, 'columns', columns);
  }
}

function digitColumns(digits: DigitRecord[]) {
  return {
    digits: digits.length,
    probabilities: digits.map((d) => d.probability).join(';'),
    top3: digits.map((d) => d.top3.map((c) => `${c.digit}:${c.probability}`).join('|')).join(';'),
    min_probability: digits.length ? Math.min(...digits.map((d) => d.probability)) : '',
  };
}

/** The CSV rows of one record: one per field or string; one for an empty page or an error. */
export function csvRows(r: PageRecord, columns: readonly CsvColumn[] = CSV_COLUMNS): string {
  checkColumns(columns);
  const row = (values: Partial<Record<CsvColumn, unknown>>) =>
    columns.map((c) => csvCell(values[c])).join(',') + '\n';
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
        ...digitColumns(u.digits),
        review: u.review,
        empty: u.digits.length === 0,
        error: '',
        corrected: u.digits.some((d) => d.corrected),
      }),
    )
    .join('');
}
