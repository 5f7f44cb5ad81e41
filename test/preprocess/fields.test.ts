import { describe, expect, test } from 'vitest';
import {
  cellImage,
  defaultFieldOptions,
  findFields,
  readFields,
  splitDigitBox,
  type FieldScan,
} from '../../preprocess/fields.ts';
import type { GrayImage } from '../../preprocess/image.ts';
import type { Box } from '../../preprocess/locate.ts';
import { createRng } from '../../preprocess/random.ts';
import {
  createPaper,
  drawLine,
  drawRect,
  pasteDigit,
  pasteDigitInBox,
  pasteString,
  photograph,
  renderScene,
} from '../../preprocess/synth.ts';
import { oneOfEach } from '../mnist-sample.ts';

const DIGITS = oneOfEach();
const LINE = { thickness: 2, darkness: 0.75 };

/** Cells of a comb: n boxes of w x h side by side from (x, y). */
function comb(x: number, y: number, n: number, w: number, h: number): Box[] {
  return Array.from({ length: n }, (_, i) => ({ x: x + i * w, y, width: w, height: h }));
}

function drawComb(page: GrayImage, cells: Box[]): void {
  for (const c of cells) drawRect(page, c, LINE);
}

/** Scanner-like finish: a little blur and noise, 8-bit levels. */
function scan(page: GrayImage, seed = 1): GrayImage {
  photograph(page, { blur: 0.6, noise: 0.01, quantize: true }, createRng(seed));
  return page;
}

/** Rotates a page about its centre (bilinear, paper fill): a skewed scan. */
function skew(page: GrayImage, degrees: number, fill = 0.9): GrayImage {
  const { width: W, height: H, data } = page;
  const t = (degrees * Math.PI) / 180;
  const out = new Float32Array(W * H).fill(fill);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const dx = x - W / 2;
      const dy = y - H / 2;
      const sx = Math.cos(t) * dx - Math.sin(t) * dy + W / 2;
      const sy = Math.sin(t) * dx + Math.cos(t) * dy + H / 2;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 >= W - 1 || y0 >= H - 1) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const i = y0 * W + x0;
      out[y * W + x] =
        (data[i] * (1 - fx) + data[i + 1] * fx) * (1 - fy) +
        (data[i + W] * (1 - fx) + data[i + W + 1] * fx) * fy;
    }
  }
  return { width: W, height: H, data: out };
}

/** Every found cell, in order, as [x, y, width, height]. */
function cellsOf(s: FieldScan): number[][] {
  return s.fields.flatMap((f) => f.cells.map((c) => [c.box.x, c.box.y, c.box.width, c.box.height]));
}

function near(found: Box, want: Box, tolerance: number): boolean {
  return (
    Math.abs(found.x - want.x) <= tolerance &&
    Math.abs(found.y - want.y) <= tolerance &&
    Math.abs(found.x + found.width - (want.x + want.width)) <= tolerance &&
    Math.abs(found.y + found.height - (want.y + want.height)) <= tolerance
  );
}

