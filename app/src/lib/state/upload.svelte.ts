/**
 * Upload mode: a batch of files read one after another in the worker, with progress and cancel. A file
 * that cannot be read is listed with its error and the batch goes on. Digits under the review level are
 * flagged; a person can correct any digit, and the exports carry the corrections.
 */
import { SvelteMap } from 'svelte/reactivity';
import { abortError, isAbortError, userMessage } from '../abort.ts';
import { MAX_UPLOAD_BYTES, type Layout } from '../constants.ts';
import type { PageResult } from '../protocol.ts';
import { errorRecord, pageRecord, toCsv, toJson, type PageRecord } from '../records.ts';
import type { EngineState } from './engine.svelte.ts';
import type { Settings } from './settings.svelte.ts';

export type ItemStatus = 'queued' | 'reading' | 'done' | 'error' | 'cancelled';

export class UploadPageView {
  /** Digit index -> the digit a person says it is. */
  readonly corrections = new SvelteMap<number, number>();
  constructor(
    readonly page: number,
    readonly pages: number,
    readonly result: PageResult | null,
    readonly thumbUrl: string | null,
    readonly error: string | null,
  ) {}

  correct(digit: number, value: number | null): void {
    if (value === null) this.corrections.delete(digit);
    else this.corrections.set(digit, value);
  }
}

export class UploadItem {
  status = $state<ItemStatus>('queued');
  pages = $state.raw<UploadPageView[]>([]);
  error = $state('');
  constructor(
    readonly id: number,
    readonly file: File,
    readonly layout: Layout,
  ) {}
}

export class UploadController {
  items = $state.raw<UploadItem[]>([]);
  running = $state(false);
  /** Files finished in this batch, and the batch's size, for the progress bar. */
  done = $state(0);
  total = $state(0);
  private nextId = 1;
  private abort: AbortController | null = null;

  constructor(
    private readonly engine: EngineState,
    private readonly settings: Settings,
  ) {}

  add(files: Iterable<File>): void {
    const added = [...files].map((f) => new UploadItem(this.nextId++, f, this.settings.layout));
    if (added.length === 0) return;
    this.items = [...this.items, ...added];
    this.total += added.length;
    if (!this.running) void this.run();
  }

  cancel(): void {
    this.abort?.abort();
  }

  clear(): void {
    this.cancel();
    for (const item of this.items)
      for (const p of item.pages) if (p.thumbUrl) URL.revokeObjectURL(p.thumbUrl);
    this.items = [];
    this.done = 0;
    this.total = 0;
  }

  private async run(): Promise<void> {
    this.running = true;
    const abort = new AbortController();
    this.abort = abort;
    try {
      for (;;) {
        const item = this.items.find((i) => i.status === 'queued');
        if (!item) break;
        if (abort.signal.aborted) {
          for (const i of this.items) if (i.status === 'queued') i.status = 'cancelled';
          break;
        }
        await this.read(item, abort.signal);
        this.done++;
      }
    } finally {
      this.running = false;
      this.abort = null;
      if (!this.items.some((i) => i.status === 'queued')) {
        this.done = 0;
        this.total = 0;
      }
    }
  }

  private async read(item: UploadItem, signal: AbortSignal): Promise<void> {
    item.status = 'reading';
    try {
      if (item.file.size === 0) throw new Error(`"${item.file.name}" is empty (0 bytes)`);
      if (item.file.size > MAX_UPLOAD_BYTES) {
        throw new Error(
          `"${item.file.name}" is ${(item.file.size / 1e6).toFixed(0)} MB, more than the ${MAX_UPLOAD_BYTES / 1e6} MB limit`,
        );
      }
      if (signal.aborted) throw abortError();
      const pages = await this.engine.bridge.call(signal, 'readFile', [
        item.file,
        item.file.name,
        { layout: item.layout, maxSide: 0, includePixels: false },
      ]);
      item.pages = pages.map(
        (p) =>
          new UploadPageView(
            p.page,
            p.pages,
            p.result ?? null,
            p.thumbnail ? URL.createObjectURL(p.thumbnail) : null,
            p.error ?? null,
          ),
      );
      item.status = pages.some((p) => p.result) ? 'done' : 'error';
      if (item.status === 'error') item.error = pages.find((p) => p.error)?.error ?? 'No page could be read';
    } catch (error) {
      if (isAbortError(error) || signal.aborted) {
        item.status = 'cancelled';
        return;
      }
      item.status = 'error';
      item.error = userMessage(error);
    }
  }

  /** Every page read (and every error) as `npm run read` records, corrections applied. */
  records(): PageRecord[] {
    const out: PageRecord[] = [];
    for (const item of this.items) {
      if (item.status === 'error' && item.pages.length === 0)
        out.push(errorRecord(item.file.name, item.error));
      for (const p of item.pages) {
        if (p.result) {
          out.push(
            pageRecord(item.file.name, p.page, p.pages, p.result, this.settings.reviewBelow, p.corrections),
          );
        } else out.push(errorRecord(item.file.name, p.error ?? 'cannot be read', p.page, p.pages));
      }
    }
    return out;
  }

  csv(): string {
    return toCsv(this.records());
  }

  json(): string {
    return toJson(this.records());
  }
}
