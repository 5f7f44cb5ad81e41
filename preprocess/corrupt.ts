/**
 * Corruptions for the robustness suites (`npm run eval`): damage a photo or a scan can do to a digit,
 * applied to MNIST-polarity ink images (ink = 1 on 0) at test time, including kinds and strengths that
 * augmentation never shows the model. Every function is pure, validates its input and is deterministic
 * for a given rng state.
 *
 * The second half re-implements the 15 corruptions of MNIST-C (Mu & Gilmer 2019, "MNIST-C: A
 * Robustness Benchmark for Computer Vision", arXiv:1906.02337). Their constants are the default
 * severity of each function in the authors' published generator (corruptions.py in
 * google-research/mnist-c), which we take to be the settings of the released dataset (the paper itself
 * does not list them all). That code divides the 0..255 images by 255 first, so its constants already
 * apply to our [0, 1] grey levels. Where it relied on a library's behaviour (scikit-image filters,
 * ImageMagick's motion blur) the comment says which behaviour is reproduced. Its outputs were stored
 * as 8 bits; ours stay floats (a difference below 1/255).
 */
import { checkImage, type GrayImage } from './image.ts';
import type { Rng } from './random.ts';
import { checkInteger, checkNumber, fail } from './validate.ts';
import {
  checkRng,
  clampInPlace,
  convolveSeparable,
  convolveSeparableNearest,
  gaussianKernel,
  sampleBilinear,
  warpInto,
} from './augment-kernels.ts';
import { contrastInPlace, saltPepperInPlace } from './augment-intensity.ts';

function like(image: GrayImage, data: Float32Array): GrayImage {
  return { width: image.width, height: image.height, data };
}

// ---------------------------------------------------------------------------------------------------
// Camera and scanner corruptions.

export interface MotionBlurOptions {
  /** Length of the straight camera motion, pixels; 0 returns a copy. */
  length: number;
  /** Direction of the motion, degrees counter-clockwise from the x axis on screen. */
  angle: number;
}

export const defaultMotionBlurOptions: MotionBlurOptions = { length: 5, angle: 0 };

/**
 * Linear motion blur: the average of the image over a straight segment of `length` pixels centred on
 * each pixel, sampled every half pixel with bilinear interpolation (so any angle and a fractional
 * length give a smooth kernel); outside the image is background.
 */
export function motionBlur(image: GrayImage, options: Partial<MotionBlurOptions> = {}): GrayImage {
  checkImage(image);
  const { length, angle } = { ...defaultMotionBlurOptions, ...options };
  checkNumber(length, 'options.length', 0, 1000);
  checkNumber(angle, 'options.angle');
  const { width, height, data } = image;
  if (length === 0) return like(image, data.slice());
  const steps = Math.max(2, Math.ceil(2 * length) + 1);
  const t = (angle * Math.PI) / 180;
  const ux = Math.cos(t);
  const uy = -Math.sin(t);
  const out = new Float32Array(data.length);
  for (let s = 0; s < steps; s++) {
    const d = -length / 2 + (length * s) / (steps - 1);
    for (let y = 0, i = 0; y < height; y++) {
      for (let x = 0; x < width; x++, i++)
        out[i] += sampleBilinear(data, width, height, x + d * ux, y + d * uy);
    }
  }
  for (let i = 0; i < out.length; i++) out[i] /= steps;
  clampInPlace(out);
  return like(image, out);
}

export interface JpegBlockingOptions {
  /** JPEG quality, 1 (worst) to 100, with the IJG (libjpeg) scaling of the quantisation table. */
  quality: number;
}

export const defaultJpegBlockingOptions: JpegBlockingOptions = { quality: 20 };

/** The JPEG standard's luminance quantisation table (ITU T.81 Annex K.1), row-major by frequency. */
const JPEG_LUMINANCE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** libjpeg's jpeg_quality_scaling: quality 50 is the table itself, 100 all ones. */
function jpegQuantTable(quality: number): Float64Array {
  const scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  return Float64Array.from(JPEG_LUMINANCE, (q) =>
    Math.min(255, Math.max(1, Math.floor((q * scale + 50) / 100))),
  );
}

/**
 * JPEG's lossy step on the grey channel: 8x8 block DCT, quantisation by the standard luminance table
 * scaled for `quality`, inverse DCT, rounding to 8 bits. Gives the real artefacts (blocking, ringing
 * around strokes) without an encoder. Partial edge blocks are padded by repeating the edge, as encoders do.
 */
