/**
 * Page records and their CSV, shared by `npm run read` and the app's upload export: per-digit records
 * (top-3, rounding, review, corrections), page counts, and CSV cells a spreadsheet cannot run.
 */
import { describe, expect, test } from 'vitest';
import {
  csvCell,
  csvHeader,
  csvRows,
  CSV_COLUMNS,
  REVIEWED_CSV_COLUMNS,
} from '../../preprocess/records-csv.ts';
import { digitRecord, pageReading, type PageRecord } from '../../preprocess/records.ts';

const probs = (d: number, p: number) =>
  Float32Array.from({ length: 10 }, (_, k) => (k === d ? p : (1 - p) / 9));
const box = (x: number) => ({ x, y: 0, width: 10, height: 20 });

describe('digitRecord', () => {
  test('top-3 most likely first, probabilities rounded to 4 decimals, review under minConfidence', () => {
    const p = [0.01, 0.123456, 0.02, 0.8, 0, 0, 0.04, 0, 0.006544, 0];
    const r = digitRecord(p, box(3), 0.85);
    expect(r).toEqual({
      digit: 3,
      probability: 0.8,
      top3: [
        { digit: 3, probability: 0.8 },
        { digit: 1, probability: 0.1235 },
        { digit: 6, probability: 0.04 },
      ],
      review: true,
      box: box(3),
    });
    expect(digitRecord(p, box(3), 0.8).review).toBe(false);
  });

  test.each([
    { name: 'another digit', correction: 7, want: { digit: 7, corrected: { from: 4 }, review: false } },
    { name: 'the same digit', correction: 4, want: { digit: 4, review: false } },
  ])('a correction to $name clears review', ({ correction, want }) => {
    const r = digitRecord(probs(4, 0.5), box(0), 0.9, correction);
    expect(r).toMatchObject(want);
    if (correction === 4) expect(r.corrected).toBeUndefined();
  });

  test.each([
    { p: new Float32Array(9), minConfidence: 0.5, message: /Expected 10 probabilities .* for probs/ },
    { p: probs(1, 0.9), minConfidence: 1.5, message: /for minConfidence but received 1.5/ },
  ])('rejects $message', ({ p, minConfidence, message }) => {
    expect(() => digitRecord(p, box(0), minConfidence)).toThrow(message);
  });
});

describe('pageReading', () => {
  const units = [
    {
      box: box(0),
      digits: [
        { box: box(0), probs: probs(4, 0.99) },
        { box: box(12), probs: probs(2, 0.6) },
      ],
    },
    { box: box(60), digits: [] },
    { box: box(90), digits: [{ box: box(90), probs: probs(9, 0.95), correction: 8 }] },
  ];

  test('texts, review flags and counts; strings unless the layout is fields', () => {
    const r = pageReading({ width: 100, height: 50, layout: 'string' }, units, 0.9);
    expect(r).toMatchObject({ layout: 'string', empty: false, text: '42 8', digits: 3, flagged: 1 });
    expect(r.decision).toBeUndefined();
    expect(r.fields).toBeUndefined();
    expect(r.strings!.map((u) => [u.text, u.review])).toEqual([
      ['42', true],
      ['', false],
      ['8', false],
    ]);
    expect(r.strings![2].digits[0].corrected).toEqual({ from: 9 });
  });

  test('a fields page keeps cells and each digit its cell, in the order `npm run read` writes', () => {
    const cells = [box(0), box(10)];
    const field = { box: box(0), cells, digits: [{ box: box(11), cell: 1, probs: probs(5, 0.99) }] };
    const r = pageReading({ width: 100, height: 50, layout: 'fields', decision: 'why' }, [field], 0.9);
    expect(Object.keys(r)).toEqual([
      'width',
      'height',
      'layout',
      'decision',
      'fields',
      'empty',
      'text',
      'digits',
      'flagged',
    ]);
    expect(Object.keys(r.fields![0])).toEqual(['box', 'cells', 'text', 'digits', 'review']);
    expect(r.fields![0].digits[0]).toMatchObject({ digit: 5, cell: 1 });
    expect(pageReading({ width: 1, height: 1, layout: 'single' }, [], 0.9)).toMatchObject({
      empty: true,
      text: '',
      strings: [],
    });
  });
});

