/**
 * MNIST-style size normalisation: the step that makes a digit from a photo look like the digits the
 * model was trained on. LeCun et al. fitted each digit's bounding box into 20x20 preserving the aspect
 * ratio (anti-aliased), then placed it in a 28x28 field so that its centre of mass sits at the centre.
 */
import { checkImage, createImage, type GrayImage } from './image.ts';
import { moments } from './moments.ts';
import { resize } from './resample.ts';
import { checkInteger, checkNumber, fail } from './validate.ts';

export const MNIST_SIZE = 28;

export interface NormalizeOptions {
  /** Output side, pixels. */
  size: number;
  /** Side of the box the digit's longer side is fitted into. */
  box: number;
  /** A pixel is ink for the bounding box when above this fraction of the image's peak. */
  inkThreshold: number;
  /** Straighten slanted writing by the second-order moments before fitting (not done by MNIST). */
  deskew: boolean;
  /** Stretch the result so that its darkest ink is 1, as in MNIST where strokes saturate. */
  stretch: boolean;
}

export const defaultNormalizeOptions: NormalizeOptions = {
  size: MNIST_SIZE,
  box: 20,
  inkThreshold: 0.1,
  deskew: false,
  stretch: true,
};

/**
 * Where the centre of mass lands, in pixel-index coordinates. Measured over the 60,000 MNIST training
 * digits: the mean is (14.01, 14.00), i.e. the geometric centre of the field is at index 14, not 13.5.
 */
export const MNIST_CENTRE = 14;

function checkOptions(opts: NormalizeOptions): void {
  checkInteger(opts.size, 'options.size', 4, 1024);
  checkInteger(opts.box, 'options.box', 1, opts.size);
  checkNumber(opts.inkThreshold, 'options.inkThreshold', 0, 1);
  if (typeof opts.deskew !== 'boolean') fail('a boolean', 'options.deskew', opts.deskew);
  if (typeof opts.stretch !== 'boolean') fail('a boolean', 'options.stretch', opts.stretch);
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function inkBox(image: GrayImage, threshold: number): Box | null {
  const { width, height, data } = image;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

function peak(data: Float32Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > m) m = data[i];
  return m;
}

function cropBox(image: GrayImage, b: Box): GrayImage {
  const out = createImage(b.x1 - b.x0, b.y1 - b.y0);
  for (let y = b.y0; y < b.y1; y++) {
    out.data.set(image.data.subarray(y * image.width + b.x0, y * image.width + b.x1), (y - b.y0) * out.width);
  }
  return out;
}

/** Horizontal shear that removes the slant measured by the moments (x' = x - skew * (y - cy)). */
export function deskew(image: GrayImage): GrayImage {
  checkImage(image);
  const m = moments(image);
  if (m.mass <= 0 || m.mu02 < 1e-6) return image;
  const skew = Math.max(-1, Math.min(1, m.mu11 / m.mu02));
  const { width, height, data } = image;
  const pad = Math.ceil(Math.abs(skew) * height);
  const out = createImage(width + 2 * pad, height);
  for (let y = 0; y < height; y++) {
    const shift = skew * (y - m.cy);
    for (let x = 0; x < out.width; x++) {
      // Sample the source at the pre-image of this output pixel, linearly between neighbours.
      const sx = x - pad + shift;
      const i = Math.floor(sx);
      const f = sx - i;
      const a = i >= 0 && i < width ? data[y * width + i] : 0;
      const b = i + 1 >= 0 && i + 1 < width ? data[y * width + i + 1] : 0;
      out.data[y * out.width + x] = a * (1 - f) + b * f;
    }
  }
  return out;
}

/**
 * Normalises an ink image (MNIST polarity: ink = 1 on 0) to a size x size Float32Array in [0, 1].
 * Throws when the image holds no ink, since there is nothing to centre.
 */
export function normalize(ink: GrayImage, options: Partial<NormalizeOptions> = {}): Float32Array {
  checkImage(ink, 'ink');
  const opts = { ...defaultNormalizeOptions, ...options };
  checkOptions(opts);
  const top = peak(ink.data);
  if (top <= 0) fail('an image with some ink (a pixel above 0)', 'ink', 'an empty image');
  let box = inkBox(ink, top * opts.inkThreshold);
  if (!box) fail('an image with some ink', 'ink', 'an empty image');
  let digit = cropBox(ink, box);
  if (opts.deskew) {
    digit = deskew(digit);
    box = inkBox(digit, top * opts.inkThreshold) ?? { x0: 0, y0: 0, x1: digit.width, y1: digit.height };
    digit = cropBox(digit, box);
  }
  const scale = opts.box / Math.max(digit.width, digit.height);
  const w = Math.max(1, Math.min(opts.box, Math.round(digit.width * scale)));
  const h = Math.max(1, Math.min(opts.box, Math.round(digit.height * scale)));
  const small = resize(digit, w, h);
  const m = moments(small);
  const centre = (MNIST_CENTRE * opts.size) / MNIST_SIZE;
  // Integer placement keeps strokes sharp, as MNIST did; clamp so that no ink leaves the field.
  const ox = Math.max(0, Math.min(opts.size - w, Math.round(centre - m.cx)));
  const oy = Math.max(0, Math.min(opts.size - h, Math.round(centre - m.cy)));
  const out = new Float32Array(opts.size * opts.size);
  const gain = opts.stretch ? 1 / Math.max(1e-6, peak(small.data)) : 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      out[(y + oy) * opts.size + x + ox] = Math.min(1, Math.max(0, small.data[y * w + x] * gain));
    }
  }
  return out;
}
