/**
 * The robustness suites of `npm run eval`: deterministic, seeded transforms of the MNIST test set.
 *
 * A suite measures either the model or the pipeline. Model suites hand the transformed 28x28 digit
 * straight to the model. Pipeline suites hand it (or a whole synthetic photo) to preprocess/ first,
 * as the reader and the app do: inverted polarity, for example, is the pipeline's job (polarity
 * detection), and the camera suite runs locate + normalize on a rendered paper photo.
 */
import {
  affine,
  contrast,
  elastic,
  flipHorizontal,
  flipVertical,
  gaussianBlur,
  gaussianNoise,
  occlude,
  rotate,
  saltPepper,
  thicken,
  thin,
  transpose,
} from '../preprocess/augment.ts';
import {
  jpegBlocking,
  lowContrast,
  MNIST_C,
  MNIST_C_NAMES,
  motionBlur,
  stripes,
} from '../preprocess/corrupt.ts';
import { checkImage, invert, toInkImage, detectPolarity, type GrayImage } from '../preprocess/image.ts';
import { locate } from '../preprocess/locate.ts';
import { normalize } from '../preprocess/normalize.ts';
import type { Rng } from '../preprocess/random.ts';
import { renderScene } from '../preprocess/synth.ts';

export type SuitePath = 'model' | 'pipeline';

/**
 * Turns one test digit (MNIST polarity, 28x28) into the model's input, or null when the pipeline
 * found no digit (scored as wrong: a reader that sees nothing has not read the digit).
 */
export type Prepare = (digit: GrayImage, rng: Rng) => Float32Array | null;

export interface Severity {
  label: string;
  prepare: Prepare;
  /**
   * Time per digit relative to a plain 28x28 transform plus the models (1 when absent). Units run
   * most costly first, so that no worker is left with a long one at the end of a run.
   */
  cost?: number;
}

export interface Suite {
  name: string;
  path: SuitePath;
  /** What the path does, printed beside the results. */
  pathNote: string;
  severities: Severity[];
}

const MODEL_NOTE = '28x28 transform fed to the model directly';

function model(fn: (d: GrayImage, rng: Rng) => GrayImage): Prepare {
  return (d, rng) => fn(d, rng).data;
}

/** Rotation by +-deg, the sign drawn per digit (a page tilts either way). */
function rotation(deg: number): Severity {
  return {
    label: deg === 180 ? '180' : `+-${deg}`,
    prepare: model((d, rng) => rotate(d, deg === 180 ? 180 : rng.chance(0.5) ? deg : -deg)),
  };
}

function randomSign(rng: Rng): number {
  return rng.chance(0.5) ? 1 : -1;
}

/**
 * The pipeline for a digit image that is not MNIST-normalised: polarity detection, stretch to ink = 1,
 * MNIST normalisation. Exactly what the reader does with a single-digit crop.
 */
export function pipelineDigit(image: GrayImage): Float32Array | null {
  const ink = toInkImage(image, detectPolarity(image));
  let any = false;
  for (let i = 0; i < ink.data.length && !any; i++) any = ink.data[i] > 0.1;
  return any ? normalize(ink) : null;
}

/** Paper photo options of the camera suite: phone snapshots of a digit on paper. */
export const CAMERA_SCENE = {
  width: 160,
  height: 128,
  scale: [2.5, 4] as const,
  rotation: 8,
  gradient: [0, 0.35] as const,
  vignette: [0, 0.25] as const,
  shadow: 0.4,
  blur: [0.3, 1.4] as const,
  noise: [0.005, 0.03] as const,
};

/** Renders the digit on a synthetic photo and reads it back through locate + normalize. */
export function cameraDigit(d: GrayImage, rng: Rng): Float32Array | null {
  const scene = renderScene({ ...CAMERA_SCENE, digits: [{ ink: d }] }, rng);
  // JPEG-like artefacts of a phone camera, applied to the whole photo.
  const photo = rng.chance(0.5) ? jpegBlocking(scene.image, { quality: rng.int(40, 90) }) : scene.image;
  const found = locate(photo);
  if (found.digits.length === 0) return null;
  // The digit whose box overlaps the truth the most: the reader would show that one.
  const truth = scene.digits[0].box;
  let best = found.digits[0];
  let bestOverlap = -1;
  for (const cand of found.digits) {
    const ox = Math.min(cand.box.x + cand.box.width, truth.x + truth.width) - Math.max(cand.box.x, truth.x);
    const oy = Math.min(cand.box.y + cand.box.height, truth.y + truth.height) - Math.max(cand.box.y, truth.y);
    const overlap = Math.max(0, ox) * Math.max(0, oy);
    if (overlap > bestOverlap) {
      bestOverlap = overlap;
      best = cand;
    }
  }
  return best.pixels;
}

