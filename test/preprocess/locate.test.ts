import { describe, expect, test } from 'vitest';
import { invert, type GrayImage } from '../../preprocess/image.ts';
import {
  locate,
  readingOrder,
  type Box,
  type LocatedDigit,
  type LocateOptions,
} from '../../preprocess/locate.ts';
import { createRng } from '../../preprocess/random.ts';
import {
  createPaper,
  drawLine,
  pasteDigit,
  photograph,
  renderScene,
  renderString,
  type SceneOptions,
} from '../../preprocess/synth.ts';
import { oneOfEach, readMnistTest } from '../mnist-sample.ts';

const digits = oneOfEach();
const ink = (label: number): GrayImage => digits[label].image;

function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const i = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return i / (a.width * a.height + b.width * b.height - i);
}

function pearson(a: Float32Array, b: Float32Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i] / a.length;
    mb += b[i] / b.length;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Each truth box is matched by exactly one located digit (IoU >= 0.5), and nothing else is located. */
function expectMatches(found: LocatedDigit[], truths: Box[]): void {
  expect(found).toHaveLength(truths.length);
  for (const t of truths) {
    expect(found.filter((d) => iou(d.box, t) >= 0.5)).toHaveLength(1);
  }
}

/** A 28x28 ink image drawn from line segments (ink = 1 on 0): hand-made broken digits. */
function drawn(segments: number[][]): GrayImage {
  const paper = createPaper(28, 28, 1);
  for (const [x0, y0, x1, y1] of segments) drawLine(paper, x0, y0, x1, y1, { thickness: 2.5, darkness: 1 });
  return invert(paper);
}

/** A page holding one ink image at scale 5, lightly photographed. */
function page(image: GrayImage, seed = 1): GrayImage {
  const p = createPaper(300, 260, 0.9);
  pasteDigit(p, image, { cx: 150, cy: 130, scale: 5, rotation: 0, darkness: 0.85 });
  photograph(p, { noise: 0.01, blur: 0.8, quantize: true }, createRng(seed));
  return p;
}

