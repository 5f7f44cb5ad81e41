/**
 * Pixel-value transforms of ink images (MNIST polarity): what optics, sensors, pens and scanners do to
 * grey levels. Each public function validates, returns a new image clamped to [0, 1], and never mutates
 * its input; the *InPlace variants are the loops augmentRandom chains on its own buffer.
 */
import { checkImage, type GrayImage } from './image.ts';
import type { Rng } from './random.ts';
import { checkInteger, checkNumber } from './validate.ts';
import {
  checkRng,
  clampInPlace,
  convolveSeparable,
  gaussianKernel,
  inkBounds,
  morphRadius,
} from './augment-kernels.ts';

/** Largest radius thicken/thin accept: far past the point where a 28x28 digit is a blob or gone. */
const MAX_MORPH_RADIUS = 32;
/** Largest blur sigma accepted; the kernel grows with it. */
const MAX_BLUR_SIGMA = 64;

function copyOf(image: GrayImage, data: Float32Array): GrayImage {
  return { width: image.width, height: image.height, data };
}

export interface GaussianNoiseOptions {
  /** Standard deviation of the additive noise, in units of full scale. */
  sigma: number;
}

export const defaultGaussianNoiseOptions: GaussianNoiseOptions = { sigma: 0.05 };

export function gaussianNoiseInPlace(data: Float32Array, rng: Rng, sigma: number): void {
  for (let i = 0; i < data.length; i++) data[i] += sigma * rng.normal();
}

/** Adds independent Gaussian noise to every pixel (sensor noise), then clamps to [0, 1]. */
export function gaussianNoise(
  image: GrayImage,
  rng: Rng,
  options: Partial<GaussianNoiseOptions> = {},
): GrayImage {
  checkImage(image);
  checkRng(rng);
  const { sigma } = { ...defaultGaussianNoiseOptions, ...options };
  checkNumber(sigma, 'options.sigma', 0, 10);
  const data = image.data.slice();
  gaussianNoiseInPlace(data, rng, sigma);
  clampInPlace(data);
  return copyOf(image, data);
}

export interface SaltPepperOptions {
  /** Fraction of pixels replaced, half by 1 (salt) and half by 0 (pepper). */
  amount: number;
}

export const defaultSaltPepperOptions: SaltPepperOptions = { amount: 0.02 };

/**
 * ceil(amount * n / 2) random positions (with replacement) set to 1, as many to 0, as scikit-image's
 * random_noise(mode='s&p') did when MNIST-C was made; far fewer random draws than a per-pixel coin.
 */
export function saltPepperInPlace(data: Float32Array, rng: Rng, amount: number): void {
  const n = data.length;
  const count = Math.ceil((amount * n) / 2);
  for (let k = 0; k < count; k++) data[Math.floor(rng.next() * n)] = 1;
  for (let k = 0; k < count; k++) data[Math.floor(rng.next() * n)] = 0;
}

/** Impulse noise: a fraction `amount` of pixels forced to 0 or 1 (dust, dead pixels, scanner specks). */
export function saltPepper(image: GrayImage, rng: Rng, options: Partial<SaltPepperOptions> = {}): GrayImage {
  checkImage(image);
  checkRng(rng);
  const { amount } = { ...defaultSaltPepperOptions, ...options };
  checkNumber(amount, 'options.amount', 0, 1);
  const data = image.data.slice();
  saltPepperInPlace(data, rng, amount);
  clampInPlace(data);
  return copyOf(image, data);
}

export interface GaussianBlurOptions {
  /** Standard deviation, pixels; 0 returns a copy. */
  sigma: number;
}

export const defaultGaussianBlurOptions: GaussianBlurOptions = { sigma: 1 };

/**
 * Separable Gaussian blur (defocus, camera shake too small to have a direction). Truncated at 3 sigma;
 * outside the image is background, so the ink mass is kept unless ink touches the border.
 */
export function gaussianBlur(image: GrayImage, options: Partial<GaussianBlurOptions> = {}): GrayImage {
  checkImage(image);
  const { sigma } = { ...defaultGaussianBlurOptions, ...options };
  checkNumber(sigma, 'options.sigma', 0, MAX_BLUR_SIGMA);
  const data = image.data.slice();
  if (sigma > 0) {
    convolveSeparable(
      data,
      image.width,
      image.height,
      gaussianKernel(sigma),
      new Float32Array(data.length),
      data,
    );
    clampInPlace(data);
  }
  return copyOf(image, data);
}

