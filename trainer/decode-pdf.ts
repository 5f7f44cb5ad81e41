/**
 * PDF pages rasterised by mupdf (WASM: no native dependency, reads any PDF, including damaged ones
 * it can repair). Each page is rendered only when the caller asks for it and freed before the next, so
 * memory stays at one page. Annotations and filled-in form fields are drawn: on a form they are the answers.
 * mupdf is imported on first use because instantiating its WASM costs time that image-only runs never need.
 */
import { fromRGBA, type GrayImage } from '../preprocess/image.ts';
import type { DecodedPage, DecodeOptions } from './decode.ts';
import { DecodeError } from './decode-error.ts';

type Mupdf = typeof import('mupdf');
type Pixmap = InstanceType<Mupdf['Pixmap']>;

/** PDF user space is 1/72 inch. */
const POINTS_PER_INCH = 72;

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0].trim();
}

/**
 * Runs mupdf calls with its log captured instead of printed: on a damaged file it writes lines such as
 * "trying to repair broken xref" to stderr, which would interleave with a CLI's output. The log is global to
 * mupdf, so it is taken only for the synchronous call and given back (to mupdf's default) at once.
 */
function captureLog<T>(mupdf: Mupdf, log: string[], run: () => T): T {
  mupdf.setLog((message: string) => log.push(message.trim()));
  try {
    return run();
  } finally {
    mupdf.setLog(null);
  }
}

/**
 * Renders in RGB and leaves grey to preprocess/ fromRGBA, as decode-sharp.ts does: mupdf's own DeviceGray
 * goes through ICC profiles and makes red ink 0.51 where the browser's fromRGBA makes it 0.30.
 */
function pixmapToGray(pixmap: Pixmap): GrayImage {
  const width = pixmap.getWidth();
  const height = pixmap.getHeight();
  const stride = pixmap.getStride();
  const n = pixmap.getNumberOfComponents() + pixmap.getAlpha();
  if (n !== 3) throw new Error(`mupdf rendered ${n} components per pixel instead of 3 (RGB)`);
  const pixels = pixmap.getPixels();
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0, j = 0; y < height; y++) {
    for (let i = y * stride, end = i + width * 3; i < end; i += 3, j += 4) {
      rgba[j] = pixels[i];
      rgba[j + 1] = pixels[i + 1];
      rgba[j + 2] = pixels[i + 2];
      rgba[j + 3] = 255;
    }
  }
  return fromRGBA(width, height, rgba);
}

export async function* decodePdf(
  bytes: Uint8Array,
  file: string,
  options: DecodeOptions,
): AsyncGenerator<DecodedPage> {
  const mupdf = await import('mupdf');
  const log: string[] = [];
  let doc: InstanceType<Mupdf['Document']>;
  try {
    doc = captureLog(mupdf, log, () => mupdf.Document.openDocument(bytes, 'application/pdf'));
  } catch (error) {
    throw new DecodeError(
      'corrupt',
      file,
      `it looks like a PDF document but cannot be opened (${reason(error)}).`,
      {
        cause: error,
      },
    );
  }
  try {
    if (doc.needsPassword()) {
      throw new DecodeError(
        'encrypted',
        file,
        'the PDF is password-protected. Save or print an unprotected copy and read that instead.',
      );
    }
    let pageCount: number;
    try {
      pageCount = captureLog(mupdf, log, () => doc.countPages());
    } catch (error) {
      throw new DecodeError('corrupt', file, `the PDF's page list is damaged (${reason(error)}).`, {
        cause: error,
      });
    }
    if (pageCount === 0) throw new DecodeError('no-pages', file, 'the PDF has no pages.');
    if (pageCount > options.maxPages) {
      throw new DecodeError(
        'too-large',
        file,
        `it has ${pageCount} pages, more than the limit of ${options.maxPages} (maxPages); split it or raise the limit.`,
      );
    }
    const documentWarnings = doc.asPDF()?.wasRepaired()
      ? ['the PDF is damaged and was repaired; pages may be incomplete.']
      : [];
    const scale = options.pdfDpi / POINTS_PER_INCH;
    for (let index = 0; index < pageCount; index++) {
      const where = `page ${index + 1} of ${pageCount}`;
      log.length = 0;
      let page: InstanceType<Mupdf['Page']> | undefined;
      let pixmap: Pixmap | undefined;
      let image: GrayImage;
      try {
        page = captureLog(mupdf, log, () => doc.loadPage(index));
        const [x0, y0, x1, y1] = page.getBounds();
        const width = Math.ceil(((x1 - x0) * options.pdfDpi) / POINTS_PER_INCH);
        const height = Math.ceil(((y1 - y0) * options.pdfDpi) / POINTS_PER_INCH);
        if (!(width >= 1 && height >= 1)) {
          throw new DecodeError(
            'corrupt',
            file,
            `${where} has no area (its MediaBox is [${[x0, y0, x1, y1]}]).`,
          );
        }
        if (width * height > options.maxPixels) {
          const inches = (v: number) => Math.round((v / POINTS_PER_INCH) * 10) / 10;
          throw new DecodeError(
            'too-large',
            file,
            `${where} is ${inches(x1 - x0)} x ${inches(y1 - y0)} inches, which at ${options.pdfDpi} dpi is ` +
              `${width} x ${height} pixels, more than the limit of ${options.maxPixels / 1e6} megapixels (maxPixels); lower pdfDpi.`,
          );
        }
        const p = page;
        pixmap = captureLog(mupdf, log, () =>
          p.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceRGB, false, true),
        );
        image = pixmapToGray(pixmap);
      } catch (error) {
        if (error instanceof DecodeError) throw error;
        throw new DecodeError('corrupt', file, `${where} cannot be rendered (${reason(error)}).`, {
          cause: error,
        });
      } finally {
        pixmap?.destroy();
        page?.destroy();
      }
      const warnings = [...documentWarnings];
      if (log.length > 0) {
        const shown = [...new Set(log)].slice(0, 3).join('; ');
        warnings.push(`${where} has errors in its content and may be incomplete (${shown}).`);
      }
      yield {
        page: index,
        pageCount,
        image,
        width: image.width,
        height: image.height,
        format: 'pdf',
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    }
  } finally {
    doc.destroy();
  }
}
