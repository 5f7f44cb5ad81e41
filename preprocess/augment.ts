/**
 * Training-time augmentation of MNIST-normalised digits (ink = 1 on 0, usually 28x28).
 * The individual transforms live in augment-geometry.ts and augment-intensity.ts and are re-exported
 * here; this file adds the random pipeline the trainer calls once per image per epoch.
 *
 * The default preset models what a phone camera or a scanner does to a handwritten digit *after* our
 * own MNIST-style normalisation (normalize.ts) has cropped, scaled and centred it: the residual tilt,
 * size and centring errors, a different pen, defocus, sensor noise, low contrast and partly hidden
 * strokes. It also covers two failures of tutorial models that users meet at once: digits read with
 * rows and columns swapped (transposed, as EMNIST stores them) and paper held at a large angle.
 */
import { checkImage, type GrayImage } from './image.ts';
import type { Rng } from './random.ts';
import { checkInteger, checkNumber, fail } from './validate.ts';
import {
  checkRng,
  clampInPlace,
  convolveSeparable,
  gaussianKernel,
  inverseAffine,
  morphRadius,
  transposeData,
  warpInto,
} from './augment-kernels.ts';
import { elasticField, elasticPlan } from './augment-geometry.ts';
import {
  contrastInPlace,
  gaussianNoiseInPlace,
  occludeInPlace,
  saltPepperInPlace,
} from './augment-intensity.ts';

export {
  affine,
  defaultAffineOptions,
  defaultElasticOptions,
  elastic,
  flipHorizontal,
  flipVertical,
  rotate,
  transpose,
  type AffineOptions,
  type ElasticOptions,
} from './augment-geometry.ts';
export {
  contrast,
  defaultContrastOptions,
  defaultGaussianBlurOptions,
  defaultGaussianNoiseOptions,
  defaultOccludeOptions,
  defaultSaltPepperOptions,
  defaultStrokeOptions,
  gaussianBlur,
  gaussianNoise,
  occlude,
  saltPepper,
  thicken,
  thin,
  type ContrastOptions,
  type GaussianBlurOptions,
  type GaussianNoiseOptions,
  type OccludeOptions,
  type SaltPepperOptions,
  type StrokeOptions,
} from './augment-intensity.ts';
/** Polarity inversion is the same operation as image.ts's; re-exported so augmentations sit together. */
export { invert } from './image.ts';

/**
 * Every step of augmentRandom is applied independently with its probability; ranges are drawn
 * uniformly. Angles in degrees (counter-clockwise on screen), lengths in pixels, grey levels in [0, 1].
 */
export interface AugmentOptions {
  // Pen.
  /** Probability of changing the stroke width (thicken or thin, even odds). */
  strokeProbability: number;
  /** Largest dilation radius (pixels per side, fractional allowed). */
  thickenMax: number;
  /** Largest erosion radius; MNIST strokes are ~2-3 px, so much more than 0.5 breaks them. */
  thinMax: number;

  // Orientation.
  /** Probability of exchanging rows and columns (required: the model must read transposed digits). */
  transposeProbability: number;
  /** Mirrors turn digits into non-digits or other digits (2 vs 5 at a glance), so 0 by default. */
  flipHorizontalProbability: number;
  flipVerticalProbability: number;

  // One affine + elastic warp about the centre.
  /** Probability of a small rotation, uniform in +-rotationDegrees (hand and camera tilt). */
  rotationProbability: number;
  rotationDegrees: number;
  /**
   * Probability of a large rotation instead, uniform in +-largeRotationDegrees (a page held sideways).
   * The default stops at 90: at 180 a 6 is a 9 and the label would be wrong.
   */
  largeRotationProbability: number;
  largeRotationDegrees: number;
  /** Probability of rescaling by a factor in [scaleMin, scaleMax] (normalisation's fit is not exact). */
  scaleProbability: number;
  scaleMin: number;
  scaleMax: number;
  /** With a rescale, the two axes differ by up to +-aspectJitter (camera aspect, narrow writing). */
  aspectJitter: number;
  /** Probability of shearing by up to +-shearXMax (slanted writing) and +-shearYMax (perspective). */
  shearProbability: number;
  shearXMax: number;
  shearYMax: number;
  /** Probability of shifting by up to +-translatePixels on each axis (centring error). */
  translateProbability: number;
  translatePixels: number;
  /** Probability of a Simard elastic distortion with these alpha and sigma (writer variation). */
  elasticProbability: number;
  elasticAlpha: number;
  elasticSigma: number;

