import { describe, expect, test } from 'vitest';
import {
  affine,
  augmentRandom,
  contrast,
  createAugmenter,
  defaultAugmentOptions,
  elastic,
  flipHorizontal,
  flipVertical,
  gaussianBlur,
  gaussianNoise,
  invert,
  noAugmentOptions,
  occlude,
  rotate,
  saltPepper,
  thicken,
  thin,
  transpose,
  type AugmentOptions,
} from '../../preprocess/augment.ts';
import type { GrayImage } from '../../preprocess/image.ts';
import { createRng, type Rng } from '../../preprocess/random.ts';

// Synthetic digits, drawn here so that the tests need no fixture files.

function blank(width = 28, height = 28): GrayImage {
  return { width, height, data: new Float32Array(width * height) };
}

function fillRect(image: GrayImage, x0: number, y0: number, x1: number, y1: number, value = 1): GrayImage {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) image.data[y * image.width + x] = value;
  return image;
}

/** A vertical bar, 3 px wide and 16 px tall, in the middle of a 28x28 field: a "1". */
const bar = (): GrayImage => fillRect(blank(), 13, 6, 16, 22);

/** An anti-aliased ellipse outline: a "0". */
function ring(width = 28, height = 28): GrayImage {
  const image = blank(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - (width - 1) / 2, (y - (height - 1) / 2) * 0.7);
      image.data[y * width + x] = Math.max(0, Math.min(1, 1.5 - Math.abs(r - 6)));
    }
  }
  return image;
}

/** A "7": a top bar and an anti-aliased diagonal, asymmetric under every mirror and rotation. */
function seven(): GrayImage {
  const image = fillRect(blank(), 7, 6, 21, 9);
  for (let y = 9; y <= 22; y++) {
    const cx = 20 - (y - 8) * 0.5;
    for (let x = 0; x < 28; x++) {
      const v = Math.max(0, Math.min(1, 1.6 - Math.abs(x - cx)));
      image.data[y * 28 + x] = Math.max(image.data[y * 28 + x], v);
    }
  }
  return image;
}

function mass(image: GrayImage): number {
  return image.data.reduce((a, b) => a + b, 0);
}

function mean(image: GrayImage): number {
  return mass(image) / image.data.length;
}