describe('locate', () => {
  test.each<{ name: string; options: Partial<SceneOptions>; seed: number }>([
    { name: 'five digits, camera conditions', options: {}, seed: 1 },
    {
      name: 'five digits, hard shadow',
      options: { shadow: 1, shadowDepth: [0.4, 0.4], shadowSoftness: [1, 1] },
      seed: 2,
    },
    {
      name: 'five digits, strong gradient',
      options: { gradient: [0.5, 0.5], vignette: [0.2, 0.2] },
      seed: 3,
    },
    { name: 'five digits, ruled paper', options: { ruled: 1 }, seed: 4 },
    { name: 'five digits, squared paper', options: { ruled: 1, grid: 1 }, seed: 5 },
    { name: 'five small digits', options: { scale: [1.6, 2] }, seed: 6 },
    { name: 'two large digits', options: { scale: [7, 8] }, seed: 7 },
  ])('$name: finds every digit and nothing else', ({ options, seed }) => {
    const count = options.scale?.[0] === 7 ? 2 : 5;
    const scene = renderScene(
      { digits: [3, 1, 4, 5, 9].slice(0, count).map((l) => ({ ink: ink(l), label: l })), ...options },
      createRng(seed),
    );
    const result = locate(scene.image);
    expect(result.polarity).toBe('dark-on-light');
    expectMatches(
      result.digits,
      scene.digits.map((d) => d.box),
    );
    for (const d of result.digits) {
      expect(d.pixels).toHaveLength(784);
      expect(Math.min(...d.pixels)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...d.pixels)).toBeLessThanOrEqual(1);
      expect(d.quality).toBeGreaterThan(0.3);
      expect(d.quality).toBeLessThanOrEqual(1);
    }
  });

  test('normalised pixels look like the MNIST digit drawn', () => {
    const scene = renderScene({ digits: [{ ink: ink(7) }], rotation: 0, shadow: 0 }, createRng(11));
    const [d] = locate(scene.image).digits;
    expect(pearson(d.pixels, ink(7).data)).toBeGreaterThan(0.9);
  });

  test.each<{ name: string; segments: number[][] }>([
    // A 5 whose flag does not reach the body.
    {
      name: 'a 5 with a detached flag',
      segments: [
        [13, 6, 20, 6],
        [10, 8, 9, 14],
        [9, 14, 15, 13],
        [15, 13, 18, 17],
        [18, 17, 16, 21],
        [16, 21, 9, 22],
      ],
    },
    // A 4 whose crossbar stops short of the upright.
    {
      name: 'a 4 broken at the crossbar',
      segments: [
        [9, 5, 8, 15],
        [8, 15, 15, 15],
        [18, 5, 18, 23],
      ],
    },
    // A 1 with a gap in its stroke (a pen that skipped).
    {
      name: 'a 1 with a gap',
      segments: [
        [14, 4, 14, 11],
        [14, 14, 14, 24],
      ],
    },
  ])('$name is one digit', ({ segments }) => {
    const result = locate(page(drawn(segments)));
    expect(result.digits).toHaveLength(1);
  });

  test.each<{ name: string; labels: number[]; seed: number }>([
    { name: '0 touching 0', labels: [0, 0], seed: 1 },
    { name: '2 touching 3', labels: [2, 3], seed: 2 },
    { name: '3 touching 8', labels: [3, 8], seed: 38 },
    { name: '8 touching 6', labels: [8, 6], seed: 86 },
  ])('$name is split into two digits', ({ labels, seed }) => {
    const scene = renderString(
      {
        width: 400,
        height: 240,
        digits: labels.map((l) => ({ ink: ink(l), label: l })),
        layout: { height: 90, touching: true, rotation: 0, jitter: 0 },
        shadow: 0,
      },
      createRng(seed),
    );
    const result = locate(scene.image);
    expect(result.digits).toHaveLength(2);
    result.digits.forEach((d, i) => expect(iou(d.box, scene.digits[i].box)).toBeGreaterThan(0.5));
  });

  test('touching pairs of every two labels: most are split (a pair with a 1 is too narrow to tell)', () => {
    let split = 0;
    for (let a = 0; a < 10; a++) {
      for (let b = 0; b < 10; b++) {
        const scene = renderString(
          {
            width: 400,
            height: 240,
            digits: [a, b].map((l) => ({ ink: ink(l) })),
            layout: { height: 90, touching: true, rotation: 0, jitter: 0 },
            shadow: 0,
          },
          createRng(a * 10 + b),
        );
        const found = locate(scene.image).digits;
        expect(found.length).toBeGreaterThanOrEqual(1);
        expect(found.length).toBeLessThanOrEqual(2);
        if (found.length === 2) split++;
      }
    }
    // Measured 53 of 100; the misses are pairs with a 1 (too narrow) and pairs that overlap along a stroke.
    expect(split).toBeGreaterThanOrEqual(50);
  });

  test('a string of digits with gaps is one string, in order', () => {
    const scene = renderString(
      {
        width: 640,
        height: 240,
        digits: [1, 9, 8, 4].map((l) => ({ ink: ink(l), label: l })),
        layout: { height: 70, gap: [0.15, 0.3] },
      },
      createRng(21),
    );
    const result = locate(scene.image);
    expect(result.strings).toHaveLength(1);
    expectMatches(
      result.digits,
      scene.digits.map((d) => d.box),
    );
    result.digits.forEach((d, i) => expect(iou(d.box, scene.digits[i].box)).toBeGreaterThan(0.5));
  });

  test('reading order of a two-line layout: lines top to bottom, digits left to right', () => {
    // Given out of order; line 1 holds one number of three digits, line 2 two numbers far apart.
    const layout = [
      { l: 5, cx: 450, cy: 330 },
      { l: 2, cx: 180, cy: 125 },
      { l: 7, cx: 150, cy: 330 },
      { l: 1, cx: 100, cy: 120 },
      { l: 3, cx: 260, cy: 115 },
    ];
    const scene = renderScene(
      {
        digits: layout.map(({ l, cx, cy }) => ({ ink: ink(l), label: l, cx, cy, scale: 3, rotation: 0 })),
        shadow: 0,
      },
      createRng(31),
    );
    const result = locate(scene.image);
    const labelOf = (d: LocatedDigit): number => scene.digits.find((t) => iou(t.box, d.box) > 0.5)!.label!;
    expect(result.digits.map(labelOf)).toEqual([1, 2, 3, 7, 5]);
    expect(result.strings.map((s) => s.digits.map(labelOf))).toEqual([[1, 2, 3], [7], [5]]);
    // A string's box holds its digits.
    for (const s of result.strings) for (const d of s.digits) expect(iou(s.box, d.box)).toBeGreaterThan(0);
  });

  test('readingOrder groups by vertical overlap even when a line is slanted', () => {
    const mk = (x: number, y: number): LocatedDigit => ({
      box: { x, y, width: 20, height: 40 },
      pixels: new Float32Array(784),
      quality: 1,
    });
    const a = mk(0, 100);
    const b = mk(30, 110);
    const c = mk(60, 120);
    const d = mk(10, 200);
    expect(readingOrder([d, c, a, b]).map((s) => s.digits)).toEqual([[a, b, c], [d]]);
  });

  test.each<{ name: string; make: () => GrayImage }>([
    { name: 'blank page', make: () => createPaper(640, 480, 0.9) },
    { name: 'black page', make: () => createPaper(640, 480, 0) },
    {
      name: 'noise only',
      make: () => {
        const p = createPaper(640, 480, 0.8);
        photograph(p, { noise: 0.1, quantize: true }, createRng(1));
        return p;
      },
    },
    {
      name: 'gradient, vignetting and shadow only',
      make: () => {
        const p = createPaper(640, 480, 0.9);
        photograph(
          p,
          { gradient: 0.6, vignette: 0.3, shadowDepth: 0.45, shadowSoftness: 4, noise: 0.02, blur: 1 },
          createRng(2),
        );
        return p;
      },
    },
    {
      name: 'ruled paper without writing',
      make: () => renderScene({ ruled: 1, grid: 0.5, shadow: 0 }, createRng(3)).image,
    },
    { name: 'a tiny image', make: () => createPaper(3, 2, 0.5) },
  ])('$name: no digits', ({ make }) => {
    const result = locate(make());
    expect(result.digits).toEqual([]);
    expect(result.strings).toEqual([]);
  });

  test('light digits on a dark board are found like dark ones on paper', () => {
    const scene = renderScene({ digits: [2, 6, 0].map((l) => ({ ink: ink(l) })) }, createRng(41));
    const dark = locate(scene.image);
    const board = locate(invert(scene.image));
    expect(board.polarity).toBe('light-on-dark');
    expectMatches(
      board.digits,
      scene.digits.map((d) => d.box),
    );
    board.digits.forEach((d, i) => expect(pearson(d.pixels, dark.digits[i].pixels)).toBeGreaterThan(0.9));
  });

  test('options: polarity override, minDigitHeight, maxDigits', () => {
    const scene = renderScene(
      { digits: [3, 8, 1].map((l) => ({ ink: ink(l) })), scale: [3, 3] },
      createRng(51),
    );
    expect(locate(scene.image, { polarity: 'dark-on-light' }).digits).toHaveLength(3);
    expect(locate(scene.image, { minDigitHeight: 200 }).digits).toHaveLength(0);
    expect(locate(scene.image, { maxDigits: 2 }).digits).toHaveLength(2);
    // Full-resolution analysis finds the same digits.
    expect(locate(scene.image, { analysisScale: 1 }).digits).toHaveLength(3);
  });

  test('a digit photographed at the frame edge is still found; a frame-wide band is not', () => {
    const [d] = readMnistTest(1, 0);
    const p = createPaper(320, 240, 0.9);
    pasteDigit(p, d.image, { cx: 30, cy: 120, scale: 4, rotation: 0, darkness: 0.85 });
    // A dark desk edge along the bottom of the frame.
    for (let y = 215; y < 240; y++) for (let x = 0; x < 320; x++) p.data[y * 320 + x] *= 0.3;
    photograph(p, { noise: 0.01 }, createRng(61));
    const result = locate(p);
    expect(result.digits).toHaveLength(1);
    expect(result.digits[0].box.y + result.digits[0].box.height).toBeLessThan(215);
  });

  test.each<{ name: string; image: unknown; options?: unknown; message: RegExp }>([
    {
      name: 'NaN pixel',
      image: { width: 4, height: 2, data: Float32Array.from([0, 0, 0, 0, 0, NaN, 0, 0]) },
      message: /Expected finite values for image.data\[5\] but received NaN/,
    },
    {
      name: 'NaN pixel in a large image (checked on the shrunk copy)',
      image: (() => {
        const p = createPaper(640, 480, 0.9);
        p.data[1000] = NaN;
        return p;
      })(),
      message: /Expected finite values for image.data\[1000\] but received NaN/,
    },
    {
      name: 'wrong data length',
      image: { width: 4, height: 2, data: new Float32Array(7) },
      message: /Expected length 8 \(width \* height\) for image.data.length but received 7/,
    },
    {
      name: 'empty image',
      image: { width: 0, height: 0, data: new Float32Array(0) },
      message: /Expected an integer >= 1 for image.width but received 0/,
    },
    {
      name: 'not an image',
      image: 'page.png',
      message: /Expected a GrayImage \{width, height, data\} for image but received "page.png"/,
    },
    {
      name: 'bytes instead of floats',
      image: { width: 2, height: 2, data: new Uint8Array(4) },
      message: /Expected a Float32Array for image.data but received Uint8Array of length 4/,
    },
    {
      name: 'bad minDigitHeight',
      image: createPaper(8, 8),
      options: { minDigitHeight: -1 },
      message: /Expected a finite number >= 1 for options.minDigitHeight but received -1/,
    },
    {
      name: 'bad polarity',
      image: createPaper(8, 8),
      options: { polarity: 'inverted' },
      message:
        /Expected 'auto', 'dark-on-light' or 'light-on-dark' for options.polarity but received "inverted"/,
    },
    {
      name: 'bad nested binarize option',
      image: createPaper(8, 8),
      options: { binarize: { noiseFactor: NaN } },
      message: /Expected a finite number in \[0, 100\] for options.binarize.noiseFactor but received NaN/,
    },
    {
      name: 'bad analysisScale',
      image: createPaper(8, 8),
      options: { analysisScale: 1.5 },
      message: /Expected an integer in \[0, 64\] for options.analysisScale but received 1.5/,
    },
  ])('rejects $name', ({ image, options, message }) => {
    expect(() => locate(image as GrayImage, options as Partial<LocateOptions>)).toThrow(message);
  });
});