  // Occlusion, optics, exposure and sensor, in the order they act.
  /** Probability of hiding a square of side in [occlusionSizeMin, occlusionSizeMax] (finger, glare). */
  occlusionProbability: number;
  occlusionSizeMin: number;
  occlusionSizeMax: number;
  /** Probability of a Gaussian blur with sigma in [blurSigmaMin, blurSigmaMax] (defocus). */
  blurProbability: number;
  blurSigmaMin: number;
  blurSigmaMax: number;
  /** Probability of a contrast factor in [contrastMin, 1] plus a background lift in [0, brightnessMax]. */
  contrastProbability: number;
  contrastMin: number;
  brightnessMax: number;
  /** Probability of additive Gaussian noise with sigma in [0, noiseSigmaMax]. */
  noiseProbability: number;
  noiseSigmaMax: number;
  /** Probability of salt-and-pepper noise replacing a fraction in [0, saltPepperAmountMax] of pixels. */
  saltPepperProbability: number;
  saltPepperAmountMax: number;
  /** Probability of inverting polarity; 0 because normalisation already makes ink = 1. */
  invertProbability: number;
}

export const defaultAugmentOptions: AugmentOptions = {
  strokeProbability: 0.3,
  thickenMax: 1,
  thinMax: 0.5,

  transposeProbability: 0.1,
  flipHorizontalProbability: 0,
  flipVerticalProbability: 0,

  rotationProbability: 0.8,
  rotationDegrees: 15,
  largeRotationProbability: 0.05,
  largeRotationDegrees: 90,
  scaleProbability: 0.5,
  scaleMin: 0.85,
  scaleMax: 1.15,
  aspectJitter: 0.05,
  shearProbability: 0.4,
  shearXMax: 0.3,
  shearYMax: 0.1,
  translateProbability: 0.5,
  translatePixels: 2,
  elasticProbability: 0.4,
  elasticAlpha: 34,
  elasticSigma: 4,

  occlusionProbability: 0.05,
  occlusionSizeMin: 3,
  occlusionSizeMax: 8,
  blurProbability: 0.2,
  blurSigmaMin: 0.3,
  blurSigmaMax: 1,
  contrastProbability: 0.2,
  contrastMin: 0.4,
  brightnessMax: 0.2,
  noiseProbability: 0.2,
  noiseSigmaMax: 0.1,
  saltPepperProbability: 0.05,
  saltPepperAmountMax: 0.03,
  invertProbability: 0,
};

/** Every probability 0: augmentRandom returns a copy of its input. */
export const noAugmentOptions: AugmentOptions = {
  ...defaultAugmentOptions,
  strokeProbability: 0,
  transposeProbability: 0,
  flipHorizontalProbability: 0,
  flipVerticalProbability: 0,
  rotationProbability: 0,
  largeRotationProbability: 0,
  scaleProbability: 0,
  shearProbability: 0,
  translateProbability: 0,
  elasticProbability: 0,
  occlusionProbability: 0,
  blurProbability: 0,
  contrastProbability: 0,
  noiseProbability: 0,
  saltPepperProbability: 0,
  invertProbability: 0,
};

const PROBABILITIES = [
  'strokeProbability',
  'transposeProbability',
  'flipHorizontalProbability',
  'flipVerticalProbability',
  'rotationProbability',
  'largeRotationProbability',
  'scaleProbability',
  'shearProbability',
  'translateProbability',
  'elasticProbability',
  'occlusionProbability',
  'blurProbability',
  'contrastProbability',
  'noiseProbability',
  'saltPepperProbability',
  'invertProbability',
] as const satisfies readonly (keyof AugmentOptions)[];

function checkRange(o: AugmentOptions, lo: keyof AugmentOptions, hi: keyof AugmentOptions): void {
  if (o[lo] > o[hi]) fail(`a value >= options.${lo} (${o[lo]})`, `options.${hi}`, o[hi]);
}

