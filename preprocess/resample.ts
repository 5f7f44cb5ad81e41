/**
 * Separable resampling of grey images.
 * Downscaling averages the covered area (a box filter whose width is the scale factor), the way MNIST's
 * anti-aliased size normalisation did; upscaling interpolates linearly so small crops stay smooth.
 */
import { checkImage, createImage, type GrayImage } from './image.ts';
import { checkInteger } from './validate.ts';

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  maxTaps: number;
}

function computeTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const down = scale > 1;
  // Box support for area averaging when shrinking, triangle (support 1) when growing.
  const support = down ? scale / 2 : 1;
  const maxTaps = Math.ceil(support) * 2 + 2;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize, Math.ceil(centre + support));
    let total = 0;
    let n = 0;
    for (let i = lo; i < hi && n < maxTaps; i++, n++) {
      let w: number;
      if (down) {
        // Overlap of input pixel [i, i+1) with the output pixel's footprint.
        w = Math.max(0, Math.min(i + 1, centre + support) - Math.max(i, centre - support));
      } else {
        w = Math.max(0, 1 - Math.abs(i + 0.5 - centre));
      }
      weights[o * maxTaps + n] = w;
      total += w;
    }
    if (total <= 0) {
      // Degenerate footprint (only at the very edge): take the nearest pixel.
      const nearest = Math.min(inSize - 1, Math.max(0, Math.floor(centre)));
      start[o] = nearest;
      count[o] = 1;
      weights[o * maxTaps] = 1;
      continue;
    }
    for (let k = 0; k < n; k++) weights[o * maxTaps + k] /= total;
    start[o] = lo;
    count[o] = n;
  }
  return { start, count, weights, maxTaps };
}

/** Resizes an image to outWidth x outHeight. */
export function resize(image: GrayImage, outWidth: number, outHeight: number): GrayImage {
  checkImage(image);
  checkInteger(outWidth, 'outWidth', 1);
  checkInteger(outHeight, 'outHeight', 1);
  const { width, height, data } = image;
  const tx = computeTaps(width, outWidth);
  const ty = computeTaps(height, outHeight);
  // Horizontal pass into a width-resized, height-preserved buffer, then vertical.
  const mid = new Float32Array(outWidth * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let o = 0; o < outWidth; o++) {
      let acc = 0;
      const s = tx.start[o];
      const base = o * tx.maxTaps;
      for (let k = 0; k < tx.count[o]; k++) acc += data[row + s + k] * tx.weights[base + k];
      mid[y * outWidth + o] = acc;
    }
  }
  const out = createImage(outWidth, outHeight);
  for (let o = 0; o < outHeight; o++) {
    const s = ty.start[o];
    const base = o * ty.maxTaps;
    for (let x = 0; x < outWidth; x++) {
      let acc = 0;
      for (let k = 0; k < ty.count[o]; k++) acc += mid[(s + k) * outWidth + x] * ty.weights[base + k];
      out.data[o * outWidth + x] = acc;
    }
  }
  return out;
}
