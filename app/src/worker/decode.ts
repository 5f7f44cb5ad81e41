/**
 * Browser decode adapter: frames and files to GrayImage (paper polarity) through a canvas, then
 * preprocess/ fromRGBA, the same conversion Node's decoder ends in (so pixels match: the parity test).
 */
import { fromRGBA, type GrayImage } from '../../../preprocess/image.ts';

/** One reusable 2D canvas per worker: allocating a canvas per camera frame churns GPU memory. */
export class Rasterizer {
  private canvas: OffscreenCanvas | null = null;
  private ctx: OffscreenCanvasRenderingContext2D | null = null;

  private context(width: number, height: number): OffscreenCanvasRenderingContext2D {
    if (!this.canvas || !this.ctx) {
      this.canvas = new OffscreenCanvas(width, height);
      const ctx = this.canvas.getContext('2d', { willReadFrequently: true, alpha: true });
      if (!ctx) throw new Error('This browser cannot read pixels in a worker (no OffscreenCanvas 2D)');
      this.ctx = ctx;
    }
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    return this.ctx;
  }

  /** Draws an image, shrunk so that its longer side is at most maxSide (0: full size), and reads it grey. */
  toGray(source: ImageBitmap, maxSide = 0): GrayImage {
    const scale = maxSide > 0 ? Math.min(1, maxSide / Math.max(source.width, source.height)) : 1;
    const width = Math.max(1, Math.round(source.width * scale));
    const height = Math.max(1, Math.round(source.height * scale));
    const ctx = this.context(width, height);
    ctx.clearRect(0, 0, width, height);
    ctx.imageSmoothingQuality = 'medium';
    ctx.drawImage(source, 0, 0, width, height);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    return fromRGBA(width, height, rgba);
  }
}

/** A small JPEG of an image for the results list. */
export async function thumbnail(source: ImageBitmap, side: number): Promise<Blob> {
  const scale = Math.min(1, side / Math.max(source.width, source.height));
  const canvas = new OffscreenCanvas(
    Math.max(1, Math.round(source.width * scale)),
    Math.max(1, Math.round(source.height * scale)),
  );
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw in a worker (no OffscreenCanvas 2D)');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 });
}

export type SniffedFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'bmp' | 'avif' | 'tiff' | 'pdf' | 'unknown';

/** The format from the first bytes: file names and MIME types from a drop are often wrong. */
export async function sniffFormat(blob: Blob): Promise<SniffedFormat> {
  const b = new Uint8Array(await blob.slice(0, 16).arrayBuffer());
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (ascii(0, 2) === 'BM') return 'bmp';
  if (ascii(4, 12) === 'ftypavif' || ascii(4, 12) === 'ftypavis') return 'avif';
  if (
    (b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0) ||
    (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42)
  ) {
    return 'tiff';
  }
  if (ascii(0, 5) === '%PDF-') return 'pdf';
  return 'unknown';
}