function checkAugmentOptions(o: AugmentOptions): void {
  for (const key of PROBABILITIES) checkNumber(o[key], `options.${key}`, 0, 1);
  checkNumber(o.thickenMax, 'options.thickenMax', 0, 8);
  checkNumber(o.thinMax, 'options.thinMax', 0, 8);
  checkNumber(o.rotationDegrees, 'options.rotationDegrees', 0, 180);
  checkNumber(o.largeRotationDegrees, 'options.largeRotationDegrees', 0, 180);
  checkNumber(o.scaleMin, 'options.scaleMin', 0.1, 10);
  checkNumber(o.scaleMax, 'options.scaleMax', 0.1, 10);
  checkRange(o, 'scaleMin', 'scaleMax');
  checkNumber(o.aspectJitter, 'options.aspectJitter', 0, 0.5);
  checkNumber(o.shearXMax, 'options.shearXMax', 0, 2);
  checkNumber(o.shearYMax, 'options.shearYMax', 0, 2);
  // shearX * shearY = 1 flattens the image onto a line; keep every draw well away from it.
  if (o.shearXMax * o.shearYMax >= 0.9) {
    fail('a product below 0.9', 'options.shearXMax * options.shearYMax', o.shearXMax * o.shearYMax);
  }
  checkNumber(o.translatePixels, 'options.translatePixels', 0, 1000);
  checkNumber(o.elasticAlpha, 'options.elasticAlpha', 0, 1000);
  checkNumber(o.elasticSigma, 'options.elasticSigma', 0.1, 100);
  checkInteger(o.occlusionSizeMin, 'options.occlusionSizeMin', 0);
  checkInteger(o.occlusionSizeMax, 'options.occlusionSizeMax', 0);
  checkRange(o, 'occlusionSizeMin', 'occlusionSizeMax');
  checkNumber(o.blurSigmaMin, 'options.blurSigmaMin', 0, 16);
  checkNumber(o.blurSigmaMax, 'options.blurSigmaMax', 0, 16);
  checkRange(o, 'blurSigmaMin', 'blurSigmaMax');
  checkNumber(o.contrastMin, 'options.contrastMin', 0, 1);
  checkNumber(o.brightnessMax, 'options.brightnessMax', 0, 1);
  checkNumber(o.noiseSigmaMax, 'options.noiseSigmaMax', 0, 1);
  checkNumber(o.saltPepperAmountMax, 'options.saltPepperAmountMax', 0, 1);
}

/**
 * What an augmenter drew that changes how a digit is turned, for trainers that teach the turn as a
 * label of its own (see trainer/orientation.ts). Reading it changes nothing about the draws.
 */
export interface AugmentDraw {
  transposed: boolean;
  /** Degrees of rotation, small or large; 0 when none was drawn. */
  rotation: number;
}

export type Augmenter = (image: GrayImage, rng: Rng, drawn?: AugmentDraw) => GrayImage;

/**
 * Validates the options once and returns the augmenting function, with the elastic kernel precomputed:
 * the form the trainer should call in its per-image loop.
 */