export function jpegBlocking(image: GrayImage, options: Partial<JpegBlockingOptions> = {}): GrayImage {
  checkImage(image);
  const { quality } = { ...defaultJpegBlockingOptions, ...options };
  checkInteger(quality, 'options.quality', 1, 100);
  const { width, height, data } = image;
  const q = jpegQuantTable(quality);
  // basis[u * 8 + x] = C(u) / 2 * cos((2x + 1) u pi / 16): the orthonormal 8-point DCT-II.
  const basis = new Float64Array(64);
  for (let u = 0; u < 8; u++) {
    for (let x = 0; x < 8; x++) {
      basis[u * 8 + x] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
    }
  }
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  const out = new Float32Array(data.length);
  for (let by = 0; by < height; by += 8) {
    for (let bx = 0; bx < width; bx += 8) {
      for (let y = 0; y < 8; y++) {
        const sy = Math.min(height - 1, by + y);
        for (let x = 0; x < 8; x++)
          block[y * 8 + x] = data[sy * width + Math.min(width - 1, bx + x)] * 255 - 128;
      }
      // Forward DCT: rows, then columns (tmp holds [y][u], block ends as [v][u]).
      for (let y = 0; y < 8; y++) {
        for (let u = 0; u < 8; u++) {
          let acc = 0;
          for (let x = 0; x < 8; x++) acc += basis[u * 8 + x] * block[y * 8 + x];
          tmp[y * 8 + u] = acc;
        }
      }
      for (let v = 0; v < 8; v++) {
        for (let u = 0; u < 8; u++) {
          let acc = 0;
          for (let y = 0; y < 8; y++) acc += basis[v * 8 + y] * tmp[y * 8 + u];
          const k = v * 8 + u;
          block[k] = Math.round(acc / q[k]) * q[k];
        }
      }
      // Inverse DCT: columns, then rows.
      for (let y = 0; y < 8; y++) {
        for (let u = 0; u < 8; u++) {
          let acc = 0;
          for (let v = 0; v < 8; v++) acc += basis[v * 8 + y] * block[v * 8 + u];
          tmp[y * 8 + u] = acc;
        }
      }
      for (let y = 0; y < 8 && by + y < height; y++) {
        for (let x = 0; x < 8 && bx + x < width; x++) {
          let acc = 0;
          for (let u = 0; u < 8; u++) acc += basis[u * 8 + x] * tmp[y * 8 + u];
          out[(by + y) * width + bx + x] = Math.min(255, Math.max(0, Math.round(acc + 128))) / 255;
        }
      }
    }
  }
  return like(image, out);
}

export interface LowContrastOptions {
  /** Deviations from the mean grey level are multiplied by this (ImageNet-C's contrast corruption). */
  factor: number;
}

export const defaultLowContrastOptions: LowContrastOptions = { factor: 0.3 };

/** Pulls every pixel towards the image mean: a dim photo, a faint pencil, a grey scan. */
export function lowContrast(image: GrayImage, options: Partial<LowContrastOptions> = {}): GrayImage {
  checkImage(image);
  const { factor } = { ...defaultLowContrastOptions, ...options };
  checkNumber(factor, 'options.factor', 0, 1);
  const data = image.data.slice();
  contrastInPlace(data, factor, 0);
  clampInPlace(data);
  return like(image, data);
}

export interface StripesOptions {
  /** Distance between stripe centres, pixels. */
  period: number;
  /** Stripe thickness, pixels (anti-aliased, so fractions are fine). */
  width: number;
  /** Direction of the stripes, degrees counter-clockwise on screen; 0 = horizontal, like ruled paper. */
  angle: number;
  /** Where a stripe's centre line crosses the stripes' normal through pixel (0, 0), pixels. */
  phase?: number;
  /** Grey level of the stripes in the ink image (1 = as dark as the pen). */
  intensity?: number;
}

export const defaultStripesOptions: StripesOptions = {
  period: 7,
  width: 1,
  angle: 0,
  phase: 0,
  intensity: 0.6,
};

/**
 * Overlays parallel stripes of ink: ruled or squared paper, form lines, scanner streaks, after the
 * polarity step has turned everything darker than paper into ink.
 */
