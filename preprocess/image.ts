/**
 * Grey-level images: the one pixel type every stage of preprocess/ speaks.
 * Values are floats in [0, 1]. Whether 1 means paper or ink depends on the stage: decoded photos are
 * "paper polarity" (white paper = 1), normalised digits are "MNIST polarity" (ink = 1, background = 0).
 */
import { checkFinite, checkInteger, checkNumber, fail } from './validate.ts';

export interface GrayImage {
  readonly width: number;
  readonly height: number;
  /** Row-major, length width * height, values in [0, 1]. */
  readonly data: Float32Array;
}

/** Largest image preprocess/ accepts: a 600 dpi A3 page, far beyond any camera frame. */
export const MAX_PIXELS = 100_000_000;

export function createImage(width: number, height: number, fill = 0): GrayImage {
  checkInteger(width, 'width', 1);
  checkInteger(height, 'height', 1);
  if (width * height > MAX_PIXELS) fail(`at most ${MAX_PIXELS} pixels`, 'width * height', width * height);
  const data = new Float32Array(width * height);
  if (fill !== 0) data.fill(checkNumber(fill, 'fill', 0, 1));
  return { width, height, data };
}

/** Validates a GrayImage (shape, data length, finite values) and returns it. */
export function checkImage(image: unknown, name = 'image'): GrayImage {
  if (typeof image !== 'object' || image === null) fail('a GrayImage {width, height, data}', name, image);
  const { width, height, data } = image as GrayImage;
  checkInteger(width, `${name}.width`, 1);
  checkInteger(height, `${name}.height`, 1);
  if (!(data instanceof Float32Array)) fail('a Float32Array', `${name}.data`, data);
  if (data.length !== width * height) {
    fail(`length ${width * height} (width * height)`, `${name}.data.length`, data.length);
  }
  checkFinite(data, `${name}.data`);
  return image as GrayImage;
}

/** Makes a GrayImage from a Float32Array or a plain array, validating it. */
export function imageFrom(width: number, height: number, data: Float32Array | ArrayLike<number>): GrayImage {
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  return checkImage({ width, height, data: f });
}

/** Converts 8-bit grey pixels (0..255) to a GrayImage. */
export function fromGray8(width: number, height: number, bytes: Uint8Array | Uint8ClampedArray): GrayImage {
  checkInteger(width, 'width', 1);
  checkInteger(height, 'height', 1);
  if (!(bytes instanceof Uint8Array || bytes instanceof Uint8ClampedArray)) {
    fail('a Uint8Array', 'bytes', bytes);
  }
  if (bytes.length !== width * height) fail(`length ${width * height}`, 'bytes.length', bytes.length);
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i] / 255;
  return { width, height, data };
}

/**
 * Converts RGBA pixels (canvas ImageData, decoded photos, camera frames) to grey.
 * Luma uses the Rec. 601 weights that JPEG and most scanners use; alpha is flattened onto white paper,
 * because a transparent background is paper, never ink.
 */
export function fromRGBA(width: number, height: number, rgba: Uint8Array | Uint8ClampedArray): GrayImage {
  checkInteger(width, 'width', 1);
  checkInteger(height, 'height', 1);
  if (!(rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray)) fail('a Uint8Array', 'rgba', rgba);
  if (rgba.length !== width * height * 4) {
    fail(`length ${width * height * 4} (width * height * 4)`, 'rgba.length', rgba.length);
  }
  if (width * height > MAX_PIXELS) fail(`at most ${MAX_PIXELS} pixels`, 'width * height', width * height);
  const data = new Float32Array(width * height);
  for (let i = 0, j = 0; i < data.length; i++, j += 4) {
    const a = rgba[j + 3] / 255;
    const luma = (0.299 * rgba[j] + 0.587 * rgba[j + 1] + 0.114 * rgba[j + 2]) / 255;
    data[i] = luma * a + (1 - a);
  }
  return { width, height, data };
}

