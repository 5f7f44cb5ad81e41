/**
 * The batch reader's library: from a file to the records of its pages. Decoding (sharp, mupdf) is
 * Node's; reading a decoded page is preprocess/read-page.ts, shared with the app, which says how the
 * layout is decided and when a digit is flagged for review. Boxes are in pixels of the decoded page (PDF
 * pages: at the raster resolution, 150 dpi by default).
 */
import type { GrayImage } from '../preprocess/image.ts';
import type { Classifier } from '../preprocess/read-classify.ts';
import {
  checkReadPageOptions,
  defaultReadPageOptions,
  readPage as readImage,
  type ReadPageOptions,
} from '../preprocess/read-page.ts';
import type { PageRecord } from '../preprocess/records.ts';
import { fail } from '../preprocess/validate.ts';
import { DecodeError, decodeFile, type DecodedPage, type DecodeOptions } from './decode.ts';

export interface ReadOptions extends ReadPageOptions {
  decode: Partial<DecodeOptions>;
}

export const defaultReadOptions: ReadOptions = { ...defaultReadPageOptions, decode: {} };

export function checkReadOptions(o: ReadOptions, name = 'options'): void {
  checkReadPageOptions(o, name);
  if (typeof o.decode !== 'object' || o.decode === null) fail('an object', `${name}.decode`, o.decode);
}

export function resolveReadOptions(options: Partial<ReadOptions> = {}): ReadOptions {
  if (typeof options !== 'object' || options === null) fail('an options object', 'options', options);
  const o = { ...defaultReadOptions, ...options };
  checkReadOptions(o);
  return o;
}

/** Reads one decoded page into a record (page numbers are 1-based in records). */
export async function readPage(
  file: string,
  page: DecodedPage,
  classify: Classifier,
  options: Partial<ReadOptions> = {},
): Promise<PageRecord> {
  const read = await readImage(page.image, classify, resolveReadOptions(options));
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