export interface StrokeOptions {
  /**
   * Pixels of growth (thicken) or shrinkage (thin) per side: whole steps of a 3x3-cross grey
   * dilation/erosion, the fractional part blended towards one more step. An MNIST stroke is ~2-3 px
   * wide, so thin by more than ~0.7 starts to break strokes.
   */
  radius: number;
}

export const defaultStrokeOptions: StrokeOptions = { radius: 1 };

/** Grey dilation: a wider pen (felt tip, bleeding ink, a blurry photo binarised). */
export function thicken(image: GrayImage, options: Partial<StrokeOptions> = {}): GrayImage {
  checkImage(image);
  const { radius } = { ...defaultStrokeOptions, ...options };
  checkNumber(radius, 'options.radius', 0, MAX_MORPH_RADIUS);
  const data = morphRadius(image.data, image.width, image.height, radius, true);
  clampInPlace(data);
  return copyOf(image, data);
}

/** Grey erosion: a finer pen, a faint pencil, an over-exposed scan. */
export function thin(image: GrayImage, options: Partial<StrokeOptions> = {}): GrayImage {
  checkImage(image);
  const { radius } = { ...defaultStrokeOptions, ...options };
  checkNumber(radius, 'options.radius', 0, MAX_MORPH_RADIUS);
  const data = morphRadius(image.data, image.width, image.height, radius, false);
  clampInPlace(data);
  return copyOf(image, data);
}

export interface ContrastOptions {
  /** Multiplies deviations from the image mean: < 1 lowers contrast, > 1 raises it. */
  factor: number;
  /** Added to every pixel after the contrast change: > 0 lifts the background (glare, grey paper). */
  brightness?: number;
}

export const defaultContrastOptions: ContrastOptions = { factor: 1, brightness: 0 };

export function contrastInPlace(data: Float32Array, factor: number, brightness: number): void {
  let mean = 0;
  for (let i = 0; i < data.length; i++) mean += data[i];
  mean /= data.length;
  const offset = mean * (1 - factor) + brightness;
  for (let i = 0; i < data.length; i++) data[i] = data[i] * factor + offset;
}

/**
 * Scales deviations from the mean grey level (as in the ImageNet-C / MNIST-C contrast corruption) and
 * adds a brightness offset, then clamps.
 */
export function contrast(image: GrayImage, options: Partial<ContrastOptions> = {}): GrayImage {
  checkImage(image);
  const opts = { ...defaultContrastOptions, ...options };
  checkNumber(opts.factor, 'options.factor', 0, 100);
  const brightness = checkNumber(opts.brightness ?? 0, 'options.brightness', -1, 1);
  const data = image.data.slice();
  contrastInPlace(data, opts.factor, brightness);
  clampInPlace(data);
  return copyOf(image, data);
}

export interface OccludeOptions {
  /** Side of the square of background painted over the digit, pixels. */
  size: number;
}

export const defaultOccludeOptions: OccludeOptions = { size: 6 };

/**
 * Paints a size x size square of background (0) whose centre is drawn uniformly inside the ink's
 * bounding box (the whole image when there is no ink), so that it usually removes part of a stroke:
 * a finger, glare or a crop edge hiding part of the digit.
 */
export function occludeInPlace(
  data: Float32Array,
  width: number,
  height: number,
  rng: Rng,
  size: number,
): void {
  const box = inkBounds(data, width, height, 0.1) ?? { x0: 0, y0: 0, x1: width, y1: height };
  const cx = box.x0 + Math.floor(rng.next() * (box.x1 - box.x0));
  const cy = box.y0 + Math.floor(rng.next() * (box.y1 - box.y0));
  const x0 = Math.max(0, cx - (size >> 1));
  const y0 = Math.max(0, cy - (size >> 1));
  const x1 = Math.min(width, cx - (size >> 1) + size);
  const y1 = Math.min(height, cy - (size >> 1) + size);
  for (let y = y0; y < y1; y++) data.fill(0, y * width + x0, y * width + x1);
}

export function occlude(image: GrayImage, rng: Rng, options: Partial<OccludeOptions> = {}): GrayImage {
  checkImage(image);
  checkRng(rng);
  const { size } = { ...defaultOccludeOptions, ...options };
  checkInteger(size, 'options.size', 0);
  const data = image.data.slice();
  occludeInPlace(data, image.width, image.height, rng, size);
  clampInPlace(data);
  return copyOf(image, data);
}