export function stripes(image: GrayImage, options: Partial<StripesOptions> = {}): GrayImage {
  checkImage(image);
  const opts = { ...defaultStripesOptions, ...options };
  checkNumber(opts.period, 'options.period', 1, 10000);
  checkNumber(opts.width, 'options.width', 0, opts.period);
  checkNumber(opts.angle, 'options.angle');
  const phase = checkNumber(opts.phase ?? 0, 'options.phase');
  const intensity = checkNumber(opts.intensity ?? 1, 'options.intensity', 0, 1);
  const { width, height, data } = image;
  const t = (opts.angle * Math.PI) / 180;
  // Unit normal of stripes running along (cos t, -sin t) on screen.
  const nx = Math.sin(t);
  const ny = Math.cos(t);
  const half = opts.width / 2;
  const out = data.slice();
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const along = x * nx + y * ny - phase;
      const u = along - Math.floor(along / opts.period) * opts.period;
      const dist = Math.min(u, opts.period - u);
      // How much of the pixel's span [dist - 0.5, dist + 0.5] across the stripes lies inside the band.
      const cover = Math.max(0, Math.min(dist + 0.5, half) - Math.max(dist - 0.5, -half));
      const v = intensity * cover;
      if (v > out[i]) out[i] = v;
    }
  }
  clampInPlace(out);
  return like(image, out);
}

// ---------------------------------------------------------------------------------------------------
// MNIST-C building blocks, parameterised; MNIST_C below binds the paper's constants.

export interface ShotNoiseOptions {
  /** Photons per unit of grey: each pixel becomes Poisson(value * rate) / rate. Fewer = noisier. */
  rate: number;
}

/** MNIST-C shot_noise, severity 5 (its default): 3 photons at full ink. */
export const defaultShotNoiseOptions: ShotNoiseOptions = { rate: 3 };

function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 60) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * rng.normal()));
  // Knuth: count uniforms until their product drops below e^-lambda.
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/** Photon (Poisson) noise: grainy strokes in dim light; background stays 0 since 0 photons are 0. */
export function shotNoise(image: GrayImage, rng: Rng, options: Partial<ShotNoiseOptions> = {}): GrayImage {
  checkImage(image);
  checkRng(rng);
  const { rate } = { ...defaultShotNoiseOptions, ...options };
  checkNumber(rate, 'options.rate', 0.01, 1e6);
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = poisson(rng, Math.max(0, image.data[i]) * rate) / rate;
  clampInPlace(out);
  return like(image, out);
}

export interface GlassBlurOptions {
  /** Gaussian blur before and after the shuffle, pixels. */
  sigma: number;
  /** Largest displacement of a swap, pixels. */
  maxDelta: number;
  /** Passes of local shuffling. */
  iterations: number;
}

/** MNIST-C glass_blur, severity 1 (its default). */
export const defaultGlassBlurOptions: GlassBlurOptions = { sigma: 0.7, maxDelta: 1, iterations: 2 };

/**
 * Frosted glass: blur, swap each pixel with a random near neighbour (half the time), blur again.
 * Reproduces the reference exactly in its quirks: the first blur is stored as 8 bits (truncated), the
 * sweep runs bottom-right to top-left over pixels maxDelta + 1 .. size - maxDelta, and offsets are
 * drawn from -maxDelta .. maxDelta - 1 (numpy's randint excludes the upper bound). Blurs use
 * scikit-image's defaults: truncate at 4 sigma, 'nearest' edges.
 */
export function glassBlur(image: GrayImage, rng: Rng, options: Partial<GlassBlurOptions> = {}): GrayImage {
  checkImage(image);
  checkRng(rng);
  const opts = { ...defaultGlassBlurOptions, ...options };
  checkNumber(opts.sigma, 'options.sigma', 0.1, 64);
  checkInteger(opts.maxDelta, 'options.maxDelta', 1, 64);
  checkInteger(opts.iterations, 'options.iterations', 0, 100);
  const { width, height } = image;
  const kernel = gaussianKernel(opts.sigma, 4);
  const tmp = new Float32Array(image.data.length);
  const x = new Float32Array(image.data.length);
  convolveSeparableNearest(image.data, width, height, kernel, tmp, x);
  for (let i = 0; i < x.length; i++) x[i] = Math.floor(Math.min(1, Math.max(0, x[i])) * 255) / 255;
  const d = opts.maxDelta;
  for (let it = 0; it < opts.iterations; it++) {
    for (let h = height - d; h > d; h--) {
      for (let w = width - d; w > d; w--) {
        if (rng.next() < 0.5) continue;
        const dx = -d + Math.floor(rng.next() * 2 * d);
        const dy = -d + Math.floor(rng.next() * 2 * d);
        const hp = h + dy;
        const wp = w + dx;
        if (h >= height || w >= width || hp < 0 || wp < 0 || hp >= height || wp >= width) continue;
        const a = h * width + w;
        const b = hp * width + wp;
        const t = x[a];
        x[a] = x[b];
        x[b] = t;
      }
    }
  }
  const out = new Float32Array(x.length);
  convolveSeparableNearest(x, width, height, kernel, tmp, out);
  clampInPlace(out);
  return like(image, out);
}

