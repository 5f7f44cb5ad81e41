import { describe, expect, test } from 'vitest';
import {
  backgroundAt,
  binarize,
  detectPagePolarity,
  inkContrast,
  type BinarizeOptions,
} from '../../preprocess/binarize.ts';
import { thicken } from '../../preprocess/augment.ts';
import { invert, type GrayImage } from '../../preprocess/image.ts';
import { createRng } from '../../preprocess/random.ts';
import { createPaper, drawLine, photograph, type PhotoOptions } from '../../preprocess/synth.ts';
import { readMnistTest } from '../mnist-sample.ts';

const W = 320;
const H = 240;

/** Paper with a few pen strokes (3 px wide); returns the page and the stroke cores as truth. */
function strokes(): { page: GrayImage; core: Uint8Array; near: Uint8Array } {
  const clean = createPaper(W, H, 0.9);
  const segments = [
    [40, 40, 60, 200],
    [60, 200, 120, 200],
    [150, 50, 150, 190],
    [200, 60, 280, 60],
    [280, 60, 210, 190],
    [240, 120, 300, 210],
  ];
  for (const [x0, y0, x1, y1] of segments) drawLine(clean, x0, y0, x1, y1, { thickness: 3, darkness: 0.85 });
  const core = new Uint8Array(W * H);
  const near = new Uint8Array(W * H);
  for (let i = 0; i < core.length; i++) core[i] = clean.data[i] < 0.9 * (1 - 0.6 * 0.85) ? 1 : 0;
  // Pixels within 3 px of any ink: the blurred edge, where either answer is fine.
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (clean.data[y * W + x] > 0.89) continue;
      for (let dy = -3; dy <= 3; dy++) {
        for (let dx = -3; dx <= 3; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < H && xx >= 0 && xx < W) near[yy * W + xx] = 1;
        }
      }
    }
  }
  return { page: clean, core, near };
}

/**
 * Recall of the stroke cores, and the share of paper (away from strokes and from the page border) taken
 * for ink. The border is left out: a wedge of shadow in a corner, narrower than the background window,
 * does look like ink to binarize (locate drops such blobs by their contact with the border).
 */
function score(mask: Uint8Array, core: Uint8Array, near: Uint8Array): { recall: number; falseRate: number } {
  let hit = 0;
  let cores = 0;
  let false_ = 0;
  let paper = 0;
  const margin = 24;
  for (let i = 0; i < mask.length; i++) {
    const x = i % W;
    const y = (i / W) | 0;
    if (core[i]) {
      cores++;
      hit += mask[i];
    } else if (!near[i] && x >= margin && y >= margin && x < W - margin && y < H - margin) {
      paper++;
      false_ += mask[i];
    }
  }
  return { recall: hit / cores, falseRate: false_ / paper };
}

