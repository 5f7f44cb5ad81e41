/**
 * The batch reader's output: records streamed as CSV, JSON or JSON Lines, and the run's summary.
 *
 * JSON Lines and JSON carry one record per page (PageRecord, preprocess/records.ts), whole. CSV rows
 * are preprocess/records-csv.ts's, the same as the app's upload export but for its `corrected` column.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { csvHeader, csvRows } from '../preprocess/records-csv.ts';
import type { PageRecord } from '../preprocess/records.ts';

export const FORMATS = ['csv', 'json', 'jsonl'] as const;
export type OutputFormat = (typeof FORMATS)[number];

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
    else await this.put((this.count === 0 ? csvHeader() : '') + csvRows(record));
    this.count++;
  }

  /** Closes the JSON array (or writes the CSV header of an empty batch); does not end the stream. */
  async finish(): Promise<void> {
    if (this.format === 'json') await this.put(this.count === 0 ? '[]\n' : '\n]\n');
    else if (this.format === 'csv' && this.count === 0) await this.put(csvHeader());
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
