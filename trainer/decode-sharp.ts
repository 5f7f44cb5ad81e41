/**
 * Raster images through sharp (libvips): JPEG, PNG, WebP, GIF, AVIF/HEIF and TIFF.
 *
 * Choices made here, each on purpose:
 * - `failOn: 'error'`: a truncated JPEG, PNG or TIFF is refused as 'corrupt' instead of coming back with a
 *   grey band where the data ran out (libvips' 'none' does that, silently). 'error' still accepts the harmless
 *   warnings real cameras produce (for example extraneous bytes before a marker), which 'warning' would refuse.
 * - `limitInputPixels`: libvips checks the header's claimed size before allocating, so a tiny PNG claiming
 *   100000 x 100000 fails in milliseconds as 'too-large'.
 * - Every TIFF page is a page (multi-page TIFF is what scanners write). Animated GIF and WebP and image
 *   sequences in AVIF/HEIF yield their first frame only: they are animations, not documents; their frames
 *   repeat the same scene, so reading each would report the same digits many times over and multiply the
 *   work by the frame count. The page carries a warning saying how many frames were skipped.
 * - libvips applies the EXIF orientation, converts CMYK to sRGB (its built-in CMYK profile when none is
 *   embedded), expands palettes and reduces 16 bits to 8, and hands over 8-bit sRGB + alpha. The grey
 *   conversion and the flattening of alpha onto white paper (transparent is paper, never ink) are then done
 *   by preprocess/ fromRGBA, the very function the browser applies to canvas pixels. libvips' own 'b-w'
 *   is luminance in linear light (Rec. 709), which makes saturated ink far lighter than fromRGBA's Rec. 601
 *   luma on gamma-encoded values (pure red 0.50 against 0.30, blue 0.30 against 0.11): a blue-pen digit
 *   would look different to the trainer and to the app. The price is a 4-byte-per-pixel buffer per page.
 */
import sharp, { type OutputInfo } from 'sharp';
import { fromRGBA } from '../preprocess/image.ts';
import type { DecodedPage, DecodeOptions } from './decode.ts';
import { DecodeError } from './decode-error.ts';
import type { DecodableFormat } from './decode-sniff.ts';

export type RasterFormat = Exclude<DecodableFormat, 'pdf'>;

const NAMES: Record<RasterFormat, string> = {
  jpeg: 'JPEG image',
  png: 'PNG image',
  webp: 'WebP image',
  gif: 'GIF image',
  tiff: 'TIFF image',
  avif: 'AVIF image',
  heif: 'HEIF/HEIC image',
};

function article(name: string): string {
  return /^[AEIOU]/.test(name) ? `an ${name}` : `a ${name}`;
}

function megapixels(pixels: number): string {
  return `${Math.round(pixels / 1e5) / 10} megapixels`;
}

/** sharp's own message, first line only (libvips appends its error stack). */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n', 1)[0].trim();
}

/** Reads only the header (no pixel is decoded), to say how big a refused image claims to be. */
async function claimedSize(input: string | Buffer, page: number): Promise<string> {
  try {
    const { width, height } = await sharp(input, { limitInputPixels: false, page }).metadata();
    return width && height ? ` is ${width} x ${height} pixels (${megapixels(width * height)}), which` : '';
  } catch {
    return '';
  }
}

async function sharpError(
  error: unknown,
  input: string | Buffer,
  file: string,
  format: RasterFormat,
  options: DecodeOptions,
  page: number,
  pageCount: number,
): Promise<DecodeError> {
  const where = pageCount > 1 ? `page ${page + 1} of ${pageCount}: ` : '';
  const why = reason(error);
  const what = article(NAMES[format]);
  if (/exceeds pixel limit/i.test(why)) {
    const size = await claimedSize(input, page);
    return new DecodeError(
      'too-large',
      file,
      `${where}it is ${what} that${size || ''} exceeds the limit of ${megapixels(options.maxPixels)} ` +
        '(maxPixels); it was not decoded, as it may be a decompression bomb.',
      { cause: error },
    );
  }
  if (/unsupported image format/i.test(why)) {
    return new DecodeError(
      'unsupported',
      file,
      `${where}it looks like ${what} but sharp cannot read it (${why}).`,
      {
        cause: error,
      },
    );
  }
  if (format === 'heif' && /compression|codec|decoder|plugin|not built|unsupported/i.test(why)) {
    return new DecodeError(
      'unsupported',
      file,
      `${where}it is ${what} in a compression this build cannot decode (HEVC photos need a codec sharp does ` +
        `not ship); export it as JPEG or PNG (${why}).`,
      { cause: error },
    );
  }
  return new DecodeError(
    'corrupt',
    file,
    `${where}it looks like ${what} but is damaged or truncated (${why}).`,
    {
      cause: error,
    },
  );
}

export async function* decodeRaster(
  source: string | Uint8Array,
  file: string,
  format: RasterFormat,
  options: DecodeOptions,
): AsyncGenerator<DecodedPage> {
  // sharp reads paths straight from disk; for memory it wants a Buffer (a view, no copy).
  const input =
    typeof source === 'string' ? source : Buffer.from(source.buffer, source.byteOffset, source.length);
  const base = { failOn: 'error', limitInputPixels: options.maxPixels } as const;
  let frames: number;
  try {
    frames = (await sharp(input, base).metadata()).pages ?? 1;
  } catch (error) {
    throw await sharpError(error, input, file, format, options, 0, 1);
  }
  const pageCount = format === 'tiff' ? frames : 1;
  if (pageCount > options.maxPages) {
    throw new DecodeError(
      'too-large',
      file,
      `it has ${pageCount} pages, more than the limit of ${options.maxPages} (maxPages); split it or raise the limit.`,
    );
  }
  const warnings =
    frames > pageCount
      ? [`${article(NAMES[format])} with ${frames} frames: only the first frame was read.`]
      : [];
  for (let page = 0; page < pageCount; page++) {
    const where = pageCount > 1 ? `page ${page + 1} of ${pageCount}: ` : '';
    let out: { data: Buffer; info: OutputInfo };
    try {
      out = await sharp(input, { ...base, page, pages: 1 })
        .rotate()
        .toColourspace('srgb')
        .ensureAlpha(1)
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
    } catch (error) {
      throw await sharpError(error, input, file, format, options, page, pageCount);
    }
    const { width, height, channels } = out.info;
    if (channels !== 4 || out.data.length !== width * height * 4) {
      throw new DecodeError(
        'corrupt',
        file,
        `${where}decoding gave ${channels} channels of ${width} x ${height} pixels instead of 4 (RGBA).`,
      );
    }
    const image = fromRGBA(width, height, out.data);
    yield { page, pageCount, image, width, height, format, ...(warnings.length > 0 ? { warnings } : {}) };
  }
}
