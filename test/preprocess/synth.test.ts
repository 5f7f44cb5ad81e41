import { describe, expect, test } from 'vitest';
import type { GrayImage } from '../../preprocess/image.ts';
import type { Box } from '../../preprocess/locate.ts';
import { createRng } from '../../preprocess/random.ts';
import {
  blurImage,
  createPaper,
  drawLine,
  drawRect,
  pasteDigitInBox,
  pasteString,
  photograph,
  renderScene,
  renderString,
  type SceneOptions,
} from '../../preprocess/synth.ts';
import { oneOfEach } from '../mnist-sample.ts';

const digits = oneOfEach();

/** Darkest value inside a box. */
function darkest(image: GrayImage, b: Box): number {
  let m = 1;
  for (let y = b.y; y < b.y + b.height; y++) {
    for (let x = b.x; x < b.x + b.width; x++) m = Math.min(m, image.data[y * image.width + x]);
  }
  return m;
}

const inside = (b: Box, outer: Box): boolean =>
  b.x >= outer.x &&
  b.y >= outer.y &&
  b.x + b.width <= outer.x + outer.width &&
  b.y + b.height <= outer.y + outer.height;

describe('renderScene', () => {
  const options: Partial<SceneOptions> = {
    digits: digits.slice(0, 5).map((d) => ({ ink: d.image, label: d.label })),
  };

  test('is reproducible from its seed, and differs between seeds', () => {
    const a = renderScene(options, createRng(5));
    const b = renderScene(options, createRng(5));
    const c = renderScene(options, createRng(6));
    expect(a.image.data).toEqual(b.image.data);
    expect(a.digits).toEqual(b.digits);
    expect(c.image.data).not.toEqual(a.image.data);
  });

  test.each<{ name: string; extra: Partial<SceneOptions> }>([
    { name: 'defaults', extra: {} },
    { name: 'large digits on a small page', extra: { width: 200, height: 150, scale: [10, 12] } },
    { name: 'ruled paper with a shadow', extra: { ruled: 1, shadow: 1 } },
  ])('$name: truth boxes lie on the page, hold dark ink and do not overlap', ({ extra }) => {
    const scene = renderScene({ ...options, ...extra }, createRng(7));
    const page = { x: 0, y: 0, width: scene.image.width, height: scene.image.height };
    expect(scene.digits.map((d) => d.label)).toEqual(digits.slice(0, 5).map((d) => d.label));
    for (const d of scene.digits) {
      expect(d.box.width).toBeGreaterThan(0);
      expect(inside(d.box, page)).toBe(true);
      expect(darkest(scene.image, d.box)).toBeLessThan(0.5);
    }
    if (!extra.scale) {
      for (const [i, a] of scene.digits.entries()) {
        for (const b of scene.digits.slice(i + 1)) {
          const apart =
            a.box.x + a.box.width <= b.box.x ||
            b.box.x + b.box.width <= a.box.x ||
            a.box.y + a.box.height <= b.box.y ||
            b.box.y + b.box.height <= a.box.y;
          expect(apart).toBe(true);
        }
      }
    }
  });

  test('a digit with a fixed place and size lands there', () => {
    const scene = renderScene(
      {
        digits: [{ ink: digits[0].image, cx: 100, cy: 80, scale: 4, rotation: 0 }],
        noise: [0, 0],
        blur: [0, 0],
      },
      createRng(1),
    );
    const { box } = scene.digits[0];
    expect(Math.abs(box.x + box.width / 2 - 100)).toBeLessThan(20);
    expect(Math.abs(box.y + box.height / 2 - 80)).toBeLessThan(20);
    expect(box.height).toBeGreaterThan(60);
    expect(box.height).toBeLessThanOrEqual(4 * 28);
  });

  test('values stay in [0, 1] and are 8-bit levels when quantised', () => {
    const { image } = renderScene({ ...options, noise: [0.1, 0.1] }, createRng(2));
    for (const v of image.data) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
      expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-3);
    }
  });

  test.each<{ name: string; options: unknown; message: RegExp }>([
    {
      name: 'zero width',
      options: { width: 0 },
      message: /Expected an integer in \[1, 10000\] for options.width but received 0/,
    },
    {
      name: 'reversed range',
      options: { scale: [5, 2] },
      message: /Expected a finite number in \[5, 100\] for options.scale\[1\] but received 2/,
    },
    {
      name: 'bad digit image',
      options: { digits: [{ ink: { width: 2, height: 2, data: new Float32Array(3) } }] },
      message: /Expected length 4 \(width \* height\) for options.digits\[0\].ink.data.length but received 3/,
    },
  ])('rejects $name', ({ options, message }) => {
    expect(() => renderScene(options as Partial<SceneOptions>, createRng(1))).toThrow(message);
  });
});