describe('findFields', () => {
  test('a comb of cells and a box without separators, in reading order', () => {
    const page = createPaper(640, 420, 0.9);
    const cells = comb(120, 60, 5, 70, 80);
    drawComb(page, cells);
    const box = { x: 120, y: 240, width: 320, height: 80 };
    drawRect(page, box, LINE);
    pasteDigitInBox(page, DIGITS[3].image, cells[1], { fill: 0.7 });
    pasteString(page, [DIGITS[4].image, DIGITS[2].image], { x: 180, cy: 280, height: 45 }, createRng(2));
    const s = findFields(scan(page));
    expect(s.polarity).toBe('dark-on-light');
    expect(s.fields).toHaveLength(2);
    expect(s.fields[0].cells).toHaveLength(5);
    expect(s.fields[1].cells).toHaveLength(1);
    // Cells are the insides of the printed boxes: within a few pixels of them, lines excluded.
    s.fields[0].cells.forEach((c, i) => expect(near(c.box, cells[i], 5), JSON.stringify(c.box)).toBe(true));
    expect(near(s.fields[1].cells[0].box, box, 5)).toBe(true);
    expect(near(s.fields[0].box, { x: 120, y: 60, width: 350, height: 80 }, 6)).toBe(true);
  });

  test('skewed by 3 degrees, the cells are still found', () => {
    const page = createPaper(640, 420, 0.9);
    drawComb(page, comb(150, 150, 6, 60, 75));
    const s = findFields(scan(skew(page, 3)));
    expect(s.fields).toHaveLength(1);
    expect(s.fields[0].cells).toHaveLength(6);
    for (const c of s.fields[0].cells) {
      expect(c.box.width).toBeGreaterThan(50);
      expect(c.box.height).toBeGreaterThan(65);
    }
  });

  test('a digit written across the box line does not open the cell', () => {
    const page = createPaper(500, 300, 0.9);
    const cells = comb(100, 100, 3, 80, 90);
    drawComb(page, cells);
    // An 8 whose top loop lies on the top line for a good part of the cell's width.
    pasteDigit(page, DIGITS[8].image, { cx: 140, cy: 120, scale: 3.4, rotation: 0, darkness: 0.9 });
    const s = findFields(scan(page));
    expect(s.fields).toHaveLength(1);
    expect(s.fields[0].cells).toHaveLength(3);
  });

  test('loops of digits written with a thin pen are neither cells nor outlines', () => {
    const page = createPaper(500, 300, 0.9);
    const cells = comb(100, 100, 2, 80, 90);
    drawComb(page, cells);
    const pen = { thickness: 2, darkness: 0.8 };
    // A thin 0 inside the first cell and an 8 outside any box: closed curves of thin ink.
    const ellipse = (cx: number, cy: number, rx: number, ry: number) => {
      for (let k = 0; k < 48; k++) {
        const a = (k / 48) * 2 * Math.PI;
        const b = ((k + 1) / 48) * 2 * Math.PI;
        drawLine(
          page,
          cx + rx * Math.cos(a),
          cy + ry * Math.sin(a),
          cx + rx * Math.cos(b),
          cy + ry * Math.sin(b),
          pen,
        );
      }
    };
    ellipse(140, 145, 18, 30);
    ellipse(380, 120, 14, 16);
    ellipse(380, 152, 16, 16);
    const s = findFields(scan(page));
    expect(cellsOf(s)).toHaveLength(2);
    s.fields[0].cells.forEach((c, i) => expect(near(c.box, cells[i], 5)).toBe(true));
  });

  test('an outline drawn around fields is not a cell; the fields inside it are', () => {
    const page = createPaper(640, 480, 0.9);
    drawRect(page, { x: 40, y: 40, width: 560, height: 400 }, LINE);
    drawComb(page, comb(100, 100, 3, 70, 80));
    drawComb(page, comb(100, 280, 2, 70, 80));
    const s = findFields(scan(page));
    expect(cellsOf(s)).toHaveLength(5);
    expect(s.fields.map((f) => f.cells.length)).toEqual([3, 2]);
  });

  test.each([
    { name: 'a blank page', make: () => createPaper(400, 300, 0.9) },
    {
      name: 'an underline and a signature rule',
      make: () => {
        const p = createPaper(600, 400, 0.9);
        drawLine(p, 40, 60, 560, 60, LINE);
        drawLine(p, 40, 340, 300, 340, LINE);
        return p;
      },
    },
    {
      name: 'squared paper with a digit (ruling runs off the picture)',
      make: () =>
        renderScene(
          { digits: [{ ink: DIGITS[5].image }], ruled: 1, grid: 1, shadow: 0, gradient: [0, 0.1] },
          createRng(7),
        ).image,
    },
  ])('no fields on $name', ({ make }) => {
    expect(findFields(scan(make())).fields).toEqual([]);
  });

  test('light-on-dark pages work the same way', () => {
    const page = createPaper(500, 300, 0.9);
    drawComb(page, comb(100, 100, 4, 70, 80));
    const img = scan(page);
    const inverted = { ...img, data: img.data.map((v) => 1 - v) };
    const s = findFields(inverted);
    expect(s.polarity).toBe('light-on-dark');
    expect(cellsOf(s)).toHaveLength(4);
  });
});