/**
 * ImageMagick's -motion-blur radius x sigma + angle, as MNIST-C called it: a one-sided kernel of
 * 2 * ceil(radius) + 1 taps, weights exp(-i^2 / (2 sigma^2)) normalised, tap i reading the pixel
 * round(i * (cos, sin)(angle)) away (angle clockwise on screen, y down), edges repeated.
 */
function imageMagickMotionBlur(image: GrayImage, radius: number, sigma: number, angle: number): GrayImage {
  const { width, height, data } = image;
  const taps = 2 * Math.ceil(radius) + 1;
  const weights = new Float64Array(taps);
  const ox = new Int32Array(taps);
  const oy = new Int32Array(taps);
  const t = (angle * Math.PI) / 180;
  let total = 0;
  for (let i = 0; i < taps; i++) {
    weights[i] = Math.exp(-(i * i) / (2 * sigma * sigma));
    total += weights[i];
    ox[i] = Math.ceil(i * Math.cos(t) - 0.5);
    oy[i] = Math.ceil(i * Math.sin(t) - 0.5);
  }
  const out = new Float32Array(data.length);
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      let acc = 0;
      for (let i = 0; i < taps; i++) {
        const sx = Math.min(width - 1, Math.max(0, x + ox[i]));
        const sy = Math.min(height - 1, Math.max(0, y + oy[i]));
        acc += weights[i] * data[sy * width + sx];
      }
      out[p] = acc / total;
    }
  }
  clampInPlace(out);
  return like(image, out);
}

/**
 * Plasma (diamond-square) fractal on a torus of side `size` (a power of two), normalised to [0, 1]:
 * the fog texture of ImageNet-C and MNIST-C. Each level's midpoints are the mean of their four
 * neighbours plus uniform noise of half-width wibble^2 (the reference's formula), and wibble is divided
 * by `decay` per level, so a larger decay gives smoother fog.
 */
export function plasmaFractal(rng: Rng, size = 256, decay = 3): Float32Array {
  checkRng(rng);
  checkInteger(size, 'size', 2, 4096);
  if ((size & (size - 1)) !== 0) fail('a power of two', 'size', size);
  checkNumber(decay, 'decay', 1e-3, 1e3);
  const n = size;
  const mask = n - 1;
  const map = new Float64Array(n * n);
  let wibble = 100;
  for (let step = n; step >= 2; step >>= 1) {
    const half = step >> 1;
    // Noise of half-width wibble^2 around the neighbours' mean: (2u - 1) * wibble * wibble.
    const amp = wibble * wibble;
    for (let r = 0; r < n; r += step) {
      const r1 = ((r + step) & mask) * n;
      for (let c = 0; c < n; c += step) {
        const c1 = (c + step) & mask;
        const sum = map[r * n + c] + map[r1 + c] + map[r * n + c1] + map[r1 + c1];
        map[(r + half) * n + c + half] = sum / 4 + (2 * rng.next() - 1) * amp;
      }
    }
    for (let r = 0; r < n; r += step) {
      const r1 = ((r + step) & mask) * n;
      const up = ((r - half) & mask) * n;
      for (let c = 0; c < n; c += step) {
        const c1 = (c + step) & mask;
        const centre = map[(r + half) * n + c + half];
        const top = map[r * n + c] + map[r * n + c1] + centre + map[up + c + half];
        map[r * n + c + half] = top / 4 + (2 * rng.next() - 1) * amp;
        const left = map[(r + half) * n + ((c - half) & mask)];
        const side = map[r * n + c] + map[r1 + c] + centre + left;
        map[(r + half) * n + c] = side / 4 + (2 * rng.next() - 1) * amp;
      }
    }
    wibble /= decay;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < map.length; i++) {
    if (map[i] < lo) lo = map[i];
    if (map[i] > hi) hi = map[i];
  }
  const span = hi - lo || 1;
  const out = new Float32Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = (map[i] - lo) / span;
  return out;
}