describe('renderString and pasteString', () => {
  test('digits come left to right in order, at the requested height', () => {
    const scene = renderString(
      { digits: [3, 1, 4].map((l) => ({ ink: digits[l].image, label: l })), layout: { height: 80 } },
      createRng(3),
    );
    expect(scene.digits.map((d) => d.label)).toEqual([3, 1, 4]);
    for (let i = 1; i < 3; i++) expect(scene.digits[i].box.x).toBeGreaterThan(scene.digits[i - 1].box.x);
    for (const d of scene.digits) expect(d.box.height).toBeGreaterThan(60);
  });

  test('touching digits overlap their neighbours', () => {
    const page = createPaper(400, 200);
    const boxes = pasteString(
      page,
      [digits[0].image, digits[0].image, digits[8].image],
      { x: 20, cy: 100, height: 80, touching: true, jitter: 0, rotation: 0 },
      createRng(4),
    );
    for (let i = 1; i < boxes.length; i++)
      expect(boxes[i].x).toBeLessThan(boxes[i - 1].x + boxes[i - 1].width);
  });
});

describe('drawing helpers', () => {
  test('drawLine darkens the pixels along the line only', () => {
    const page = createPaper(50, 30, 0.9);
    drawLine(page, 5, 10.5, 45, 10.5, { thickness: 2, darkness: 0.5 });
    expect(page.data[10 * 50 + 25]).toBeCloseTo(0.45, 2);
    expect(page.data[20 * 50 + 25]).toBe(Math.fround(0.9));
    expect(page.data[10 * 50 + 2]).toBe(Math.fround(0.9));
  });

  test('pasteDigitInBox keeps the digit inside a printed box', () => {
    const page = createPaper(200, 120, 0.95);
    const box = { x: 40, y: 20, width: 60, height: 80 };
    drawRect(page, box, { thickness: 1.5, darkness: 0.7 });
    const ink = pasteDigitInBox(page, digits[2].image, box, { fill: 0.7 });
    expect(inside(ink, box)).toBe(true);
    expect(Math.max(ink.width / box.width, ink.height / box.height)).toBeGreaterThan(0.6);
  });

  test('photograph without effects leaves the page as it is; blur keeps the mean', () => {
    const page = createPaper(40, 40, 0.8);
    drawLine(page, 0, 20, 40, 20, { thickness: 3, darkness: 0.9 });
    const before = page.data.slice();
    photograph(page, {}, createRng(1));
    expect(page.data).toEqual(before);
    const mean = (d: Float32Array): number => d.reduce((a, b) => a + b, 0) / d.length;
    blurImage(page, 2);
    expect(mean(page.data)).toBeCloseTo(mean(before), 2);
  });

  test('drawLine rejects a bad style', () => {
    expect(() => drawLine(createPaper(4, 4), 0, 0, 3, 3, { thickness: 0, darkness: 1 })).toThrow(
      /Expected a finite number in \[0.1, 1000\] for style.thickness but received 0/,
    );
  });
});