export function createAugmenter(options: Partial<AugmentOptions> = {}): Augmenter {
  if (typeof options !== 'object' || options === null) fail('an AugmentOptions object', 'options', options);
  // A misspelt field would otherwise be ignored silently and train with the default instead.
  for (const key of Object.keys(options)) {
    if (!(key in defaultAugmentOptions)) {
      fail('a field of AugmentOptions', `options.${key}`, (options as Record<string, unknown>)[key]);
    }
  }
  const o: AugmentOptions = { ...defaultAugmentOptions, ...options };
  checkAugmentOptions(o);
  const elastic = elasticPlan(o.elasticSigma);

  return (image: GrayImage, rng: Rng, drawn?: AugmentDraw): GrayImage => {
    checkImage(image);
    checkRng(rng);
    let { width, height } = image;
    const n = image.data.length;
    let cur: Float32Array = image.data.slice();
    let spare: Float32Array = new Float32Array(n);

    if (rng.next() < o.strokeProbability) {
      const grow = rng.next() < 0.5;
      const radius = rng.next() * (grow ? o.thickenMax : o.thinMax);
      if (radius > 0) cur = morphRadius(cur, width, height, radius, grow);
    }

    const transposed = rng.next() < o.transposeProbability;
    if (transposed) {
      cur = transposeData(cur, width, height);
      [width, height] = [height, width];
    }
    if (rng.next() < o.flipHorizontalProbability) {
      for (let y = 0; y < height; y++) cur.subarray(y * width, (y + 1) * width).reverse();
    }
    if (rng.next() < o.flipVerticalProbability) {
      for (let y = 0; y < height >> 1; y++) {
        const a = cur.slice(y * width, (y + 1) * width);
        cur.copyWithin(y * width, (height - 1 - y) * width, (height - y) * width);
        cur.set(a, (height - 1 - y) * width);
      }
    }

    let warp = false;
    let rotation = 0;
    if (rng.next() < o.largeRotationProbability) {
      rotation = rng.uniform(-o.largeRotationDegrees, o.largeRotationDegrees);
      warp = true;
    } else if (rng.next() < o.rotationProbability) {
      rotation = rng.uniform(-o.rotationDegrees, o.rotationDegrees);
      warp = true;
    }
    let sx = 1;
    let sy = 1;
    if (rng.next() < o.scaleProbability) {
      const s = rng.uniform(o.scaleMin, o.scaleMax);
      const aspect = rng.uniform(-o.aspectJitter, o.aspectJitter);
      sx = s * (1 + aspect);
      sy = s * (1 - aspect);
      warp = true;
    }
    let shearX = 0;
    let shearY = 0;
    if (rng.next() < o.shearProbability) {
      shearX = rng.uniform(-o.shearXMax, o.shearXMax);
      shearY = rng.uniform(-o.shearYMax, o.shearYMax);
      warp = true;
    }
    let tx = 0;
    let ty = 0;
    if (rng.next() < o.translateProbability) {
      tx = rng.uniform(-o.translatePixels, o.translatePixels);
      ty = rng.uniform(-o.translatePixels, o.translatePixels);
      warp = true;
    }
    let dx: Float32Array | null = null;
    let dy: Float32Array | null = null;
    if (rng.next() < o.elasticProbability && o.elasticAlpha > 0) {
      dx = new Float32Array(n);
      dy = new Float32Array(n);
      elasticField(rng, width, height, o.elasticAlpha, elastic, dx, dy);
      warp = true;
    }
    if (drawn) {
      drawn.transposed = transposed;
      drawn.rotation = rotation;
    }
    if (warp) {
      const m = inverseAffine((width - 1) / 2, (height - 1) / 2, sx, sy, shearX, shearY, rotation, tx, ty);
      warpInto(cur, width, height, m, dx, dy, spare);
      [cur, spare] = [spare, cur];
    }

    if (rng.next() < o.occlusionProbability) {
      occludeInPlace(cur, width, height, rng, rng.int(o.occlusionSizeMin, o.occlusionSizeMax));
    }
    if (rng.next() < o.blurProbability) {
      const sigma = rng.uniform(o.blurSigmaMin, o.blurSigmaMax);
      if (sigma > 0) convolveSeparable(cur, width, height, gaussianKernel(sigma), spare, cur);
    }
    if (rng.next() < o.contrastProbability) {
      contrastInPlace(cur, rng.uniform(o.contrastMin, 1), rng.uniform(0, o.brightnessMax));
    }
    if (rng.next() < o.noiseProbability) gaussianNoiseInPlace(cur, rng, rng.uniform(0, o.noiseSigmaMax));
    // Clamp before salt and pepper so that the specks are full black and white on a valid image.
    clampInPlace(cur);
    if (rng.next() < o.saltPepperProbability) {
      saltPepperInPlace(cur, rng, rng.uniform(0, o.saltPepperAmountMax));
    }
    if (rng.next() < o.invertProbability) {
      for (let i = 0; i < n; i++) cur[i] = 1 - cur[i];
    }
    return { width, height, data: cur };
  };
}

/**
 * Applies a random augmentation drawn from `rng`. Deterministic for a given rng state; the output has
 * the input's size (transposed when transpose is drawn) and values in [0, 1]. For many images with the
 * same options, call createAugmenter once instead.
 */
export function augmentRandom(
  image: GrayImage,
  rng: Rng,
  options: Partial<AugmentOptions> = defaultAugmentOptions,
): GrayImage {
  return createAugmenter(options)(image, rng);
}