export interface FogOptions {
  /** How much fog is added before the image is rescaled to keep its peak. */
  strength: number;
  /** Plasma roughness decay; larger = smoother, larger blobs. */
  decay: number;
}

/** MNIST-C fog, severity 5 (its default). */
export const defaultFogOptions: FogOptions = { strength: 3, decay: 1.4 };

/**
 * Adds strength x plasma fractal (the top-left corner of a 256x256 map, as the reference crops it) and
 * scales by max / (max + strength), which leaves the strokes visible through a grey haze.
 */
export function fog(image: GrayImage, rng: Rng, options: Partial<FogOptions> = {}): GrayImage {
  checkImage(image);
  checkRng(rng);
  const opts = { ...defaultFogOptions, ...options };
  checkNumber(opts.strength, 'options.strength', 0, 100);
  checkNumber(opts.decay, 'options.decay', 1e-3, 1e3);
  const { width, height, data } = image;
  let size = 256;
  while (size < width || size < height) size *= 2;
  const plasma = plasmaFractal(rng, size, opts.decay);
  let peak = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > peak) peak = data[i];
  const gain = peak / (peak + opts.strength);
  const out = new Float32Array(data.length);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) out[i] = (data[i] + opts.strength * plasma[y * size + x]) * gain;
  }
  clampInPlace(out);
  return like(image, out);
}

export interface SpatterOptions {
  /** Mean and standard deviation of the normal noise the liquid layer starts from. */
  mean: number;
  sd: number;
  /** Blur of the liquid layer, pixels. */
  sigma: number;
  /** Liquid level: where the blurred layer exceeds it there is mud. */
  threshold: number;
  /** Blur of the mud mask, pixels; mask values under 0.8 are dropped. */
  maskSigma: number;
  /** Grey level of the mud in the ink image (63 / 255 in MNIST-C). */
  colour: number;
}

/** MNIST-C spatter, severity 4 (its default, the 'mud' branch). */
export const defaultSpatterOptions: SpatterOptions = {
  mean: 0.65,
  sd: 0.3,
  sigma: 1,
  threshold: 0.65,
  maskSigma: 1.5,
  colour: 63 / 255,
};

/** Mud splashes: grey blobs that cover the digit where a blurred noise layer is high. */
export function spatter(image: GrayImage, rng: Rng, options: Partial<SpatterOptions> = {}): GrayImage {
  checkImage(image);
  checkRng(rng);
  const o = { ...defaultSpatterOptions, ...options };
  checkNumber(o.mean, 'options.mean', -10, 10);
  checkNumber(o.sd, 'options.sd', 0, 10);
  checkNumber(o.sigma, 'options.sigma', 0.1, 64);
  checkNumber(o.threshold, 'options.threshold', -10, 10);
  checkNumber(o.maskSigma, 'options.maskSigma', 0.1, 64);
  checkNumber(o.colour, 'options.colour', 0, 1);
  const { width, height, data } = image;
  const n = data.length;
  const liquid = new Float32Array(n);
  for (let i = 0; i < n; i++) liquid[i] = o.mean + o.sd * rng.normal();
  const tmp = new Float32Array(n);
  convolveSeparableNearest(liquid, width, height, gaussianKernel(o.sigma, 4), tmp, liquid);
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) mask[i] = liquid[i] > o.threshold ? 1 : 0;
  convolveSeparableNearest(mask, width, height, gaussianKernel(o.maskSigma, 4), tmp, mask);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const m = mask[i] < 0.8 ? 0 : mask[i];
    out[i] = data[i] * (1 - m) + o.colour * m;
  }
  clampInPlace(out);
  return like(image, out);
}

/**
 * MNIST-C's line_from_points: a band around the line through (c0, r0)-(c1, r1) whose grey level falls
 * as log(1 - d / 2.3) + 1 with the *vertical* distance d (so it is about 3 px tall and steep segments
 * come out thin), limited to columns floor(c0) .. ceil(c1) - 1; added into `acc`, clamped at 1.
 */
