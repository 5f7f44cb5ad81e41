/**
 * Low-level loops shared by augment.ts and corrupt.ts. They work on raw Float32Arrays and trust their
 * callers (no validation beyond checkRng, may write into caller-owned buffers), so that augmentRandom can chain several
 * steps on one 28x28 buffer without re-checking and re-allocating at every step. Not part of the public
 * API: the public functions in augment-geometry.ts, augment-intensity.ts and corrupt.ts validate and copy.
 */
import type { Rng } from './random.ts';
import { fail } from './validate.ts';

/** Normalised 1-D Gaussian taps for offsets -radius..radius, radius = ceil(truncate * sigma). */
export function gaussianKernel(sigma: number, truncate = 3): Float32Array {
  const radius = Math.max(1, Math.ceil(truncate * sigma));
  const taps = new Float32Array(2 * radius + 1);
  let total = 0;
  for (let i = -radius; i <= radius; i++) {
    const w = Math.exp((-i * i) / (2 * sigma * sigma));
    taps[i + radius] = w;
    total += w;
  }
  for (let i = 0; i < taps.length; i++) taps[i] /= total;
  return taps;
}

/**
 * Separable convolution of src (width x height) with a symmetric odd kernel along both axes, into dst.
 * Outside the image counts as 0 ('constant' mode), so ink near the border leaks out as it would off the
 * edge of a photo, and the total mass of ink away from the border is preserved. tmp must hold
 * width * height values; src and dst may be the same array.
 */
export function convolveSeparable(
  src: Float32Array,
  width: number,
  height: number,
  kernel: Float32Array,
  tmp: Float32Array,
  dst: Float32Array,
): void {
  const r = (kernel.length - 1) >> 1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const k0 = Math.max(0, r - x);
      const k1 = Math.min(kernel.length - 1, r + width - 1 - x);
      let acc = 0;
      for (let k = k0; k <= k1; k++) acc += src[row + x + k - r] * kernel[k];
      tmp[row + x] = acc;
    }
  }
  for (let y = 0; y < height; y++) {
    const k0 = Math.max(0, r - y);
    const k1 = Math.min(kernel.length - 1, r + height - 1 - y);
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = k0, i = (y + k0 - r) * width + x; k <= k1; k++, i += width) acc += tmp[i] * kernel[k];
      dst[row + x] = acc;
    }
  }
}

/**
 * As convolveSeparable, but outside the image repeats the nearest edge pixel (scikit-image's default
 * 'nearest' mode), for fields that do not fade to 0 at the border (noise layers, fog, masks).
 */
export function convolveSeparableNearest(
  src: Float32Array,
  width: number,
  height: number,
  kernel: Float32Array,
  tmp: Float32Array,
  dst: Float32Array,
): void {
  const r = (kernel.length - 1) >> 1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = 0; k < kernel.length; k++) {
        const xi = Math.min(width - 1, Math.max(0, x + k - r));
        acc += src[row + xi] * kernel[k];
      }
      tmp[row + x] = acc;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = 0; k < kernel.length; k++) {
        const yi = Math.min(height - 1, Math.max(0, y + k - r));
        acc += tmp[yi * width + x] * kernel[k];
      }
      dst[y * width + x] = acc;
    }
  }
}

/** Bilinear sample of data at (sx, sy) in pixel-index coordinates; outside the image is 0. */
export function sampleBilinear(
  data: Float32Array,
  width: number,
  height: number,
  sx: number,
  sy: number,
): number {
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  if (x0 < -1 || y0 < -1 || x0 >= width || y0 >= height) return 0;
  const fx = sx - x0;
  const fy = sy - y0;
  const inX0 = x0 >= 0;
  const inX1 = x0 + 1 < width;
  const i = y0 * width + x0;
  let top = 0;
  let bottom = 0;
  if (y0 >= 0) top = (inX0 ? data[i] * (1 - fx) : 0) + (inX1 ? data[i + 1] * fx : 0);
  if (y0 + 1 < height) {
    const j = i + width;
    bottom = (inX0 ? data[j] * (1 - fx) : 0) + (inX1 ? data[j + 1] * fx : 0);
  }
  return top * (1 - fy) + bottom * fy;
}

/**
 * Inverse-mapped bilinear warp: output pixel p reads the source at M * (p + d(p)) + t, with
 * M = [[a, b], [c, d]], t = (tx, ty) and optional per-pixel displacements (dx, dy) on the output grid.
 * One pass for the whole affine + elastic chain keeps the image from being blurred by repeated
 * resampling.
 */
