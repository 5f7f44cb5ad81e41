import { describe, expect, test } from 'vitest';
import type { BinaryImage } from '../../preprocess/binarize.ts';
import { labelComponents, type Connectivity } from '../../preprocess/components.ts';

/** A binary image from rows of '#' (ink) and '.' (paper). */
function mask(rows: string[]): BinaryImage {
  const width = rows[0].length;
  const data = new Uint8Array(width * rows.length);
  rows.forEach((r, y) => [...r].forEach((c, x) => (data[y * width + x] = c === '#' ? 1 : 0)));
  return { width, height: rows.length, data };
}

describe('labelComponents', () => {
  test.each<{ name: string; rows: string[]; connectivity: Connectivity; count: number }>([
    { name: 'empty page', rows: ['....', '....'], connectivity: 8, count: 0 },
    { name: 'one pixel', rows: ['....', '.#..'], connectivity: 8, count: 1 },
    { name: 'two separate blobs', rows: ['##...', '##..#', '....#'], connectivity: 8, count: 2 },
    { name: 'diagonal touch, 8-connected', rows: ['#...', '.#..', '..#.'], connectivity: 8, count: 1 },
    { name: 'diagonal touch, 4-connected', rows: ['#...', '.#..', '..#.'], connectivity: 4, count: 3 },
    { name: 'anti-diagonal touch, 8-connected', rows: ['..#', '.#.', '#..'], connectivity: 8, count: 1 },
    // A U: the two arms get different provisional labels that the bottom row must unite.
    { name: 'U shape unites its arms', rows: ['#...#', '#...#', '#####'], connectivity: 8, count: 1 },
    { name: 'W shape unites three arms', rows: ['#.#.#', '#.#.#', '#####'], connectivity: 4, count: 1 },
    { name: 'ring', rows: ['.###.', '#...#', '#...#', '.###.'], connectivity: 8, count: 1 },
    { name: 'full page', rows: ['###', '###'], connectivity: 4, count: 1 },
  ])('$name: $count', ({ rows, connectivity, count }) => {
    expect(labelComponents(mask(rows), connectivity).components).toHaveLength(count);
  });

  test('boxes, areas and labels describe each component', () => {
    const m = mask(['##....', '##..#.', '....##', '......']);
    const { components, labels } = labelComponents(m);
    expect(components).toEqual([
      { id: 1, x0: 0, y0: 0, x1: 2, y1: 2, area: 4 },
      { id: 2, x0: 4, y0: 1, x1: 6, y1: 3, area: 3 },
    ]);
    expect(labels[0]).toBe(1);
    expect(labels[1 * 6 + 4]).toBe(2);
    expect(labels[3 * 6 + 0]).toBe(0);
  });

  test('sums per-pixel weights per component', () => {
    const m = mask(['#..#', '#...']);
    const weights = Float32Array.from([1, 0, 0, 5, 2, 0, 0, 0]);
    const { weightSums } = labelComponents(m, 8, weights);
    expect(Array.from(weightSums!)).toEqual([0, 3, 5]);
  });

  test('labels many components (the union-find table grows)', () => {
    const rows = Array.from({ length: 64 }, (_, y) => (y % 2 ? '.'.repeat(128) : '#.'.repeat(64)));
    expect(labelComponents(mask(rows)).components).toHaveLength(32 * 64);
  });

  test.each<{ name: string; input: unknown; message: RegExp }>([
    {
      name: 'null',
      input: null,
      message: /Expected a BinaryImage \{width, height, data\} for mask but received null/,
    },
    {
      name: 'wrong data length',
      input: { width: 3, height: 2, data: new Uint8Array(5) },
      message: /Expected length 6 \(width \* height\) for mask.data.length but received 5/,
    },
    {
      name: 'empty image',
      input: { width: 0, height: 2, data: new Uint8Array(0) },
      message: /Expected an integer >= 1 for mask.width but received 0/,
    },
    {
      name: 'float data',
      input: { width: 1, height: 1, data: new Float32Array(1) },
      message: /Expected a Uint8Array for mask.data but received Float32Array of length 1/,
    },
  ])('rejects $name', ({ input, message }) => {
    expect(() => labelComponents(input as BinaryImage)).toThrow(message);
  });

  test('rejects a bad connectivity', () => {
    expect(() => labelComponents(mask(['#']), 6 as Connectivity)).toThrow(
      /Expected 4 or 8 for connectivity but received 6/,
    );
  });
});