describe('CSV', () => {
  test.each([
    { value: '=1+2', cell: "'=1+2" },
    { value: '+1', cell: "'+1" },
    { value: '-1', cell: "'-1" },
    { value: '@SUM(A1)', cell: "'@SUM(A1)" },
    { value: '\tx', cell: "'\tx" },
    { value: '=a,b', cell: `"'=a,b"` },
    { value: 'say "hi"', cell: '"say ""hi"""' },
    { value: 'two\nlines', cell: '"two\nlines"' },
    { value: 'a\rb', cell: '"a\rb"' },
    { value: 'x-1', cell: 'x-1' },
    { value: 0.5, cell: '0.5' },
    { value: false, cell: 'false' },
    { value: null, cell: '' },
    { value: undefined, cell: '' },
  ])('csvCell($value) is $cell', ({ value, cell }) => {
    expect(csvCell(value)).toBe(cell);
  });

  test('CSV: one row per field, quoted where needed, formulas defused', () => {
    const record: PageRecord = {
      file: '=cmd|x,y.png',
      page: 1,
      pages: 1,
      layout: 'fields',
      empty: false,
      text: '12',
      digits: 2,
      flagged: 1,
      fields: [
        {
          box: { x: 1, y: 2, width: 3, height: 4 },
          cells: [{ x: 1, y: 2, width: 3, height: 4 }],
          text: '12',
          review: true,
          digits: [
            {
              digit: 1,
              probability: 0.99,
              top3: [{ digit: 1, probability: 0.99 }],
              review: false,
              box: { x: 1, y: 2, width: 1, height: 2 },
              cell: 0,
            },
            {
              digit: 2,
              probability: 0.5,
              top3: [
                { digit: 2, probability: 0.5 },
                { digit: 7, probability: 0.4 },
              ],
              review: true,
              box: { x: 2, y: 2, width: 1, height: 2 },
              cell: 0,
            },
          ],
        },
      ],
    };
    const rows = csvRows(record).trim().split('\n');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toBe(
      `"'=cmd|x,y.png",1,1,fields,field,0,1,2,3,4,12,2,0.99;0.5,1:0.99;2:0.5|7:0.4,0.5,true,false,`,
    );
    expect(CSV_COLUMNS).toHaveLength(rows[0].split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).length);
    expect(
      csvRows({ file: 'x.png', error: 'Cannot read "x.png": no such file.', errorCode: 'not-found' }),
    ).toBe('x.png,,,,error,,,,,,,,,,,,,"Cannot read ""x.png"": no such file."\n');
  });

  test('the reviewed columns add corrected; an empty page and a batch with no pages', () => {
    const reviewed = (corrected?: { from: number }): PageRecord => ({
      file: 'a.png',
      layout: 'string',
      strings: [
        {
          box: box(0),
          text: '4',
          review: false,
          digits: [{ digit: 4, probability: 0.99, top3: [], review: false, box: box(0), corrected }],
        },
      ],
    });
    expect(csvHeader(REVIEWED_CSV_COLUMNS)).toBe(CSV_COLUMNS.join(',') + ',corrected\n');
    expect(csvRows(reviewed({ from: 9 }), REVIEWED_CSV_COLUMNS)).toMatch(/,true\n$/);
    expect(csvRows(reviewed(), REVIEWED_CSV_COLUMNS)).toMatch(/,false\n$/);
    expect(csvRows(reviewed({ from: 9 }))).toBe(csvRows(reviewed()));
    expect(csvRows({ file: 'b.png', page: 2, pages: 3, layout: 'string', strings: [] })).toBe(
      'b.png,2,3,string,page,,,,,,,,,,,,true,\n',
    );
  });

  test('rejects a column it does not know', () => {
    expect(() => csvRows({ file: 'a.png' }, ['file', 'colour' as never])).toThrow(
      /Expected an array of columns from file, .*corrected for columns but received array of length 2/,
    );
  });
});
