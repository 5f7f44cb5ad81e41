/**
 * TIFF and PDF pages, rendered by mupdf (WASM), one page at a time. mupdf is ~10 MB of WASM, so it is
 * imported only when such a file arrives and cached by the service worker on first use, not precached.
 * PDF pages are rasterised at 150 dpi, as `npm run read` does by default; TIFF pages at their own
 * pixel size, as sharp decodes them for `npm run read` (mupdf sizes them by their resolution tags).
 */
const PDF_DPI = 150;
const POINTS_PER_INCH = 72;
/** A rendered page larger than this is scaled down (a phone cannot hold a 600 dpi A3 page in RGBA). */
const MAX_PAGE_PIXELS = 24_000_000;
const MAX_PAGES = 500;

export interface DocumentPage {
  /** 1-based. */
  page: number;
  pages: number;
  bitmap?: ImageBitmap;
  error?: string;
}

/** ImageWidth (tag 256) of each page (IFD) of a TIFF, in order; [] when the header cannot be walked. */
export function tiffPageWidths(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49;
  const widths: number[] = [];
  try {
    let ifd = view.getUint32(4, little);
    const seen = new Set<number>();
    while (ifd > 0 && ifd + 2 <= bytes.length && !seen.has(ifd) && widths.length < MAX_PAGES) {
      seen.add(ifd);
      const count = view.getUint16(ifd, little);
      let width = 0;
      for (let i = 0; i < count; i++) {
        const entry = ifd + 2 + i * 12;
        if (view.getUint16(entry, little) !== 256) continue;
        const type = view.getUint16(entry + 2, little);
        width = type === 3 ? view.getUint16(entry + 8, little) : view.getUint32(entry + 8, little);
      }
      widths.push(width);
      ifd = view.getUint32(ifd + 2 + count * 12, little);
    }
  } catch {
    // A truncated header: mupdf will say what is wrong with the file.
  }
  return widths;
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0].trim();
}

export async function* decodeDocument(blob: Blob, format: 'tiff' | 'pdf'): AsyncGenerator<DocumentPage> {
  const mupdf = await import('mupdf');
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const kind = format === 'pdf' ? 'PDF' : 'TIFF';
  let doc: InstanceType<typeof mupdf.Document>;
  try {
    doc = mupdf.Document.openDocument(bytes, format === 'pdf' ? 'application/pdf' : 'image/tiff');
  } catch (error) {
    throw new Error(`It looks like a ${kind} file but cannot be opened (${reason(error)})`, { cause: error });
  }
  try {
    if (doc.needsPassword())
      throw new Error('The PDF is password-protected: save an unprotected copy and read that');
    const pages = doc.countPages();
    if (pages === 0) throw new Error(`The ${kind} file has no pages`);
    if (pages > MAX_PAGES) throw new Error(`It has ${pages} pages, more than ${MAX_PAGES}: split it`);
    const tiffWidths = format === 'tiff' ? tiffPageWidths(bytes) : [];
    for (let i = 0; i < pages; i++) {
      let page: ReturnType<typeof doc.loadPage> | undefined;
      let pixmap: ReturnType<NonNullable<typeof page>['toPixmap']> | undefined;
      try {
        page = doc.loadPage(i);
        const [x0, y0, x1, y1] = page.getBounds();
        let scale = PDF_DPI / POINTS_PER_INCH;
        if (format === 'tiff') scale = tiffWidths[i] > 0 ? tiffWidths[i] / (x1 - x0) : 1;
        const area = (x1 - x0) * (y1 - y0) * scale * scale;
        if (area > MAX_PAGE_PIXELS) scale *= Math.sqrt(MAX_PAGE_PIXELS / area);
        pixmap = page.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceRGB, false, true);
        const width = pixmap.getWidth();
        const height = pixmap.getHeight();
        const stride = pixmap.getStride();
        const rgb = pixmap.getPixels();
        const rgba = new Uint8ClampedArray(width * height * 4);
        for (let y = 0, j = 0; y < height; y++) {
          for (let k = y * stride, end = k + width * 3; k < end; k += 3, j += 4) {
            rgba[j] = rgb[k];
            rgba[j + 1] = rgb[k + 1];
            rgba[j + 2] = rgb[k + 2];
            rgba[j + 3] = 255;
          }
        }
        const bitmap = await createImageBitmap(new ImageData(rgba, width, height));
        yield { page: i + 1, pages, bitmap };
      } catch (error) {
        yield {
          page: i + 1,
          pages,
          error: `Page ${i + 1} of ${pages} cannot be rendered (${reason(error)})`,
        };
      } finally {
        pixmap?.destroy();
        page?.destroy();
      }
    }
  } finally {
    doc.destroy();
  }
}