function addLine(
  acc: Float32Array,
  width: number,
  height: number,
  c0: number,
  r0: number,
  c1: number,
  r1: number,
) {
  if (c1 === c0) return;
  const slope = (r1 - r0) / (c1 - c0);
  const left = Math.max(0, Math.floor(c0));
  const right = Math.min(width, Math.ceil(c1));
  for (let c = left; c < right; c++) {
    const centre = slope * (c - c0) + r0;
    for (let r = 0; r < height; r++) {
      const d = Math.min(Math.abs(r - centre), 2.3 - 1e-10);
      const v = Math.log(1 - d / 2.3) + 1;
      if (v > 0) acc[r * width + c] = Math.min(1, acc[r * width + c] + Math.min(1, v));
    }
  }
}

/**
 * A dashed line (2 px on, 2 px off) across the whole image between random rows at the left and right
 * edges, added to the digit: strike-through, a form's dotted guide line.
 */
export function dottedLine(image: GrayImage, rng: Rng): GrayImage {
  checkImage(image);
  checkRng(rng);
  const { width, height } = image;
  // numpy's randint(0, 27) for 28 rows: 0 .. size - 2.
  const r0 = rng.int(0, height - 2);
  const r1 = rng.int(0, height - 2);
  const line = new Float32Array(image.data.length);
  addLine(line, width, height, 0, r0, width - 1, r1);
  const out = image.data.slice();
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      // Columns 0-1, 4-5, 8-9, ... are the gaps.
      if ((x & 3) >= 2) out[i] += line[i];
    }
  }
  clampInPlace(out);
  return like(image, out);
}

/**
 * A zigzag stroke (teeth 2 px high, 4 px apart) from column 2 to width - 3, tilted to end up to 5 rows
 * up or down, drawn over the digit; follows the reference's vertex construction, its odd last vertex
 * included.
 */
export function zigzag(image: GrayImage, rng: Rng): GrayImage {
  checkImage(image);
  checkRng(rng);
  const { width, height } = image;
  const a = 2;
  const b = 2;
  const c0 = 2;
  const c1 = width - 3;
  const r0 = rng.int(0, height - 2);
  const r1 = r0 + rng.int(-5, 4);
  const theta = Math.atan((r1 - r0) / (c1 - c0));
  const d = (c1 - c0) / Math.cos(theta);
  const vertices: [number, number][] = [[0, 0]];
  let ri = 0;
  const teeth = Math.floor((d - a) / (2 * a)) + 1;
  for (let i = 0; i < teeth; i++) {
    ri = (i % 2 === 0 ? 1 : -1) * b;
    vertices.push([(2 * i + 1) * a, ri]);
  }
  const maxC = 2 * a * Math.floor(d / (2 * a));
  if (d !== maxC) vertices.push([d, ri / (2 * (d - maxC))]);
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const pts = vertices.map(([c, r]) => [cos * c - sin * r + c0, sin * c + cos * r + r0] as const);
  const out = image.data.slice();
  clampInPlace(out);
  for (let i = 1; i < pts.length; i++)
    addLine(out, width, height, pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1]);
  return like(image, out);
}

export interface CannyOptions {
  /** Gaussian smoothing before the gradient, pixels. */
  sigma: number;
  /** Hysteresis thresholds on the Sobel gradient magnitude (scikit-image's defaults for floats). */
  low: number;
  high: number;
}

/** scikit-image's feature.canny defaults, which MNIST-C used. */
export const defaultCannyOptions: CannyOptions = { sigma: 1, low: 0.1, high: 0.2 };

/**
 * Canny edge map (1 on edges, 0 elsewhere), following scikit-image's feature.canny: Gaussian smoothing
 * normalised for the image border, Sobel gradients (scipy's unnormalised kernels, reflected edges),
 * non-maximum suppression interpolated along the gradient, hysteresis over 8-connected components,
 * and no edges in the outermost pixel ring.
 */
