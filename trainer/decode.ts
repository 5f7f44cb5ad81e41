/**
 * Node adapter from files to GrayImage pages (paper polarity: white paper = 1).
 * Images go through sharp (libvips), PDFs through mupdf (WASM). The format comes from the bytes, never the
 * extension. Pages stream one at a time, so a 300-page scan costs one page of memory; every failure is a
 * DecodeError whose message names the file and the problem.
 */
import { open, readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { MAX_PIXELS, type GrayImage } from '../preprocess/image.ts';
import { checkInteger, checkNumber, fail } from '../preprocess/validate.ts';
import { DecodeError } from './decode-error.ts';
import { decodePdf } from './decode-pdf.ts';
import { decodeRaster } from './decode-sharp.ts';
import { SNIFF_BYTES, sniffFormat, type DecodableFormat } from './decode-sniff.ts';

export { DecodeError, type DecodeErrorCode } from './decode-error.ts';
export { sniffFormat, type DecodableFormat, type Sniffed } from './decode-sniff.ts';

export interface DecodedPage {
  /** 0-based page index within the file. */
  page: number;
  /** Pages this file yields: TIFF and PDF pages; 1 for other images (see decode-sharp.ts on animations). */
  pageCount: number;
  image: GrayImage;
  width: number;
  height: number;
  /** Format sniffed from the bytes: 'jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif' or 'pdf'. */
  format: string;
  /** Things the user should know that did not stop decoding (only the first GIF frame read, a repaired PDF). */
  warnings?: readonly string[];
}

export interface DecodeOptions {
  /**
   * Largest page in pixels. Checked against the header before any pixel is decoded, which stops
   * decompression bombs (a 1 KB PNG can claim 100000 x 100000). 50 MP is a 600 dpi A4 page; at most
   * MAX_PIXELS, the largest image preprocess/ accepts.
   */
  maxPixels: number;
  /** Resolution PDF pages are rasterised at. 150 dpi makes a 5 mm digit about 30 px tall, above MNIST's 20. */
  pdfDpi: number;
  /** Most pages one file may have; more is refused up front rather than silently cut. */
  maxPages: number;
}

export const defaultDecodeOptions: DecodeOptions = Object.freeze({
  maxPixels: 50_000_000,
  pdfDpi: 150,
  maxPages: 1000,
});

const SUPPORTED_EXTENSIONS = new Set(['jpg', 'jpeg', 'png', 'webp', 'gif', 'avif', 'tif', 'tiff', 'pdf']);

/** Whether a directory walk should pick this file up (by extension; decoding itself sniffs the bytes). */
export function isSupportedPath(path: string): boolean {
  if (typeof path !== 'string') fail('a file path string', 'path', path);
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 && SUPPORTED_EXTENSIONS.has(base.slice(dot + 1).toLowerCase());
}

function resolveOptions(options: Partial<DecodeOptions> | undefined): DecodeOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    fail('an options object', 'options', options);
  }
  const o = { ...defaultDecodeOptions, ...options };
  checkInteger(o.maxPixels, 'options.maxPixels', 1, MAX_PIXELS);
  checkNumber(o.pdfDpi, 'options.pdfDpi', 1, 2400);
  checkInteger(o.maxPages, 'options.maxPages', 1);
  return o;
}

function fsError(error: unknown, file: string): DecodeError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new DecodeError('not-found', file, 'no such file.', { cause: error });
    case 'EISDIR':
      return new DecodeError('is-directory', file, 'it is a directory, not a file.', { cause: error });
    case 'EACCES':
    case 'EPERM':
      // No code of its own: to the user it is a file they cannot get at, like a missing one.
      return new DecodeError('not-found', file, 'permission denied: the file cannot be opened.', {
        cause: error,
      });
    default:
      return new DecodeError('not-found', file, `the file cannot be read (${detail}).`, { cause: error });
  }
}

function unsupported(file: string, looksLike: string): DecodeError {
  return new DecodeError(
    'unsupported',
    file,
    `it is ${looksLike}, not a format digitlens reads (JPEG, PNG, WebP, GIF, AVIF, TIFF or PDF).`,
  );
}

/** Stats first: opening a FIFO for reading would block until someone writes to it. */
async function readHead(path: string): Promise<Uint8Array> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    throw fsError(error, path);
  }
  if (info.isDirectory()) throw new DecodeError('is-directory', path, 'it is a directory, not a file.');
  if (!info.isFile()) {
    throw new DecodeError('unsupported', path, 'it is not a regular file (a device, socket or pipe).');
  }
  if (info.size === 0) throw new DecodeError('empty', path, 'the file is empty (0 bytes).');
  try {
    const handle = await open(path, 'r');
    try {
      const head = new Uint8Array(Math.min(SNIFF_BYTES, info.size));
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      if (bytesRead === 0) throw new DecodeError('empty', path, 'the file is empty (0 bytes).');
      return head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw fsError(error, path);
  }
}

async function* decodeSniffed(
  format: DecodableFormat,
  source: string | Uint8Array,
  file: string,
  options: DecodeOptions,
): AsyncGenerator<DecodedPage> {
  if (format === 'pdf') {
    let bytes: Uint8Array;
    try {
      bytes = typeof source === 'string' ? await readFile(source) : source;
    } catch (error) {
      throw fsError(error, file);
    }
    yield* decodePdf(bytes, file, options);
  } else {
    yield* decodeRaster(source, file, format, options);
  }
}

/**
 * Decodes every page of a file, one at a time. Images are read by sharp straight from disk; PDFs are read
 * whole (mupdf needs the bytes) and rasterised a page per step. Stop iterating to stop decoding.
 */
export async function* decodeFile(
  path: string,
  options?: Partial<DecodeOptions>,
): AsyncGenerator<DecodedPage> {
  if (typeof path !== 'string' || path === '') fail('a non-empty file path', 'path', path);
  const opts = resolveOptions(options);
  const sniffed = sniffFormat(await readHead(path));
  if (sniffed.format === null) throw unsupported(path, sniffed.looksLike);
  yield* decodeSniffed(sniffed.format, path, path, opts);
}

/** Decodes every page of an in-memory file; `name` only labels messages (a path, an upload's name). */
export async function* decodeBuffer(
  buf: Uint8Array,
  name: string,
  options?: Partial<DecodeOptions>,
): AsyncGenerator<DecodedPage> {
  if (!(buf instanceof Uint8Array)) fail('a Uint8Array or Buffer', 'buf', buf);
  if (typeof name !== 'string') fail('a name string', 'name', name);
  const opts = resolveOptions(options);
  if (buf.length === 0) throw new DecodeError('empty', name, 'the file is empty (0 bytes).');
  const sniffed = sniffFormat(buf.subarray(0, SNIFF_BYTES));
  if (sniffed.format === null) throw unsupported(name, sniffed.looksLike);
  yield* decodeSniffed(sniffed.format, buf, name, opts);
}

/** The first page of an in-memory file: photos and single scans. Later pages are never decoded. */
export async function decodeImage(
  buf: Uint8Array,
  name: string,
  options?: Partial<DecodeOptions>,
): Promise<GrayImage> {
  for await (const page of decodeBuffer(buf, name, options)) return page.image;
  throw new DecodeError('no-pages', name, 'it has no pages.');
}
