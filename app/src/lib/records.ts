/**
 * Upload results as records, in the shape `npm run read` writes (preprocess/records.ts: one record per
 * page, CSV with one row per field or string), so a batch read in the browser and one read by the CLI
 * can be compared and fed to the same spreadsheet. Corrections a person made in the review are applied,
 * and marked (the CSV's extra `corrected` column).
 */
import { pageReading, type PageRecord } from '../../../preprocess/records.ts';
import { csvHeader, csvRows, REVIEWED_CSV_COLUMNS } from '../../../preprocess/records-csv.ts';
import { fail } from '../../../preprocess/validate.ts';
import type { Box, DigitResult, PageResult } from './protocol.ts';

export type { PageRecord };

/** Digit index (in PageResult.digits) -> the digit a person says it is. */
export type Corrections = ReadonlyMap<number, number>;

export function pageRecord(
  file: string,
  page: number,
  pages: number,
  result: PageResult,
  reviewBelow: number,
  corrections: Corrections = new Map(),
): PageRecord {
  const { width, height, layout, decision } = result;
  if (layout === 'draw') fail('a page layout (single, string or fields)', 'result.layout', layout);
  const units = (result.fields ?? result.strings).map((u: { box: Box; cells?: Box[] }) => ({
    box: u.box,
    ...(u.cells ? { cells: u.cells } : {}),
    digits: [] as (DigitResult & { correction?: number })[],
  }));
  result.digits.forEach((d, i) => units[d.string].digits.push({ ...d, correction: corrections.get(i) }));
  return { file, page, pages, ...pageReading({ width, height, layout, decision }, units, reviewBelow) };
}

export function errorRecord(file: string, error: string, page?: number, pages?: number): PageRecord {
  return { file, ...(page !== undefined ? { page, pages } : {}), error };
}

export function toCsv(records: readonly PageRecord[]): string {
  return csvHeader(REVIEWED_CSV_COLUMNS) + records.map((r) => csvRows(r, REVIEWED_CSV_COLUMNS)).join('');
}

export function toJson(records: readonly PageRecord[]): string {
  return JSON.stringify(records, null, 2) + '\n';
}