export function cannyEdges(image: GrayImage, options: Partial<CannyOptions> = {}): GrayImage {
  checkImage(image);
  const o = { ...defaultCannyOptions, ...options };
  checkNumber(o.sigma, 'options.sigma', 0.1, 64);
  checkNumber(o.low, 'options.low', 0);
  checkNumber(o.high, 'options.high', o.low);
  const { width: w, height: h, data } = image;
  const n = data.length;
  const kernel = gaussianKernel(o.sigma, 4);
  const tmp = new Float32Array(n);
  const smooth = new Float32Array(n);
  const bleed = new Float32Array(n).fill(1);
  convolveSeparable(data, w, h, kernel, tmp, smooth);
  convolveSeparable(bleed, w, h, kernel, tmp, bleed);
  for (let i = 0; i < n; i++) smooth[i] /= bleed[i] + 1e-12;

  const at = (x: number, y: number): number => {
    // scipy's 'reflect': the edge pixel is repeated (d c b a | a b c d).
    const xr = x < 0 ? -x - 1 : x >= w ? 2 * w - x - 1 : x;
    const yr = y < 0 ? -y - 1 : y >= h ? 2 * h - y - 1 : y;
    return smooth[Math.min(h - 1, Math.max(0, yr)) * w + Math.min(w - 1, Math.max(0, xr))];
  };
  const gx = new Float32Array(n);
  const gy = new Float32Array(n);
  const mag = new Float32Array(n);
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const tl = at(x - 1, y - 1);
      const tc = at(x, y - 1);
      const tr = at(x + 1, y - 1);
      const ml = at(x - 1, y);
      const mr = at(x + 1, y);
      const bl = at(x - 1, y + 1);
      const bc = at(x, y + 1);
      const br = at(x + 1, y + 1);
      gx[i] = tr + 2 * mr + br - (tl + 2 * ml + bl);
      gy[i] = bl + 2 * bc + br - (tl + 2 * tc + tr);
      mag[i] = Math.hypot(gx[i], gy[i]);
    }
  }

  // Non-maximum suppression: compare with the magnitude one step either way along the gradient,
  // interpolated between the axis neighbour and the diagonal neighbour it falls between.
  const strong = new Uint8Array(n);
  const weak = new Uint8Array(n);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const m = mag[i];
      if (m < o.low || m === 0) continue;
      const ax = Math.abs(gx[i]);
      const ay = Math.abs(gy[i]);
      const sx = gx[i] >= 0 ? 1 : -1;
      const sy = gy[i] >= 0 ? 1 : -1;
      let p: number;
      let q: number;
      if (ax >= ay) {
        const t = ay / ax;
        p = mag[i + sx] * (1 - t) + mag[i + sy * w + sx] * t;
        q = mag[i - sx] * (1 - t) + mag[i - sy * w - sx] * t;
      } else {
        const t = ax / ay;
        p = mag[i + sy * w] * (1 - t) + mag[i + sy * w + sx] * t;
        q = mag[i - sy * w] * (1 - t) + mag[i - sy * w - sx] * t;
      }
      if (m >= p && m >= q) {
        weak[i] = 1;
        if (m >= o.high) strong[i] = 1;
      }
    }
  }

  // Hysteresis: keep every weak pixel 8-connected to a strong one.
  const out = new Float32Array(n);
  const stack: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!strong[i] || out[i]) continue;
    out[i] = 1;
    stack.push(i);
    while (stack.length) {
      const j = stack.pop() as number;
      const jx = j % w;
      const jy = (j - jx) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const kx = jx + dx;
          const ky = jy + dy;
          if (kx < 0 || ky < 0 || kx >= w || ky >= h) continue;
          const k = ky * w + kx;
          if (weak[k] && !out[k]) {
            out[k] = 1;
            stack.push(k);
          }
        }
      }
    }
  }
  return like(image, out);
}

// ---------------------------------------------------------------------------------------------------
// The MNIST-C table.

export const MNIST_C_NAMES = [
  'shot_noise',
  'impulse_noise',
  'glass_blur',
  'motion_blur',
  'shear',
  'scale',
  'rotate',
  'brightness',
  'translate',
  'stripe',
  'fog',
  'spatter',
  'dotted_line',
  'zigzag',
  'canny_edges',
] as const;

export type MnistCName = (typeof MNIST_C_NAMES)[number];

export type Corruption = (image: GrayImage, rng: Rng) => GrayImage;

/**
 * scikit-image's warp with an inverse map given as (x, y) -> (a x + b y + tx, c x + d y + ty) in
 * column/row coordinates, bilinear, 0 outside, as MNIST-C's affine corruptions call it.
 */
function inverseWarp(image: GrayImage, a: number, b: number, tx: number, c: number, d: number, ty: number) {
  const out = new Float32Array(image.data.length);
  warpInto(image.data, image.width, image.height, [a, b, tx, c, d, ty], null, null, out);
  clampInPlace(out);
  return like(image, out);
}