function correlation(a: GrayImage, b: GrayImage): number {
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.data.length; i++) {
    ab += (a.data[i] - ma) * (b.data[i] - mb);
    aa += (a.data[i] - ma) ** 2;
    bb += (b.data[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Horizontal and vertical spread (second central moments) of the ink. */
function spread(image: GrayImage): { sx: number; sy: number } {
  const { width, data } = image;
  let m = 0;
  let cx = 0;
  let cy = 0;
  data.forEach((v, i) => {
    m += v;
    cx += v * (i % width);
    cy += v * Math.floor(i / width);
  });
  cx /= m;
  cy /= m;
  let sx = 0;
  let sy = 0;
  data.forEach((v, i) => {
    sx += v * ((i % width) - cx) ** 2;
    sy += v * (Math.floor(i / width) - cy) ** 2;
  });
  return { sx: sx / m, sy: sy / m };
}

function expectValid(image: GrayImage, width = 28, height = 28): void {
  expect(image.width).toBe(width);
  expect(image.height).toBe(height);
  expect(image.data).toBeInstanceOf(Float32Array);
  expect(image.data.length).toBe(width * height);
  // One assertion per image: an expect() per pixel makes the loops below take seconds.
  const bad = image.data.findIndex((v) => !(v >= 0 && v <= 1));
  expect(bad, `pixel ${bad} = ${image.data[bad]}`).toBe(-1);
}

const bytes = (image: GrayImage): number[] => Array.from(image.data);

describe('random transforms are deterministic for a seed', () => {
  const cases: { name: string; run: (image: GrayImage, rng: Rng) => GrayImage }[] = [
    { name: 'elastic', run: (image, rng) => elastic(image, rng, { alpha: 34, sigma: 4 }) },
    { name: 'elastic, small sigma', run: (image, rng) => elastic(image, rng, { alpha: 8, sigma: 1 }) },
    { name: 'gaussianNoise', run: (image, rng) => gaussianNoise(image, rng, { sigma: 0.1 }) },
    { name: 'saltPepper', run: (image, rng) => saltPepper(image, rng, { amount: 0.05 }) },
    { name: 'occlude', run: (image, rng) => occlude(image, rng, { size: 5 }) },
    { name: 'augmentRandom', run: (image, rng) => augmentRandom(image, rng) },
  ];
  test.each(cases)('$name: same seed gives the same bytes, another seed others', ({ run }) => {
    const image = seven();
    const a = run(image, createRng(42));
    const b = run(image, createRng(42));
    expect(bytes(a)).toEqual(bytes(b));
    const others = [1, 2, 3, 4, 5].map((seed) => bytes(run(image, createRng(seed))));
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(bytes(a)))).toBe(true);
  });
});

describe('exact symmetries', () => {
  const cases: { name: string; image: () => GrayImage; twice: (image: GrayImage) => GrayImage }[] = [
    { name: 'transpose twice, square', image: seven, twice: (i) => transpose(transpose(i)) },
    { name: 'transpose twice, 40x20', image: () => ring(40, 20), twice: (i) => transpose(transpose(i)) },
    { name: 'flipHorizontal twice', image: seven, twice: (i) => flipHorizontal(flipHorizontal(i)) },
    {
      name: 'flipVertical twice, odd height',
      image: () => ring(20, 27),
      twice: (i) => flipVertical(flipVertical(i)),
    },
  ];
  test.each(cases)('$name is the identity', ({ image, twice }) => {
    const input = image();
    const out = twice(input);
    expect(out.width).toBe(input.width);
    expect(out.height).toBe(input.height);
    expect(bytes(out)).toEqual(bytes(input));
  });

  test('transpose swaps the shape and moves (x, y) to (y, x)', () => {
    const image = fillRect(blank(5, 3), 4, 1, 5, 2);
    const t = transpose(image);
    expect([t.width, t.height]).toEqual([3, 5]);
    expect(t.data[4 * 3 + 1]).toBe(1);
    expect(mass(t)).toBe(1);
  });

  test('flips move a pixel to its mirror position', () => {
    const image = fillRect(blank(), 2, 5, 3, 6);
    expect(flipHorizontal(image).data[5 * 28 + 25]).toBe(1);
    expect(flipVertical(image).data[22 * 28 + 2]).toBe(1);
  });
});

describe('rotate', () => {
  test.each([
    { name: 'seven', image: seven },
    { name: 'ring', image: () => ring() },
  ])('four quarter turns of a $name give it back', ({ image }) => {
    const input = image();
    let out = input;
    for (let k = 0; k < 4; k++) out = rotate(out, 90);
    expect(correlation(out, input)).toBeGreaterThan(0.95);
  });

  test('a quarter turn makes a vertical bar horizontal', () => {
    const before = spread(bar());
    const after = spread(rotate(bar(), 90));
    expect(before.sy).toBeGreaterThan(5 * before.sx);
    expect(after.sx).toBeGreaterThan(5 * after.sy);
  });

  test('positive degrees turn counter-clockwise on screen', () => {
    // A dot right of the centre (13.5, 13.5) moves above it.
    const out = rotate(fillRect(blank(), 20, 13, 21, 14), 90);
    const peak = out.data.indexOf(Math.max(...out.data));
    expect([peak % 28, Math.floor(peak / 28)]).toEqual([13, 7]);
  });

  test('rotating by 0 is exact and the corners fill with background', () => {
    expect(bytes(rotate(seven(), 0))).toEqual(bytes(seven()));
    const full = rotate(fillRect(blank(), 0, 0, 28, 28), 45);
    expect(full.data[0]).toBe(0);
    expect(full.data[14 * 28 + 14]).toBeCloseTo(1, 5);
  });
});

describe('affine', () => {
  test('the default options are the identity', () => {
    expect(bytes(affine(seven()))).toEqual(bytes(seven()));
  });

  test('an integer translation shifts the pixels exactly', () => {
    const out = affine(seven(), { translateX: 3, translateY: -2 });
    const expected = blank();
    const src = seven();
    for (let y = 2; y < 28; y++)
      for (let x = 0; x < 25; x++) expected.data[(y - 2) * 28 + x + 3] = src.data[y * 28 + x];
    expect(Array.from(out.data, (v) => +v.toFixed(5))).toEqual(
      Array.from(expected.data, (v) => +v.toFixed(5)),
    );
  });

  test.each([
    { name: 'scale 1.5 grows the bar', options: { scale: 1.5 }, axis: 'sy' as const, ratio: 1.5 ** 2 },
    { name: 'scaleY 0.5 shortens it', options: { scale: 1, scaleY: 0.5 }, axis: 'sy' as const, ratio: 0.25 },
    { name: 'scaleX 2 widens it', options: { scale: 1, scaleX: 2 }, axis: 'sx' as const, ratio: 4 },
  ])('$name', ({ options, axis, ratio }) => {
    const before = spread(bar())[axis];
    const after = spread(affine(bar(), options))[axis];
    // Bilinear resampling blurs by up to a pixel, which adds to a 3 px bar's spread.
    expect(after / before).toBeGreaterThan(ratio * 0.75);
    expect(after / before).toBeLessThan(ratio * 1.4);
  });

  test('shearX slants a vertical bar: the bottom moves right', () => {
    const out = affine(bar(), { shearX: 0.5 });
    const centreX = (row: number): number => {
      let m = 0;
      let s = 0;
      for (let x = 0; x < 28; x++) {
        m += out.data[row * 28 + x];
        s += x * out.data[row * 28 + x];
      }
      return s / m;
    };
    expect(centreX(20) - centreX(7)).toBeGreaterThan(5);
  });
});

describe('stroke, blur and intensity transforms', () => {
  test('invert flips polarity, and twice gives the input back', () => {
    const out = invert(seven());
    const again = invert(out);
    const worst = (a: GrayImage, f: (v: number) => number) =>
      Math.max(...seven().data.map((v, i) => Math.abs(a.data[i] - f(v))));
    expect(worst(out, (v) => 1 - v)).toBeLessThan(1e-6);
    expect(worst(again, (v) => v)).toBeLessThan(1e-6);
  });

  test.each([0.5, 1, 2])('gaussianBlur sigma %s keeps the ink mass and lowers the peak', (sigma) => {
    const out = gaussianBlur(seven(), { sigma });
    expect(Math.abs(mass(out) - mass(seven())) / mass(seven())).toBeLessThan(0.01);
    expect(Math.max(...out.data)).toBeLessThan(1);
    expectValid(out);
  });

  test('gaussianBlur with sigma 0 is a copy', () => {
    expect(bytes(gaussianBlur(seven(), { sigma: 0 }))).toEqual(bytes(seven()));
  });

  test.each([0.3, 1, 2])('thicken by %s adds ink and thin by it removes ink', (radius) => {
    const base = mass(ring());
    expect(mass(thicken(ring(), { radius }))).toBeGreaterThan(base);
    expect(mass(thin(ring(), { radius }))).toBeLessThan(base);
  });

  test('stroke strength grows continuously with the radius', () => {
    const masses = [0, 0.25, 0.5, 0.75, 1, 1.5].map((radius) => mass(thicken(bar(), { radius })));
    for (let i = 1; i < masses.length; i++) expect(masses[i]).toBeGreaterThan(masses[i - 1]);
    expect(masses[4]).toBe(mass(bar()) + 2 * 16 + 2 * 3);
  });

  test('gaussianNoise changes pixels but stays in [0, 1] near the original mean', () => {
    const out = gaussianNoise(seven(), createRng(3), { sigma: 0.1 });
    expectValid(out);
    expect(out.data.filter((v, i) => v !== seven().data[i]).length).toBeGreaterThan(300);
    expect(Math.abs(mean(out) - mean(seven()))).toBeLessThan(0.1);
  });

  test('saltPepper sets about the requested fraction of pixels to 0 or 1', () => {
    const gray = fillRect(blank(), 0, 0, 28, 28, 0.5);
    const out = saltPepper(gray, createRng(9), { amount: 0.1 });
    const changed = out.data.filter((v) => v !== 0.5);
    expect(changed.every((v) => v === 0 || v === 1)).toBe(true);
    expect(changed.length).toBeGreaterThan(784 * 0.08);
    expect(changed.length).toBeLessThan(784 * 0.11);
  });

  test('contrast pulls towards the mean and brightness lifts the background', () => {
    const out = contrast(seven(), { factor: 0.5, brightness: 0.1 });
    expect(out.data[0]).toBeCloseTo(mean(seven()) * 0.5 + 0.1, 5);
    expect(Math.max(...out.data)).toBeCloseTo(0.5 + mean(seven()) * 0.5 + 0.1, 5);
    expect(bytes(contrast(seven(), { factor: 1 }))).toEqual(bytes(seven()));
  });

  test('occlude paints background over part of the digit', () => {
    for (const seed of [1, 2, 3, 4]) {
      const out = occlude(bar(), createRng(seed), { size: 6 });
      expect(mass(out)).toBeLessThan(mass(bar()));
      expect(out.data.every((v, i) => v === bar().data[i] || v === 0)).toBe(true);
    }
  });

  test('elastic with alpha 0 is the identity and otherwise keeps the digit recognisable', () => {
    expect(bytes(elastic(seven(), createRng(1), { alpha: 0 }))).toEqual(bytes(seven()));
    const out = elastic(seven(), createRng(1));
    expect(bytes(out)).not.toEqual(bytes(seven()));
    expect(correlation(out, seven())).toBeGreaterThan(0.4);
  });
});

describe('augmentRandom', () => {
  test('outputs are finite, in [0, 1], 28x28, and vary', () => {
    const augment = createAugmenter();
    const rng = createRng(2024);
    const seen = new Set<string>();
    for (let k = 0; k < 200; k++) {
      const out = augment(seven(), rng);
      expectValid(out);
      seen.add(bytes(out).join());
    }
    expect(seen.size).toBeGreaterThan(190);
  });

  test('works on non-square images of other sizes', () => {
    const rng = createRng(5);
    for (let k = 0; k < 50; k++) {
      const out = augmentRandom(ring(40, 20), rng, { ...defaultAugmentOptions, elasticProbability: 1 });
      expect(out.width * out.height).toBe(800);
      expectValid(out, out.width, out.height);
    }
  });

  test('noAugmentOptions returns an equal copy and never mutates the input', () => {
    const input = seven();
    const out = augmentRandom(input, createRng(1), noAugmentOptions);
    expect(bytes(out)).toEqual(bytes(seven()));
    expect(out.data).not.toBe(input.data);
    augmentRandom(input, createRng(1), { ...defaultAugmentOptions, blurProbability: 1, noiseProbability: 1 });
    expect(bytes(input)).toEqual(bytes(seven()));
  });

  test.each([
    { name: 'transposeProbability', exact: transpose },
    { name: 'flipHorizontalProbability', exact: flipHorizontal },
    { name: 'flipVerticalProbability', exact: flipVertical },
  ])('$name 1 applies exactly that transform', ({ name, exact }) => {
    const out = augmentRandom(seven(), createRng(1), { ...noAugmentOptions, [name]: 1 });
    expect(bytes(out)).toEqual(bytes(exact(seven())));
  });

  test('largeRotationProbability 1 reaches angles beyond the small range', () => {
    const rng = createRng(8);
    const options = { ...noAugmentOptions, largeRotationProbability: 1, largeRotationDegrees: 90 };
    const correlations = Array.from({ length: 40 }, () =>
      correlation(augmentRandom(bar(), rng, options), bar()),
    );
    // A bar turned by more than ~45 degrees barely overlaps itself.
    expect(correlations.some((c) => c < 0.2)).toBe(true);
  });

  test('reports the transposition and rotation it drew, without changing the draws', () => {
    const augment = createAugmenter({ ...defaultAugmentOptions, transposeProbability: 0.5 });
    const [plain, told] = [createRng(3), createRng(3)];
    const drawn = { transposed: false, rotation: 0 };
    const seen = { transposed: 0, upright: 0, rotated: 0 };
    for (let k = 0; k < 60; k++) {
      const a = augment(bar(), plain);
      const b = augment(bar(), told, drawn);
      expect(bytes(b)).toEqual(bytes(a));
      seen[drawn.transposed ? 'transposed' : 'upright']++;
      if (drawn.rotation !== 0) seen.rotated++;
      expect(Math.abs(drawn.rotation)).toBeLessThanOrEqual(defaultAugmentOptions.largeRotationDegrees);
    }
    expect(seen.transposed).toBeGreaterThan(15);
    expect(seen.upright).toBeGreaterThan(15);
    expect(seen.rotated).toBeGreaterThan(30);
    // Exact cases: a transposition alone, and nothing at all.
    const only = createAugmenter({ ...noAugmentOptions, transposeProbability: 1 });
    only(bar(), createRng(1), drawn);
    expect(drawn).toEqual({ transposed: true, rotation: 0 });
    createAugmenter(noAugmentOptions)(bar(), createRng(1), drawn);
    expect(drawn).toEqual({ transposed: false, rotation: 0 });
  });

  test('the default preset keeps most digits close to the original', () => {
    // Compared at a blur of 1.5 px, so that the allowed shifts of a pixel or two count as similar shapes.
    const rng = createRng(11);
    const reference = gaussianBlur(seven(), { sigma: 1.5 });
    const correlations = Array.from({ length: 100 }, () =>
      correlation(gaussianBlur(augmentRandom(seven(), rng), { sigma: 1.5 }), reference),
    );
    correlations.sort((a, b) => a - b);
    expect(correlations[50]).toBeGreaterThan(0.75);
  });

  test('the default preset asks for transposed digits and large rotations', () => {
    expect(defaultAugmentOptions.transposeProbability).toBeGreaterThan(0);
    expect(defaultAugmentOptions.largeRotationProbability).toBeGreaterThan(0);
    expect(defaultAugmentOptions.largeRotationDegrees).toBeGreaterThan(defaultAugmentOptions.rotationDegrees);
  });
});

describe('no transform mutates its input', () => {
  const cases: { name: string; run: (image: GrayImage) => GrayImage }[] = [
    { name: 'rotate', run: (i) => rotate(i, 30) },
    { name: 'transpose', run: transpose },
    { name: 'flipHorizontal', run: flipHorizontal },
    { name: 'flipVertical', run: flipVertical },
    { name: 'affine', run: (i) => affine(i, { scale: 1.2, shearX: 0.2, rotation: 10, translateX: 1 }) },
    { name: 'elastic', run: (i) => elastic(i, createRng(1)) },
    { name: 'gaussianNoise', run: (i) => gaussianNoise(i, createRng(1)) },
    { name: 'saltPepper', run: (i) => saltPepper(i, createRng(1)) },
    { name: 'gaussianBlur', run: (i) => gaussianBlur(i) },
    { name: 'thicken', run: (i) => thicken(i) },
    { name: 'thin', run: (i) => thin(i) },
    { name: 'invert', run: invert },
    { name: 'contrast', run: (i) => contrast(i, { factor: 0.5 }) },
    { name: 'occlude', run: (i) => occlude(i, createRng(1)) },
    { name: 'augmentRandom', run: (i) => augmentRandom(i, createRng(1)) },
  ];
  test.each(cases)('$name', ({ run }) => {
    const input = seven();
    const out = run(input);
    expect(bytes(input)).toEqual(bytes(seven()));
    expect(out.data).not.toBe(input.data);
    expectValid(out);
  });
});

describe('bad inputs fail with "Expected ... but received ..."', () => {
  const badLength = { width: 28, height: 28, data: new Float32Array(783) };
  const cases: { name: string; run: () => unknown; message: RegExp }[] = [
    {
      name: 'NaN degrees',
      run: () => rotate(seven(), NaN),
      message: /Expected a finite number for degrees but received NaN/,
    },
    {
      name: 'wrong data length',
      run: () => rotate(badLength, 10),
      message: /Expected length 784 .* for image.data.length but received 783/,
    },
    {
      name: 'non-integer width',
      run: () => transpose({ width: 2.5, height: 2, data: new Float32Array(5) }),
      message: /Expected an integer >= 1 for image.width but received 2.5/,
    },
    {
      name: 'NaN pixel',
      run: () => flipHorizontal({ width: 2, height: 1, data: Float32Array.of(0, NaN) }),
      message: /Expected finite values for image.data\[1\] but received NaN/,
    },
    {
      name: 'negative blur sigma',
      run: () => gaussianBlur(seven(), { sigma: -1 }),
      message: /Expected .* for options.sigma but received -1/,
    },
    {
      name: 'negative noise sigma',
      run: () => gaussianNoise(seven(), createRng(1), { sigma: -0.1 }),
      message: /Expected .* for options.sigma/,
    },
    {
      name: 'elastic sigma 0',
      run: () => elastic(seven(), createRng(1), { sigma: 0 }),
      message: /Expected .* for options.sigma/,
    },
    {
      name: 'missing rng',
      run: () => elastic(seven(), undefined as unknown as Rng),
      message: /Expected an Rng .* for rng but received undefined/,
    },
    {
      name: 'amount above 1',
      run: () => saltPepper(seven(), createRng(1), { amount: 2 }),
      message: /Expected .* for options.amount/,
    },
    {
      name: 'NaN radius',
      run: () => thicken(seven(), { radius: NaN }),
      message: /Expected .* for options.radius but received NaN/,
    },
    {
      name: 'fractional occlusion size',
      run: () => occlude(seven(), createRng(1), { size: 2.5 }),
      message: /Expected an integer .* for options.size/,
    },
    {
      name: 'zero scale',
      run: () => affine(seven(), { scale: 0 }),
      message: /Expected .* for options.scale but received 0/,
    },
    {
      name: 'degenerate shear',
      run: () => affine(seven(), { shearX: 1, shearY: 1 }),
      message: /Expected shearX \* shearY other than 1/,
    },
    {
      name: 'probability above 1',
      run: () => augmentRandom(seven(), createRng(1), { rotationProbability: 1.5 }),
      message: /Expected a finite number in \[0, 1\] for options.rotationProbability but received 1.5/,
    },
    {
      name: 'inverted range',
      run: () => createAugmenter({ scaleMin: 1.2, scaleMax: 1.1 }),
      message: /Expected a value >= options.scaleMin .* for options.scaleMax but received 1.1/,
    },
    {
      name: 'misspelt option',
      run: () => createAugmenter({ transposeProb: 0.1 } as Partial<AugmentOptions>),
      message: /Expected a field of AugmentOptions for options.transposeProb but received 0.1/,
    },
    {
      name: 'not an image',
      run: () => augmentRandom(null as unknown as GrayImage, createRng(1)),
      message: /Expected a GrayImage .* for image but received null/,
    },
  ];
  test.each(cases)('$name', ({ run, message }) => {
    expect(run).toThrow(message);
  });
});