export function buildSuites(): Suite[] {
  const m = (name: string, severities: Severity[]): Suite => ({
    name,
    path: 'model',
    pathNote: MODEL_NOTE,
    severities,
  });
  const one = (label: string, fn: (d: GrayImage, rng: Rng) => GrayImage): Severity => ({
    label,
    prepare: model(fn),
  });
  return [
    m('clean', [one('-', (d) => d)]),
    m('rotation', [10, 20, 30, 45, 90, 180].map(rotation)),
    m('transpose', [one('-', (d) => transpose(d))]),
    m('flip', [one('horizontal', (d) => flipHorizontal(d)), one('vertical', (d) => flipVertical(d))]),
    m(
      'shift',
      [2, 4].map((px) =>
        one(`${px}px`, (d, rng) =>
          affine(d, { translateX: px * randomSign(rng), translateY: px * randomSign(rng) }),
        ),
      ),
    ),
    m(
      'scale',
      [0.5, 0.75, 1.25, 1.5].map((s) => one(`x${s}`, (d) => affine(d, { scale: s }))),
    ),
    m(
      'shear',
      [0.2, 0.4].map((s) => one(`${s}`, (d, rng) => affine(d, { shearX: s * randomSign(rng) }))),
    ),
    m(
      'elastic',
      [
        { label: 'alpha 34 sigma 4', alpha: 34, sigma: 4 },
        { label: 'alpha 60 sigma 4', alpha: 60, sigma: 4 },
      ].map((e) => one(e.label, (d, rng) => elastic(d, rng, { alpha: e.alpha, sigma: e.sigma }))),
    ),
    m(
      'gaussian-noise',
      [0.1, 0.2, 0.4].map((s) => one(`sigma ${s}`, (d, rng) => gaussianNoise(d, rng, { sigma: s }))),
    ),
    m(
      'salt-pepper',
      [0.02, 0.05, 0.1].map((a) => one(`${a * 100}%`, (d, rng) => saltPepper(d, rng, { amount: a }))),
    ),
    m(
      'gaussian-blur',
      [0.5, 1, 1.5].map((s) => one(`sigma ${s}`, (d) => gaussianBlur(d, { sigma: s }))),
    ),
    m(
      'motion-blur',
      [3, 5, 7].map((l) =>
        one(`${l}px`, (d, rng) => motionBlur(d, { length: l, angle: rng.uniform(0, 180) })),
      ),
    ),
    m(
      'thin',
      [0.5, 1].map((r) => one(`radius ${r}`, (d) => thin(d, { radius: r }))),
    ),
    m(
      'thicken',
      [1, 2].map((r) => one(`radius ${r}`, (d) => thicken(d, { radius: r }))),
    ),
    m(
      'low-contrast',
      [0.3, 0.15].map((f) => one(`x${f}`, (d) => lowContrast(d, { factor: f }))),
    ),
    m(
      'occlusion',
      [6, 10].map((s) => one(`${s}px square`, (d, rng) => occlude(d, rng, { size: s }))),
    ),
    m('stripes', [
      one('period 7', (d, rng) => stripes(d, { period: 7, width: 1, angle: rng.uniform(0, 180) })),
    ]),
    m(
      'jpeg',
      [20, 10, 5].map((q) => one(`quality ${q}`, (d) => jpegBlocking(d, { quality: q }))),
    ),
    m(
      'mnist-c',
      MNIST_C_NAMES.map((name) => one(name, (d, rng) => MNIST_C[name](d, rng))),
    ),
    {
      name: 'inverted',
      path: 'pipeline',
      pathNote: 'light digit on dark background: detectPolarity + toInkImage + normalize, then the model',
      severities: [
        { label: 'ink 0 on 1', prepare: (d) => pipelineDigit(invert(d)) },
        { label: 'low contrast', prepare: (d) => pipelineDigit(invert(contrast(d, { factor: 0.4 }))) },
      ],
    },
    {
      name: 'camera',
      path: 'pipeline',
      pathNote:
        'digit rendered on a synthetic paper photo (light, shadow, blur, noise, JPEG): locate + normalize',
      // Rendering and locating a photo takes about 12 ms a digit, ten times the models' 1 ms for two.
      severities: [{ label: 'paper photo', prepare: (d, rng) => cameraDigit(checkImage(d), rng), cost: 12 }],
    },
  ];
}

export function suiteNames(): string[] {
  return buildSuites().map((s) => s.name);
}
