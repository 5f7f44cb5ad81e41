import { describe, expect, test } from 'vitest';
import { pageRecord, toCsv } from '../../../app/src/lib/records.ts';
import type { PageResult } from '../../../app/src/lib/protocol.ts';
import { REVIEWED_CSV_COLUMNS } from '../../../preprocess/records-csv.ts';

const probs = (d: number, p: number) =>
  Float32Array.from({ length: 10 }, (_, k) => (k === d ? p : (1 - p) / 9));
const box = (x: number) => ({ x, y: 0, width: 10, height: 20 });

const result: PageResult = {
  width: 100,
  height: 50,
  layout: 'string',
  polarity: 'dark-on-light',
  digits: [
    { box: box(0), probs: probs(4, 0.99), digit: 4, probability: 0.99, quality: 1, string: 0 },
    { box: box(12), probs: probs(2, 0.6), digit: 2, probability: 0.6, quality: 1, string: 0 },
    { box: box(60), probs: probs(9, 0.95), digit: 9, probability: 0.95, quality: 1, string: 1 },
  ],
  strings: [
    { box: { x: 0, y: 0, width: 22, height: 20 }, text: '42' },
    { box: { x: 60, y: 0, width: 10, height: 20 }, text: '9' },
  ],
  timings: { decode: 0, locate: 0, infer: 0, total: 0 },
};

describe('records', () => {
  test('a page record has the shape `npm run read` writes', () => {
    const r = pageRecord('a.png', 1, 1, result, 0.9);
    expect(r.text).toBe('42 9');
    expect(r.digits).toBe(3);
    expect(r.flagged).toBe(1);
    expect(r.strings?.map((s) => s.review)).toEqual([true, false]);
    expect(r.strings?.[0].digits[1].top3[0]).toEqual({ digit: 2, probability: 0.6 });
  });

  test('corrections replace the digit, clear its review flag and are marked', () => {
    const r = pageRecord('a.png', 1, 1, result, 0.9, new Map([[1, 3]]));
    expect(r.text).toBe('43 9');
    expect(r.flagged).toBe(0);
    expect(r.strings?.[0].digits[1]).toMatchObject({ digit: 3, corrected: { from: 2 }, review: false });
  });

  test('CSV: one row per string, error rows, formula-safe cells, corrected units marked', () => {
    const csv = toCsv([
      pageRecord('=evil.png', 1, 1, result, 0.9, new Map([[2, 8]])),
      { file: 'b.png', error: 'it is "broken"' },
    ]);
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe(REVIEWED_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(4);
    expect(lines[1].startsWith("'=evil.png,1,1,string,string,0,")).toBe(true);
    expect(lines.slice(1, 3).map((l) => l.split(',').at(-1))).toEqual(['false', 'true']);
    expect(lines[3]).toBe('b.png,,,,error,,,,,,,,,,,,,"it is ""broken""",');
  });

  test('a drawing is not an upload page', () => {
    expect(() => pageRecord('pad.png', 1, 1, { ...result, layout: 'draw' }, 0.9)).toThrow(
      /Expected a page layout \(single, string or fields\) for result.layout but received "draw"/,
    );
  });
});