/** The reference's trick to keep the centre ((size - 1) / 2, 13.5 for 28) fixed under a linear map. */
function centredWarp(image: GrayImage, a: number, b: number, c: number, d: number): GrayImage {
  const cx = (image.width - 1) / 2;
  const cy = (image.height - 1) / 2;
  return inverseWarp(image, a, b, cx - a * cx - b * cy, c, d, cy - c * cx - d * cy);
}

/** +1 or -1 with even odds (numpy's choice([-1, 1])). */
function sign(rng: Rng): number {
  return rng.next() < 0.5 ? -1 : 1;
}

function checked(f: Corruption): Corruption {
  return (image, rng) => {
    checkImage(image);
    checkRng(rng);
    return f(image, rng);
  };
}

/**
 * The 15 MNIST-C corruptions, each with the default severity of its function in the authors'
 * corruptions.py (see the top of this file), for 28x28 ink images in [0, 1]. Other sizes work; the
 * fixed pixel constants (3 px shift, line shapes) then mean relatively less.
 */
export const MNIST_C: Readonly<Record<MnistCName, Corruption>> = {
  // Poisson(x * 3) / 3 (severity 5).
  shot_noise: checked((image, rng) => shotNoise(image, rng, { rate: 3 })),
  // scikit-image random_noise 's&p' with amount 0.17 (severity 4): half salt, half pepper.
  impulse_noise: checked((image, rng) => {
    const data = image.data.slice();
    clampInPlace(data);
    saltPepperInPlace(data, rng, 0.17);
    return like(image, data);
  }),
  // (sigma 0.7, max delta 1, 2 iterations) (severity 1).
  glass_blur: checked((image, rng) => glassBlur(image, rng, { sigma: 0.7, maxDelta: 1, iterations: 2 })),
  // ImageMagick motion blur radius 10, sigma 3, angle uniform in [-45, 45) degrees (severity 1).
  motion_blur: checked((image, rng) => imageMagickMotionBlur(image, 10, 3, rng.uniform(-45, 45))),
  // skimage AffineTransform(shear=+-0.4) as the inverse map: x' = x - sin(s) y, y' = cos(s) y (severity 2).
  shear: checked((image, rng) => {
    const s = 0.4 * sign(rng);
    return centredWarp(image, 1, -Math.sin(s), 0, Math.cos(s));
  }),
  // Inverse map scaled by 1 / 0.7: the digit shrinks to 70% about the centre (severity 3; no randomness).
  scale: checked((image) => centredWarp(image, 1 / 0.7, 0, 0, 1 / 0.7)),
  // Rotation by +-0.4 rad (about 23 degrees) about the centre (severity 2).
  rotate: checked((image, rng) => {
    const t = 0.4 * sign(rng);
    return centredWarp(image, Math.cos(t), -Math.sin(t), Math.sin(t), Math.cos(t));
  }),
  // HSV value + 0.5 on a grey image is x + 0.5, clipped (severity 5; no randomness).
  brightness: checked((image) => {
    const data = image.data.slice();
    for (let i = 0; i < data.length; i++) data[i] += 0.5;
    clampInPlace(data);
    return like(image, data);
  }),
  // Shift by 3 px on each axis, each direction random (severity 3).
  translate: checked((image, rng) => {
    const dx = 3 * sign(rng);
    const dy = 3 * sign(rng);
    return inverseWarp(image, 1, 0, dx, 0, 1, dy);
  }),
  // Inverts the left and right quarters (columns 0-6 and 21-27 of 28); no randomness.
  stripe: checked((image) => {
    const { width, height } = image;
    const data = image.data.slice();
    clampInPlace(data);
    const left = Math.floor(width / 4);
    const right = width - left;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++)
        if (x < left || x >= right) data[y * width + x] = 1 - data[y * width + x];
    }
    return like(image, data);
  }),
  // Plasma fog, strength 3, wibble decay 1.4 (severity 5).
  fog: checked((image, rng) => fog(image, rng, { strength: 3, decay: 1.4 })),
  // Mud spatter (severity 4).
  spatter: checked((image, rng) => spatter(image, rng, defaultSpatterOptions)),
  dotted_line: checked(dottedLine),
  zigzag: checked(zigzag),
  canny_edges: checked((image) => cannyEdges(image, defaultCannyOptions)),
};
