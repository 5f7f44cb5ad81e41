/**
 * The batch reader's output: records streamed as CSV, JSON or JSON Lines, and the run's summary.
 *
 * JSON Lines and JSON carry one record per page (see PageRecord in read.ts), whole. CSV, for
 * spreadsheets, has one row per field or string (a page's reading units), with the page's columns
 * repeated; a page with no digits, and a file that could not be read, get one row each, so every page
 * of the batch appears. Values a spreadsheet would run as a formula (starting with = + - @) are
 * prefixed with a quote.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { DigitReading, PageRecord } from './read.ts';

export const FORMATS = ['csv', 'json', 'jsonl'] as const;
export type OutputFormat = (typeof FORMATS)[number];

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

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvRow(values: Record<(typeof CSV_COLUMNS)[number], unknown>): string {
  return CSV_COLUMNS.map((c) => csvCell(values[c])).join(',') + '\n';
}

function digitColumns(digits: DigitReading[]) {
  return {
    digits: digits.length,
    probabilities: digits.map((d) => d.probability).join(';'),
    top3: digits.map((d) => d.top3.map((c) => `${c.digit}:${c.probability}`).join('|')).join(';'),
    min_probability: digits.length ? Math.min(...digits.map((d) => d.probability)) : '',
  };
}

/** The CSV rows of one record. */
export function csvRows(r: PageRecord): string {
  const page = { file: r.file, page: r.page, pages: r.pages, layout: r.layout };
  const blank = {
    index: '',
    x: '',
    y: '',
    width: '',
    height: '',
    text: '',
    digits: '',
    probabilities: '',
    top3: '',
    min_probability: '',
    review: '',
  };
  if (r.error) return csvRow({ ...page, ...blank, unit: 'error', empty: '', error: r.error });
  const units = [
    ...(r.fields ?? []).map((f) => ({ unit: 'field', ...f })),
    ...(r.strings ?? []).map((s) => ({ unit: 'string', ...s })),
  ];
  if (units.length === 0) return csvRow({ ...page, ...blank, unit: 'page', empty: true, error: '' });
  return units
    .map((u, index) =>
      csvRow({
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
      }),
    )
    .join('');
}

/** Streams records to a writable in one format, waiting for it to drain (a slow pipe slows the reader). */
export class RecordWriter {
  private count = 0;
  constructor(
    private readonly out: Writable,
    readonly format: OutputFormat,
  ) {}

  private async put(s: string): Promise<void> {
    if (!this.out.write(s)) await once(this.out, 'drain');
  }

  async write(record: PageRecord): Promise<void> {
    if (this.format === 'jsonl') await this.put(JSON.stringify(record) + '\n');
    else if (this.format === 'json')
      await this.put((this.count === 0 ? '[\n' : ',\n') + JSON.stringify(record));
    else await this.put((this.count === 0 ? CSV_COLUMNS.join(',') + '\n' : '') + csvRows(record));
    this.count++;
  }

  /** Closes the JSON array (or writes the CSV header of an empty batch); does not end the stream. */
  async finish(): Promise<void> {
    if (this.format === 'json') await this.put(this.count === 0 ? '[]\n' : '\n]\n');
    else if (this.format === 'csv' && this.count === 0) await this.put(CSV_COLUMNS.join(',') + '\n');
  }
}

/** Counts for the summary line. */
export class ReadSummary {
  files = 0;
  filesFailed = 0;
  pages = 0;
  emptyPages = 0;
  digits = 0;
  flagged = 0;
  errors = 0;
  private failedIndex = -1;

  add(index: number, record: PageRecord, last: boolean): void {
    if (record.error) {
      this.errors++;
      if (this.failedIndex !== index) {
        this.failedIndex = index;
        this.filesFailed++;
      }
    } else {
      this.pages++;
      if (record.empty) this.emptyPages++;
      this.digits += record.digits ?? 0;
      this.flagged += record.flagged ?? 0;
    }
    if (last) this.files++;
  }

  line(seconds: number, interrupted = false): string {
    const rate = seconds > 0 ? this.pages / seconds : 0;
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
    return (
      `read: ${interrupted ? 'interrupted after ' : ''}${plural(this.files, 'file')}, ${plural(this.pages, 'page')}` +
      `${this.emptyPages ? ` (${this.emptyPages} empty)` : ''}, ${plural(this.digits, 'digit')}` +
      ` (${this.flagged} flagged for review), ${plural(this.errors, 'error')}` +
      `${this.filesFailed ? ` in ${plural(this.filesFailed, 'file')}` : ''}` +
      ` in ${seconds.toFixed(1)} s (${rate.toFixed(2)} pages/s)`
    );
  }
}