describe('readFields', () => {
  test('one digit per comb cell, empty cells give none, a wide box gives its string', () => {
    const page = createPaper(640, 420, 0.9);
    const cells = comb(120, 60, 4, 70, 80);
    drawComb(page, cells);
    pasteDigitInBox(page, DIGITS[7].image, cells[0], { fill: 0.7 });
    pasteDigitInBox(page, DIGITS[1].image, cells[2], { fill: 0.7 });
    pasteDigitInBox(page, DIGITS[0].image, cells[3], { fill: 0.7 });
    const box = { x: 120, y: 240, width: 340, height: 90 };
    drawRect(page, box, LINE);
    const inks = pasteString(
      page,
      [DIGITS[2].image, DIGITS[6].image, DIGITS[9].image],
      { x: 170, cy: 285, height: 50, gap: [0.3, 0.3], rotation: 0, jitter: 0 },
      createRng(3),
    );
    const r = readFields(scan(page));
    expect(r.fields).toHaveLength(2);
    const [first, second] = r.fields;
    expect(first.digits.map((d) => d.cell)).toEqual([0, 2, 3]);
    for (const d of first.digits) {
      const c = first.cells[d.cell];
      // The digit's box lies inside its cell, and its pixels are an MNIST digit (28 x 28, ink up to 1).
      expect(d.box.x).toBeGreaterThanOrEqual(c.x - 2);
      expect(d.box.x + d.box.width).toBeLessThanOrEqual(c.x + c.width + 2);
      expect(d.pixels).toHaveLength(784);
      expect(Math.max(...d.pixels)).toBeCloseTo(1, 1);
    }
    expect(second.digits).toHaveLength(3);
    second.digits.forEach((d, i) => {
      const cx = d.box.x + d.box.width / 2;
      expect(cx).toBeGreaterThan(inks[i].x);
      expect(cx).toBeLessThan(inks[i].x + inks[i].width);
    });
  });

  test('cellImage blanks the printed lines out of a cell', () => {
    const page = scan(createPaper(300, 200, 0.9));
    drawComb(page, comb(100, 50, 1, 80, 90));
    const s = findFields(scan(page));
    const { image: img, pad } = cellImage(page, s.fields[0].cells[0]);
    expect(pad).toBe(4);
    // Nothing left as dark as the printed line (paper ~0.9, line ~0.25).
    expect(Math.min(...img.data)).toBeGreaterThan(0.7);
  });
});

describe('splitDigitBox', () => {
  test('cuts two touching digits into two, left to right', () => {
    const page = createPaper(300, 160, 0.9);
    const boxes = pasteString(
      page,
      [DIGITS[2].image, DIGITS[3].image],
      { x: 60, cy: 80, height: 60, touching: true, rotation: 0, jitter: 0 },
      createRng(4),
    );
    const union = {
      x: boxes[0].x,
      y: Math.min(boxes[0].y, boxes[1].y),
      width: boxes[1].x + boxes[1].width - boxes[0].x,
      height:
        Math.max(boxes[0].y + boxes[0].height, boxes[1].y + boxes[1].height) -
        Math.min(boxes[0].y, boxes[1].y),
    };
    const parts = splitDigitBox(scan(page), union, 2, 'dark-on-light');
    expect(parts).not.toBeNull();
    expect(parts).toHaveLength(2);
    const [a, b] = parts!;
    expect(a.box.x + a.box.width / 2).toBeLessThan(b.box.x + b.box.width / 2);
    expect(Math.abs(a.box.x + a.box.width / 2 - (boxes[0].x + boxes[0].width / 2))).toBeLessThan(12);
    expect(Math.abs(b.box.x + b.box.width / 2 - (boxes[1].x + boxes[1].width / 2))).toBeLessThan(12);
  });

  test('a piece with no digit in it gives null', () => {
    const page = createPaper(200, 160, 0.9);
    const box = pasteDigit(page, DIGITS[1].image, { cx: 100, cy: 80, scale: 3, rotation: 0, darkness: 0.9 });
    // A 1 cut in three: the outer pieces are paper.
    expect(
      splitDigitBox(scan(page), { ...box, x: box.x - 40, width: box.width + 80 }, 3, 'dark-on-light'),
    ).toBeNull();
  });
});

describe('options', () => {
  test('defaults', () => {
    expect(defaultFieldOptions).toMatchObject({
      polarity: 'auto',
      minCellSize: 0,
      analysisScale: 0,
      maxFrameArea: 0.4,
    });
  });

  test.each([
    {
      options: { polarity: 'dark' },
      message: /Expected 'auto', 'dark-on-light' or 'light-on-dark' for options.polarity/,
    },
    { options: { minCellSize: 2 }, message: /for options.minCellSize but received 2/ },
    {
      options: { analysisScale: 1.5 },
      message: /Expected an integer in \[0, 16\] for options.analysisScale/,
    },
    { options: { maxFrameArea: 2 }, message: /for options.maxFrameArea but received 2/ },
    { options: { locate: null }, message: /Expected an object for options.locate but received null/ },
  ])('rejects $options', ({ options, message }) => {
    expect(() => findFields(createPaper(50, 50), options as never)).toThrow(message);
  });

  test('rejects a bad image and a bad split count', () => {
    expect(() => findFields({ width: 2, height: 2, data: new Float32Array(3) })).toThrow(/data.length/);
    expect(() =>
      splitDigitBox(createPaper(50, 50), { x: 0, y: 0, width: 10, height: 10 }, 1, 'dark-on-light'),
    ).toThrow(/Expected an integer in \[2, 10\] for parts but received 1/);
  });
});