export function warpInto(
  src: Float32Array,
  width: number,
  height: number,
  m: readonly [number, number, number, number, number, number],
  dx: Float32Array | null,
  dy: Float32Array | null,
  dst: Float32Array,
): void {
  const [a, b, tx, c, d, ty] = m;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const px = dx ? x + dx[i] : x;
      const py = dy ? y + dy[i] : y;
      dst[i] = sampleBilinear(src, width, height, a * px + b * py + tx, c * px + d * py + ty);
    }
  }
}

/**
 * Forward affine about the centre (cx, cy): scale, then shear, then rotate (degrees, counter-clockwise
 * as seen on screen, y pointing down), then translate. Returns the inverse map in warpInto's layout.
 */
export function inverseAffine(
  cx: number,
  cy: number,
  sx: number,
  sy: number,
  shearX: number,
  shearY: number,
  degrees: number,
  translateX: number,
  translateY: number,
): [number, number, number, number, number, number] {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  // R (counter-clockwise on screen with y down) * S (shear) * D (scale).
  const s00 = sx;
  const s01 = shearX * sy;
  const s10 = shearY * sx;
  const s11 = sy;
  const f00 = cos * s00 + sin * s10;
  const f01 = cos * s01 + sin * s11;
  const f10 = -sin * s00 + cos * s10;
  const f11 = -sin * s01 + cos * s11;
  const det = f00 * f11 - f01 * f10;
  const a = f11 / det;
  const b = -f01 / det;
  const c = -f10 / det;
  const d = f00 / det;
  // p = F (q - centre) + centre + t  =>  q = F^-1 (p - centre - t) + centre.
  const ox = cx + translateX;
  const oy = cy + translateY;
  return [a, b, cx - a * ox - b * oy, c, d, cy - c * ox - d * oy];
}

/** One grey dilation (max) or erosion (min) over the 3x3 cross (the pixel and its 4 neighbours). */
export function crossMorph(
  src: Float32Array,
  width: number,
  height: number,
  dilate: boolean,
  dst: Float32Array,
): void {
  // Outside the image is background: 0 for dilation cannot win a max, and for erosion it eats the border.
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      let v = src[i];
      const l = x > 0 ? src[i - 1] : 0;
      const r = x + 1 < width ? src[i + 1] : 0;
      const u = y > 0 ? src[i - width] : 0;
      const w = y + 1 < height ? src[i + width] : 0;
      if (dilate) {
        if (l > v) v = l;
        if (r > v) v = r;
        if (u > v) v = u;
        if (w > v) v = w;
      } else {
        if (l < v) v = l;
        if (r < v) v = r;
        if (u < v) v = u;
        if (w < v) v = w;
      }
      dst[i] = v;
    }
  }
}

/**
 * Dilates (or erodes) by a fractional radius: floor(radius) cross steps, then a blend towards one more
 * step by the fractional part, so that strength varies continuously for augmentation.
 */
export function morphRadius(
  data: Float32Array,
  width: number,
  height: number,
  radius: number,
  dilate: boolean,
): Float32Array {
  let cur = data.slice();
  let next = new Float32Array(data.length);
  const whole = Math.floor(radius);
  const frac = radius - whole;
  for (let k = 0; k < whole; k++) {
    crossMorph(cur, width, height, dilate, next);
    const t = cur;
    cur = next;
    next = t;
  }
  if (frac > 0) {
    crossMorph(cur, width, height, dilate, next);
    for (let i = 0; i < cur.length; i++) cur[i] += (next[i] - cur[i]) * frac;
  }
  return cur;
}

/** Clamps to [0, 1]; written so that a NaN (which no valid input produces) becomes 0, never output. */
export function clampInPlace(data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    data[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
}

/** Copy of the rows and columns exchanged (output is height x width). */
export function transposeData(data: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[x * height + y] = data[y * width + x];
  }
  return out;
}

/** Bounding box of pixels above threshold, or null when none is. x1, y1 are exclusive. */
export function inkBounds(
  data: Float32Array,
  width: number,
  height: number,
  threshold: number,
): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      if (data[i] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** Checks that rng looks like an Rng from createRng (these loops call next() and normal()). */
export function checkRng(rng: unknown, name = 'rng'): Rng {
  const r = rng as Rng;
  if (
    typeof rng !== 'object' ||
    rng === null ||
    typeof r.next !== 'function' ||
    typeof r.normal !== 'function'
  ) {
    fail('an Rng (createRng(seed))', name, rng);
  }
  return rng as Rng;
}