/** Returns an RGBA byte buffer of a grey image (for canvases, PNG encoders and previews). */
export function toRGBA(image: GrayImage): Uint8ClampedArray {
  checkImage(image);
  const out = new Uint8ClampedArray(image.width * image.height * 4);
  for (let i = 0, j = 0; i < image.data.length; i++, j += 4) {
    const v = Math.round(image.data[i] * 255);
    out[j] = out[j + 1] = out[j + 2] = v;
    out[j + 3] = 255;
  }
  return out;
}

/** Returns 8-bit grey bytes of an image (values clamped to [0, 1]). */
export function toGray8(image: GrayImage): Uint8Array {
  checkImage(image);
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, image.data[i])) * 255);
  return out;
}

export function invert(image: GrayImage): GrayImage {
  checkImage(image);
  const data = new Float32Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = 1 - image.data[i];
  return { width: image.width, height: image.height, data };
}

/** Copies a rectangle out of an image; the rectangle is clipped to the image. */
export function crop(image: GrayImage, x: number, y: number, w: number, h: number): GrayImage {
  checkImage(image);
  checkInteger(x, 'x');
  checkInteger(y, 'y');
  checkInteger(w, 'w', 1);
  checkInteger(h, 'h', 1);
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(image.width, x + w);
  const y1 = Math.min(image.height, y + h);
  if (x1 <= x0 || y1 <= y0) fail('a rectangle overlapping the image', 'crop rectangle', [x, y, w, h]);
  const out = createImage(x1 - x0, y1 - y0);
  for (let r = y0; r < y1; r++) {
    out.data.set(image.data.subarray(r * image.width + x0, r * image.width + x1), (r - y0) * out.width);
  }
  return out;
}

export type Polarity = 'dark-on-light' | 'light-on-dark';

/**
 * Decides whether ink is darker or lighter than the background.
 * The background is what most of the image is, so the median grey level is the paper; ink is on the far
 * side of it. The image border votes too, since paper almost always touches the frame edge.
 */
export function detectPolarity(image: GrayImage): Polarity {
  checkImage(image);
  const { width, height, data } = image;
  const hist = new Uint32Array(256);
  for (let i = 0; i < data.length; i++) hist[Math.min(255, Math.max(0, Math.round(data[i] * 255)))]++;
  let acc = 0;
  let median = 0;
  for (; median < 256; median++) {
    acc += hist[median];
    if (acc * 2 >= data.length) break;
  }
  let border = 0;
  let n = 0;
  for (let x = 0; x < width; x++) {
    border += data[x] + data[(height - 1) * width + x];
    n += 2;
  }
  for (let y = 0; y < height; y++) {
    border += data[y * width] + data[y * width + width - 1];
    n += 2;
  }
  const background = (median / 255 + border / n) / 2;
  // Mean of the pixels far from the background tells which side the ink is on.
  let darker = 0;
  let lighter = 0;
  for (let i = 0; i < data.length; i++) {
    const d = data[i] - background;
    if (d < -0.15) darker += -d;
    else if (d > 0.15) lighter += d;
  }
  if (darker === 0 && lighter === 0) return background >= 0.5 ? 'dark-on-light' : 'light-on-dark';
  return darker >= lighter ? 'dark-on-light' : 'light-on-dark';
}

/**
 * Returns an image in MNIST polarity (ink = 1 on 0), stretched so that the background maps to 0 and the
 * strongest ink to 1. `polarity` overrides the detection when the caller already knows it.
 */
export function toInkImage(image: GrayImage, polarity: Polarity = detectPolarity(image)): GrayImage {
  checkImage(image);
  if (polarity !== 'dark-on-light' && polarity !== 'light-on-dark') {
    fail("'dark-on-light' or 'light-on-dark'", 'polarity', polarity);
  }
  const ink = polarity === 'dark-on-light' ? invert(image) : { ...image, data: image.data.slice() };
  const sorted = Float32Array.from(ink.data).sort();
  const background = sorted[Math.floor(sorted.length * 0.5)];
  const peak = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.999))];
  const span = peak - background;
  const data = ink.data;
  if (span < 1e-3) {
    data.fill(0);
    return ink;
  }
  for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, (data[i] - background) / span));
  return ink;
}
