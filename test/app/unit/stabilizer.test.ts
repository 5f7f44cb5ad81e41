import { describe, expect, test } from 'vitest';
import { readingText, Stabilizer, type FrameDigit } from '../../../app/src/lib/stabilizer.ts';

const onehot = (d: number, p = 0.98): number[] =>
  Array.from({ length: 10 }, (_, k) => (k === d ? p : (1 - p) / 9));
const at = (x: number, digit: number, string = 0, p?: number): FrameDigit => ({
  box: { x, y: 100, width: 40, height: 60 },
  probs: onehot(digit, p),
  string,
});

describe('Stabilizer', () => {
  test('shows a digit only after minHits frames', () => {
    const s = new Stabilizer({ minHits: 2 });
    expect(s.update([at(10, 3)])).toEqual([]);
    expect(readingText(s.update([at(11, 3)]))).toBe('3');
  });

  test('keeps a digit through a dropped frame, then lets it go', () => {
    const s = new Stabilizer({ minHits: 1, maxMisses: 2 });
    s.update([at(10, 5)]);
    expect(readingText(s.update([]))).toBe('5');
    expect(readingText(s.update([]))).toBe('5');
    expect(s.update([])).toEqual([]);
  });

  test('a one-frame flip does not change the reading', () => {
    const s = new Stabilizer({ minHits: 1, alpha: 0.4 });
    for (let i = 0; i < 5; i++) s.update([at(10, 1)]);
    expect(readingText(s.update([at(10, 7)]))).toBe('1');
  });

  test("reads '?' when the smoothed probability is under the reject level", () => {
    const s = new Stabilizer({ minHits: 1, rejectBelow: 0.6 });
    const out = s.update([at(10, 4, 0, 0.4)]);
    expect(out[0].digit).toBeNull();
    expect(readingText(out)).toBe('?');
  });

  test('orders digits by string, then left to right, and tracks moving digits', () => {
    const s = new Stabilizer({ minHits: 1 });
    s.update([at(200, 2, 1), at(10, 7, 0), at(60, 1, 0)]);
    const out = s.update([at(205, 2, 1), at(14, 7, 0), at(63, 1, 0)]);
    expect(readingText(out)).toBe('71 2');
    expect(new Set(out.map((d) => d.id)).size).toBe(3);
  });

  test('validates its options', () => {
    expect(() => new Stabilizer({ alpha: 0 })).toThrow(
      'Expected a number in (0, 1] for alpha but received 0',
    );
  });
});