describe('binarize', () => {
  test('the noise estimate ignores the ink, however much of the crop it covers', () => {
    // MNIST digits cropped tight (2 px margin) and scaled up, plain and in a bold pen: paper noise 0.01.
    const estimate = (radius: number) => {
      let sum = 0;
      const digits = readMnistTest(20);
      for (const d of digits) {
        const ink = radius ? thicken(d.image, { radius }) : d.image;
        const size = 80;
        const rng = createRng(d.index);
        const data = new Float32Array(size * size);
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            const v = ink.data[Math.round(2 + (y / size) * 24) * 28 + Math.round(2 + (x / size) * 24)];
            data[y * size + x] = 0.9 - 0.8 * v + 0.01 * rng.normal();
          }
        }
        sum += binarize({ width: size, height: size, data }, { polarity: 'dark-on-light' }).noise;
      }
      return sum / digits.length / 0.01;
    };
    // A plain MAD of all pixels read 1.7x and 5x the true noise here, and the bold digits vanished.
    expect(estimate(0)).toBeLessThan(1.3);
    expect(estimate(1)).toBeLessThan(3);
  });

  test.each<{ name: string; photo: Partial<PhotoOptions>; seed: number }>([
    { name: 'even light', photo: { noise: 0.02, blur: 0.7 }, seed: 1 },
    { name: 'strong gradient (60 % drop)', photo: { gradient: 0.6, noise: 0.02, blur: 0.7 }, seed: 2 },
    { name: 'strong vignetting', photo: { vignette: 0.5, noise: 0.02 }, seed: 3 },
    { name: 'hard shadow', photo: { shadowDepth: 0.5, shadowSoftness: 1, noise: 0.02 }, seed: 4 },
    {
      name: 'soft shadow and gradient',
      photo: { shadowDepth: 0.45, shadowSoftness: 25, gradient: 0.4 },
      seed: 5,
    },
    { name: 'heavy noise', photo: { noise: 0.06, blur: 1 }, seed: 6 },
  ])('$name: finds the strokes, not the light', ({ photo, seed }) => {
    const { page, core, near } = strokes();
    photograph(page, { quantize: true, ...photo }, createRng(seed));
    const b = binarize(page);
    expect(b.polarity).toBe('dark-on-light');
    expect(b.blank).toBe(false);
    const { recall, falseRate } = score(b.mask.data, core, near);
    expect(recall).toBeGreaterThan(0.97);
    expect(falseRate).toBeLessThan(0.002);
  });

  test('a global threshold fails where binarize does not (the gradient case is hard)', () => {
    const { page, core, near } = strokes();
    photograph(page, { gradient: 0.6, noise: 0.02 }, createRng(2));
    let mean = 0;
    for (const v of page.data) mean += v;
    mean /= page.data.length;
    const global = Uint8Array.from(page.data, (v) => (v < mean - 0.1 ? 1 : 0));
    const g = score(global, core, near);
    expect(g.falseRate > 0.05 || g.recall < 0.9).toBe(true);
  });

  test('light ink on a dark board', () => {
    const { page, core, near } = strokes();
    photograph(page, { gradient: 0.3, noise: 0.02 }, createRng(7));
    const board = invert(page);
    expect(detectPagePolarity(board)).toBe('light-on-dark');
    const b = binarize(board);
    expect(b.polarity).toBe('light-on-dark');
    const { recall, falseRate } = score(b.mask.data, core, near);
    expect(recall).toBeGreaterThan(0.97);
    expect(falseRate).toBeLessThan(0.002);
  });

  test('polarity survives a shadow over half the page', () => {
    const { page } = strokes();
    photograph(page, { shadowDepth: 0.5, shadowSoftness: 2 }, createRng(8));
    expect(detectPagePolarity(page)).toBe('dark-on-light');
  });

  test.each<{ name: string; make: () => GrayImage }>([
    { name: 'blank paper', make: () => createPaper(W, H, 0.9) },
    {
      name: 'noise only',
      make: () => {
        const p = createPaper(W, H, 0.8);
        photograph(p, { noise: 0.08 }, createRng(9));
        return p;
      },
    },
    {
      name: 'gradient, vignetting and a soft shadow only',
      make: () => {
        const p = createPaper(W, H, 0.9);
        photograph(
          p,
          { gradient: 0.6, vignette: 0.3, shadowDepth: 0.4, shadowSoftness: 30, noise: 0.01 },
          createRng(10),
        );
        return p;
      },
    },
  ])('$name: no ink', ({ make }) => {
    const b = binarize(make());
    let ink = 0;
    for (const v of b.mask.data) ink += v;
    // On heavy noise the odd pixel passes (isolated specks, which locate drops), never a stroke's worth.
    expect(ink).toBeLessThan(0.002 * W * H);
  });

  test('the contrast map matches the paper level backgroundAt interpolates', () => {
    const { page } = strokes();
    photograph(page, { gradient: 0.5, noise: 0.01 }, createRng(11));
    const b = binarize(page);
    for (const [x, y] of [
      [0, 0],
      [17, 93],
      [160, 120],
      [W - 1, H - 1],
      [301, 7],
    ]) {
      const expected = inkContrast(page.data[y * W + x], backgroundAt(b.background, x, y), true);
      // binarize walks the reciprocal of the paper level linearly between block centres: close, not equal.
      expect(b.contrast[y * W + x]).toBeCloseTo(expected, 2);
    }
  });

  test.each<{ name: string; image: unknown; options?: Partial<BinarizeOptions>; message: RegExp }>([
    {
      name: 'NaN pixel',
      image: { width: 2, height: 2, data: Float32Array.from([0, NaN, 0, 0]) },
      message: /Expected finite values for image.data\[1\] but received NaN/,
    },
    {
      name: 'wrong data length',
      image: { width: 2, height: 2, data: new Float32Array(3) },
      message: /Expected length 4 \(width \* height\) for image.data.length but received 3/,
    },
    {
      name: 'empty image',
      image: { width: 0, height: 0, data: new Float32Array(0) },
      message: /Expected an integer >= 1 for image.width but received 0/,
    },
    {
      name: 'bad polarity',
      image: createPaper(8, 8),
      options: { polarity: 'dark' as never },
      message: /Expected 'auto', 'dark-on-light' or 'light-on-dark' for options.polarity but received "dark"/,
    },
    {
      name: 'contrast out of range',
      image: createPaper(8, 8),
      options: { minContrast: 2 },
      message: /Expected a finite number in \[0, 1\] for options.minContrast but received 2/,
    },
  ])('rejects $name', ({ image, options, message }) => {
    expect(() => binarize(image as GrayImage, options)).toThrow(message);
  });
});
