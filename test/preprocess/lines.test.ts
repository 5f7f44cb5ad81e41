import { describe, expect, test } from 'vitest';
import type { BinaryImage } from '../../preprocess/binarize.ts';
import { removeLines } from '../../preprocess/lines.ts';

const W = 240;
const H = 180;

function blank(): BinaryImage {
  return { width: W, height: H, data: new Uint8Array(W * H) };
}

function rect(m: BinaryImage, x0: number, y0: number, x1: number, y1: number): void {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m.data[y * m.width + x] = 1;
}

/** A line from (x0, y0) to (x1, y1), `t` pixels thick across it. */
function line(m: BinaryImage, x0: number, y0: number, x1: number, y1: number, t: number): void {
  const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
  const horizontal = Math.abs(x1 - x0) >= Math.abs(y1 - y0);
  for (let k = 0; k <= n; k++) {
    const x = Math.round(x0 + ((x1 - x0) * k) / n);
    const y = Math.round(y0 + ((y1 - y0) * k) / n);
    for (let d = 0; d < t; d++) {
      const xx = horizontal ? x : x + d;
      const yy = horizontal ? y + d : y;
      if (xx >= 0 && xx < m.width && yy >= 0 && yy < m.height) m.data[yy * m.width + xx] = 1;
    }
  }
}

const count = (m: BinaryImage, x0: number, y0: number, x1: number, y1: number): number => {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) n += m.data[y * m.width + x];
  return n;
};

/** A "digit": a vertical stroke 6 px wide from y 40 to 110, and a short thick bar at its top. */
function digit(m: BinaryImage): void {
  rect(m, 100, 40, 106, 110);
  rect(m, 90, 40, 115, 46);
}

describe('removeLines', () => {
  test.each<{ name: string; draw: (m: BinaryImage) => void }>([
    { name: 'ruled paper', draw: (m) => [30, 60, 90, 120, 150].forEach((y) => line(m, 0, y, W - 1, y, 2)) },
    {
      name: 'tilted ruling (3 degrees)',
      draw: (m) => [30, 80, 130].forEach((y) => line(m, 0, y, W - 1, y + 12, 2)),
    },
    {
      name: 'squared paper',
      draw: (m) => {
        for (let y = 20; y < H; y += 40) line(m, 0, y, W - 1, y, 1);
        for (let x = 30; x < W; x += 40) line(m, x, 0, x, H - 1, 1);
      },
    },
    {
      name: 'dashed line',
      draw: (m) => {
        for (let x = 0; x < W; x += 12) rect(m, x, 75, Math.min(W, x + 10), 77);
      },
    },
  ])('$name: lines go, the digit stays', ({ draw }) => {
    const m = blank();
    draw(m);
    const before = blank();
    digit(before);
    digit(m);
    const { mask, removed } = removeLines(m);
    expect(removed).toBeGreaterThan(0);
    // Every pixel of the digit survives, including where the stroke crosses a line.
    for (let i = 0; i < before.data.length; i++) if (before.data[i]) expect(mask.data[i]).toBe(1);
    // Away from the digit, (almost) nothing is left of the lines: at most the odd crossing pixel.
    const left = count(mask, 0, 0, W, H) - count(before, 0, 0, W, H);
    expect(left).toBeLessThanOrEqual(8);
  });

  test('a stroke crossing a line keeps the ink where they cross', () => {
    const m = blank();
    line(m, 0, 70, W - 1, 70, 2);
    rect(m, 120, 40, 125, 110);
    const { mask } = removeLines(m);
    expect(count(mask, 120, 70, 125, 72)).toBe(10);
    expect(count(mask, 0, 70, 110, 72)).toBe(0);
    expect(count(mask, 135, 70, W, 72)).toBe(0);
  });

  test.each<{ name: string; draw: (m: BinaryImage) => void }>([
    { name: 'no ink', draw: () => {} },
    { name: 'a digit alone', draw: digit },
    { name: 'a short horizontal stroke', draw: (m) => rect(m, 50, 50, 110, 53) },
    { name: 'a thick horizontal band (a shadow, not a ruling)', draw: (m) => rect(m, 0, 50, W, 70) },
  ])('$name: nothing is removed', ({ draw }) => {
    const m = blank();
    draw(m);
    const { mask, removed } = removeLines(m);
    expect(removed).toBe(0);
    expect(mask.data).toEqual(m.data);
  });

  test('options narrow the search', () => {
    const m = blank();
    line(m, 0, 60, W - 1, 60, 2);
    line(m, 60, 0, 60, H - 1, 2);
    expect(removeLines(m, { vertical: false }).mask.data[100 * W + 60]).toBe(1);
    expect(removeLines(m, { horizontal: false }).mask.data[60 * W + 150]).toBe(1);
    expect(removeLines(m, { minLength: W + 1 }).removed).toBe(0);
  });

  test.each<{ name: string; options: object; message: RegExp }>([
    {
      name: 'negative minLength',
      options: { minLength: -1 },
      message: /Expected an integer >= 0 for options.minLength/,
    },
    {
      name: 'NaN gap',
      options: { gap: NaN },
      message: /Expected an integer in \[0, 64\] for options.gap but received NaN/,
    },
    { name: 'string flag', options: { vertical: 'yes' }, message: /Expected a boolean for options.vertical/ },
  ])('rejects $name', ({ options, message }) => {
    expect(() => removeLines(blank(), options)).toThrow(message);
  });
});
