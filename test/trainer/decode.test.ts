import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fromRGBA, type GrayImage } from '../../preprocess/image.ts';
import {
  DecodeError,
  type DecodedPage,
  type DecodeErrorCode,
  decodeBuffer,
  decodeFile,
  decodeImage,
  defaultDecodeOptions,
  isSupportedPath,
  sniffFormat,
} from '../../trainer/decode.ts';
import { encodePng } from '../../trainer/encode.ts';
import { BAD_INPUT_NAMES, type BadInputName, writeBadInputs } from '../fixtures/bad-inputs.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'digitlens-decode-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(pages: AsyncGenerator<DecodedPage>): Promise<DecodedPage[]> {
  const out: DecodedPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

async function decodeError(pages: AsyncGenerator<DecodedPage>): Promise<DecodeError> {
  try {
    await collect(pages);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error('expected a DecodeError, but decoding succeeded');
}

function px(image: GrayImage, x: number, y: number): number {
  return image.data[y * image.width + x];
}

function mean(image: GrayImage): number {
  let sum = 0;
  for (const v of image.data) sum += v;
  return sum / image.data.length;
}

// The test picture: 64 x 48 white paper with a black 16 x 16 square at (8, 8).
const W = 64;
const H = 48;
function paperRgb(): Buffer {
  const rgb = Buffer.alloc(W * H * 3, 255);
  for (let y = 8; y < 24; y++) rgb.fill(0, (y * W + 8) * 3, (y * W + 24) * 3);
  return rgb;
}
const paper = () => sharp(paperRgb(), { raw: { width: W, height: H, channels: 3 } });
const INK = [16, 16] as const;
const PAPER = [48, 36] as const;

/** RGBA: transparent black everywhere, an opaque black square, and a half-transparent black patch. */
function alphaPng(): Promise<Buffer> {
  const rgba = Buffer.alloc(W * H * 4, 0);
  for (let y = 8; y < 24; y++) {
    for (let x = 8; x < 24; x++) rgba[(y * W + x) * 4 + 3] = 255;
    for (let x = 40; x < 56; x++) rgba[(y * W + x) * 4 + 3] = 128;
  }
  return sharp(rgba, { raw: { width: W, height: H, channels: 4 } })
    .png()
    .toBuffer();
}

async function twoPageTiff(): Promise<Buffer> {
  const first = await paper().png().toBuffer();
  const black = await sharp({ create: { width: W, height: H, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  return sharp([first, black], { join: { animated: true } })
    .tiff()
    .toBuffer();
}

/** Page 1: 200 x 100 pt with a black 50 x 50 pt square at (20, 20) from the bottom left. Page 2: 100 x 50 pt, /Rotate 90. */
async function twoPagePdf(): Promise<Buffer> {
  const mupdf = await import('mupdf');
  const doc = new mupdf.PDFDocument();
  doc.insertPage(-1, doc.addPage([0, 0, 200, 100], 0, {}, '0 g 20 20 50 50 re f'));
  doc.insertPage(-1, doc.addPage([0, 0, 100, 50], 90, {}, ''));
  return Buffer.from(doc.saveToBuffer('').asUint8Array());
}

const canEncodeAvif = sharp.format.heif?.output?.buffer === true;

interface GoodCase {
  name: string;
  file: string;
  make: () => Promise<Buffer>;
  format: string;
  /** Optional check that the fixture really is what the case claims. */
  fixture?: (meta: Metadata) => void;
  pages: { width: number; height: number; dark: [number, number][]; light: [number, number][] }[];
  inkBelow?: number;
  paperAbove?: number;
}

const square = { width: W, height: H, dark: [[...INK]], light: [[...PAPER]] } as GoodCase['pages'][number];

const GOOD: GoodCase[] = [
  {
    name: 'grey PNG',
    file: 'a.png',
    make: () => paper().toColourspace('b-w').png().toBuffer(),
    format: 'png',
    pages: [square],
  },
  {
    name: 'JPEG',
    file: 'a.jpg',
    make: () => paper().jpeg({ quality: 95 }).toBuffer(),
    format: 'jpeg',
    pages: [square],
  },
  {
    name: 'WebP',
    file: 'a.webp',
    make: () => paper().webp({ lossless: true }).toBuffer(),
    format: 'webp',
    pages: [square],
  },
  { name: 'GIF', file: 'a.gif', make: () => paper().gif().toBuffer(), format: 'gif', pages: [square] },
  {
    name: 'single-page TIFF',
    file: 'a.tif',
    make: () => paper().tiff().toBuffer(),
    format: 'tiff',
    pages: [square],
  },
  ...(canEncodeAvif
    ? [
        {
          name: 'AVIF',
          file: 'a.avif',
          make: () => paper().avif({ quality: 90 }).toBuffer(),
          format: 'avif',
          pages: [square],
        },
      ]
    : []),
  {
    name: 'PNG with alpha: transparent is paper, half-transparent black is mid-grey',
    file: 'alpha.png',
    make: alphaPng,
    format: 'png',
    fixture: (m) => expect(m.hasAlpha).toBe(true),
    pages: [
      {
        width: W,
        height: H,
        dark: [[16, 16]],
        light: [
          [2, 2],
          [60, 44],
        ],
      },
    ],
  },
  {
    name: 'EXIF orientation 6 JPEG: rotated upright, dimensions swapped',
    file: 'rotated.jpg',
    make: () => paper().jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer(),
    format: 'jpeg',
    fixture: (m) => expect(m.orientation).toBe(6),
    // Orientation 6 displays stored (x, y) at (H - 1 - y, x): the square lands at x 24..39, y 8..23.
    pages: [
      {
        width: H,
        height: W,
        dark: [[31, 16]],
        light: [
          [12, 16],
          [31, 50],
        ],
      },
    ],
  },
  {
    name: 'CMYK JPEG: converted to sRGB before grey',
    file: 'cmyk.jpg',
    make: () => paper().toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer(),
    format: 'jpeg',
    fixture: (m) => expect(m.space).toBe('cmyk'),
    pages: [square],
    inkBelow: 0.2,
    paperAbove: 0.8,
  },
  {
    name: '16-bit PNG',
    file: 'sixteen.png',
    make: () => paper().toColourspace('rgb16').png().toBuffer(),
    format: 'png',
    fixture: (m) => expect(m.depth).toBe('ushort'),
    pages: [square],
  },
  {
    name: 'palette PNG',
    file: 'palette.png',
    make: () => paper().png({ palette: true, colours: 4 }).toBuffer(),
    format: 'png',
    fixture: (m) => expect(m.isPalette).toBe(true),
    pages: [square],
  },
  {
    name: '2-page TIFF: every page',
    file: 'two.tiff',
    make: twoPageTiff,
    format: 'tiff',
    fixture: (m) => expect(m.pages).toBe(2),
    pages: [square, { width: W, height: H, dark: [[...INK], [...PAPER]], light: [] }],
  },
  {
    name: '2-page PDF at 150 dpi',
    file: 'two.pdf',
    make: twoPagePdf,
    format: 'pdf',
    pages: [
      // 200 x 100 pt at 150/72 px per pt; the square covers x 41.7..145.8, y 62.5..166.7 from the top.
      {
        width: 417,
        height: 209,
        dark: [
          [93, 115],
          [45, 70],
          [140, 160],
        ],
        light: [
          [300, 100],
          [10, 10],
          [93, 190],
        ],
      },
      // 100 x 50 pt turned by /Rotate 90: 50 x 100 pt.
      { width: 105, height: 209, dark: [], light: [[50, 100]] },
    ],
  },
];

describe('decodes good inputs, from a buffer and from a file', () => {
  test.each(GOOD)(
    '$name',
    async ({ file, make, format, fixture, pages, inkBelow = 0.1, paperAbove = 0.9 }) => {
      const bytes = await make();
      if (fixture)
        fixture(
          await sharp(bytes)
            .metadata()
            .catch(() => ({}) as Metadata),
        );
      const path = join(dir, file);
      await writeFile(path, bytes);
      const fromFile = await collect(decodeFile(path));
      const fromBuffer = await collect(decodeBuffer(bytes, file));
      expect(fromBuffer).toEqual(fromFile);
      expect(fromFile).toHaveLength(pages.length);
      fromFile.forEach((page, i) => {
        const want = pages[i];
        expect(page).toMatchObject({
          page: i,
          pageCount: pages.length,
          format,
          width: want.width,
          height: want.height,
        });
        expect(page.image.width).toBe(want.width);
        expect(page.image.height).toBe(want.height);
        expect(page.image.data).toHaveLength(want.width * want.height);
        expect(page.warnings).toBeUndefined();
        for (const [x, y] of want.dark)
          expect(px(page.image, x, y), `ink at (${x}, ${y})`).toBeLessThan(inkBelow);
        for (const [x, y] of want.light)
          expect(px(page.image, x, y), `paper at (${x}, ${y})`).toBeGreaterThan(paperAbove);
      });
    },
  );

  test('alpha: half-transparent black over white paper is mid-grey', async () => {
    const image = await decodeImage(await alphaPng(), 'alpha.png');
    expect(px(image, 48, 16)).toBeCloseTo(127 / 255, 1);
  });

  test('the format comes from the bytes: a JPEG named .png decodes as JPEG', async () => {
    const path = join(dir, 'really-a-jpeg.png');
    await writeFile(path, await paper().jpeg().toBuffer());
    const [page] = await collect(decodeFile(path));
    expect(page.format).toBe('jpeg');
  });

  test('pdfDpi sets the raster size (72 dpi: one pixel per point)', async () => {
    const pages = await collect(decodeBuffer(await twoPagePdf(), 'two.pdf', { pdfDpi: 72 }));
    expect(pages.map((p) => [p.width, p.height])).toEqual([
      [200, 100],
      [50, 100],
    ]);
    expect(px(pages[0].image, 45, 55)).toBeLessThan(0.1);
    expect(px(pages[0].image, 15, 55)).toBeGreaterThan(0.9);
  });

  test('pages stream: stopping after the first page is clean, and decodeImage gives page 1', async () => {
    const pdf = await twoPagePdf();
    const seen: number[] = [];
    for await (const page of decodeBuffer(pdf, 'two.pdf')) {
      seen.push(page.page);
      break;
    }
    expect(seen).toEqual([0]);
    const first = await decodeImage(await twoPageTiff(), 'two.tiff');
    expect([first.width, first.height, px(first, ...PAPER)]).toEqual([W, H, 1]);
  });
});

describe("grey is the browser's grey (preprocess fromRGBA), not the decoder's own", () => {
  // Red, green, blue, grey, and half-transparent blue: saturated colours are where luma formulas disagree.
  const RGBA = [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 100, 100, 100, 255, 0, 0, 255, 128];

  test('PNG pixels equal fromRGBA of the same RGBA exactly', async () => {
    const rgba = Uint8Array.from(RGBA);
    const png = await sharp(rgba, { raw: { width: 5, height: 1, channels: 4 } })
      .png()
      .toBuffer();
    const image = await decodeImage(png, 'colours.png');
    expect(Array.from(image.data)).toEqual(Array.from(fromRGBA(5, 1, rgba).data));
  });

  test('PDF fills equal fromRGBA of their colour', async () => {
    const mupdf = await import('mupdf');
    const doc = new mupdf.PDFDocument();
    const content = '1 0 0 rg 0 0 10 10 re f 0 0 1 rg 10 0 10 10 re f 0 1 0 rg 20 0 10 10 re f';
    doc.insertPage(-1, doc.addPage([0, 0, 30, 10], 0, {}, content));
    const pdf = Buffer.from(doc.saveToBuffer('').asUint8Array());
    const image = await decodeImage(pdf, 'colours.pdf', { pdfDpi: 72 });
    const expected = fromRGBA(3, 1, Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 255])).data;
    expect([px(image, 5, 5), px(image, 15, 5), px(image, 25, 5)]).toEqual(Array.from(expected));
  });
});

describe('limits', () => {
  test.each([
    {
      name: 'maxPixels on an image',
      make: () => paper().png().toBuffer(),
      options: { maxPixels: 1000 },
      message: /64 x 48 pixels.*maxPixels/,
    },
    {
      name: 'maxPixels on a PDF page',
      make: twoPagePdf,
      options: { maxPixels: 1000 },
      message: /page 1 of 2 is 2\.8 x 1\.4 inches.*lower pdfDpi/,
    },
    {
      name: 'maxPages on a TIFF',
      make: twoPageTiff,
      options: { maxPages: 1 },
      message: /2 pages, more than the limit of 1/,
    },
    {
      name: 'maxPages on a PDF',
      make: twoPagePdf,
      options: { maxPages: 1 },
      message: /2 pages, more than the limit of 1/,
    },
  ])('$name', async ({ make, options, message }) => {
    const error = await decodeError(decodeBuffer(await make(), 'input', options));
    expect(error.code).toBe('too-large');
    expect(error.message).toMatch(message);
  });

  test('the defaults', () => {
    expect(defaultDecodeOptions).toEqual({ maxPixels: 50_000_000, pdfDpi: 150, maxPages: 1000 });
  });

  test.each([
    {
      options: { pdfDpi: 0 },
      message: 'Expected a finite number in [1, 2400] for options.pdfDpi but received 0',
    },
    {
      options: { maxPixels: 1.5 },
      message: 'Expected an integer in [1, 100000000] for options.maxPixels but received 1.5',
    },
    { options: { maxPages: 0 }, message: 'Expected an integer >= 1 for options.maxPages but received 0' },
  ])('rejects options $options', async ({ options, message }) => {
    await expect(collect(decodeBuffer(new Uint8Array([1]), 'x', options))).rejects.toThrow(message);
  });

  test('rejects a buffer that is not bytes', async () => {
    await expect(collect(decodeBuffer('abc' as unknown as Uint8Array, 'x'))).rejects.toThrow(
      'Expected a Uint8Array or Buffer for buf but received "abc"',
    );
  });
});

interface BadCase {
  name: BadInputName;
  code?: DecodeErrorCode;
  message?: RegExp;
  check?: (pages: DecodedPage[]) => void;
}

const BAD: BadCase[] = [
  {
    name: 'truncated-jpeg',
    code: 'corrupt',
    message: /"[^"]*truncated\.jpg": it looks like a JPEG image but is damaged or truncated/,
  },
  {
    name: 'truncated-png',
    code: 'corrupt',
    message: /it looks like a PNG image but is damaged or truncated/,
  },
  { name: 'zero-bytes', code: 'empty', message: /zero-bytes\.png": the file is empty \(0 bytes\)/ },
  {
    name: 'text-named-png',
    code: 'unsupported',
    message: /notes\.png": it is text starting with "These are my notes, not a picture\."/,
  },
  { name: 'html-named-jpg', code: 'unsupported', message: /download\.jpg": it is an HTML web page/ },
  { name: 'bmp-named-png', code: 'unsupported', message: /bitmap\.png": it is a BMP image/ },
  {
    name: 'huge-header-png',
    code: 'too-large',
    message: /100000 x 100000 pixels \(10000 megapixels\).*decompression bomb/,
  },
  { name: 'huge-header-jpeg', code: 'too-large', message: /60000 x 60000 pixels/ },
  {
    name: 'animated-gif',
    check: (pages) => {
      expect(pages).toHaveLength(1);
      const [page] = pages;
      expect(page).toMatchObject({ page: 0, pageCount: 1, width: 40, height: 30, format: 'gif' });
      expect(page.warnings).toEqual(['a GIF image with 3 frames: only the first frame was read.']);
      expect(px(page.image, 9, 9)).toBeLessThan(0.1);
      expect(px(page.image, 30, 20)).toBeGreaterThan(0.9);
    },
  },
  {
    name: 'vector-only-pdf',
    check: (pages) => {
      expect(pages).toHaveLength(1);
      const [page] = pages;
      expect(page).toMatchObject({ width: 625, height: 625, format: 'pdf' });
      expect(page.warnings).toBeUndefined();
      // Mostly paper, with real ink from the line and the "42".
      expect(mean(page.image)).toBeGreaterThan(0.8);
      expect(page.image.data.reduce((a, b) => Math.min(a, b), 1)).toBe(0);
      // The line runs from (30, 30) to (270, 120) pt; its midpoint (150, 75) pt is (312, 469) px from the top.
      expect(px(page.image, 312, 469)).toBeLessThan(0.2);
    },
  },
  { name: 'password-pdf', code: 'encrypted', message: /password\.pdf": the PDF is password-protected/ },
  {
    name: 'corrupt-pdf',
    code: 'corrupt',
    message: /corrupt\.pdf": it looks like a PDF document but cannot be opened/,
  },
  { name: 'no-pages-pdf', code: 'no-pages', message: /no-pages\.pdf": the PDF has no pages/ },
  {
    name: 'huge-page-pdf',
    code: 'too-large',
    message: /page 1 of 1 is 200 x 200 inches, which at 150 dpi is 30000 x 30000 pixels/,
  },
  { name: 'directory', code: 'is-directory', message: /folder\.png": it is a directory/ },
  { name: 'missing', code: 'not-found', message: /missing\.png": no such file/ },
];

describe('bad inputs give a DecodeError with the right code, or a correct image', () => {
  let paths: Record<BadInputName, string>;
  beforeAll(async () => {
    paths = await writeBadInputs(dir);
  });

  test('every corpus entry has a case', () => {
    expect(BAD.map((c) => c.name).sort()).toEqual([...BAD_INPUT_NAMES].sort());
  });

  test.each(BAD)('$name', async ({ name, code, message, check }) => {
    const path = paths[name];
    const started = Date.now();
    if (code) {
      const error = await decodeError(decodeFile(path));
      expect(error.code).toBe(code);
      expect(error.file).toBe(path);
      expect(error.message).toMatch(message!);
      if (name !== 'directory' && name !== 'missing') {
        const { readFile } = await import('node:fs/promises');
        const fromBuffer = await decodeError(decodeBuffer(await readFile(path), 'upload'));
        expect(fromBuffer.code).toBe(code);
        expect(fromBuffer.message).toMatch(/^Cannot read "upload": /);
      }
    } else {
      check!(await collect(decodeFile(path)));
    }
    // Bombs are refused from the header: nothing is allocated, so it is quick.
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('sniffFormat and isSupportedPath', () => {
  test.each([
    { bytes: [0xff, 0xd8, 0xff, 0xe0], format: 'jpeg' },
    { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], format: 'png' },
    { bytes: [...Buffer.from('II*\0')], format: 'tiff' },
    { bytes: [...Buffer.from('MM\0*')], format: 'tiff' },
    { bytes: [...Buffer.from('\0\0\0\x1cftypavif\0\0\0\0avifmif1')], format: 'avif' },
    { bytes: [...Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic')], format: 'heif' },
    { bytes: [...Buffer.from('junk before the header %PDF-1.4\n')], format: 'pdf' },
    { bytes: [...Buffer.from('GIF89a')], format: 'gif' },
    { bytes: [...Buffer.from('RIFF\0\0\0\0WEBPVP8 ')], format: 'webp' },
    { bytes: [...Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')], format: null },
    { bytes: [0x00, 0x01, 0x02, 0x03, 0x04], format: null },
  ])('$format from $bytes.length bytes', ({ bytes, format }) => {
    expect(sniffFormat(Uint8Array.from(bytes)).format).toBe(format);
  });

  test('says what an unknown file looks like', () => {
    expect(sniffFormat(Uint8Array.from([0, 1, 2, 3])).looksLike).toBe(
      'unrecognised binary data (first bytes: 00 01 02 03)',
    );
    expect(sniffFormat(Buffer.from('<?xml version="1.0"?><svg/>')).looksLike).toMatch(/^an SVG drawing/);
  });

  test.each([
    ['scan.PDF', true],
    ['dir/photo.jpeg', true],
    ['a.JPG', true],
    ['b.tif', true],
    ['c.webp', true],
    ['d.avif', true],
    ['e.gif', true],
    ['notes.txt', false],
    ['drawing.svg', false],
    ['.png', false],
    ['png', false],
    ['archive.png.zip', false],
    ['C:\\scans\\page.tiff', true],
  ] as const)('%s -> %s', (path, supported) => {
    expect(isSupportedPath(path)).toBe(supported);
  });
});

describe('encodePng', () => {
  test('grey image round trip', async () => {
    const data = new Float32Array(W * H);
    for (let i = 0; i < data.length; i++) data[i] = (i % 256) / 255;
    const png = await encodePng({ width: W, height: H, data });
    expect(sniffFormat(png).format).toBe('png');
    const back = await decodeImage(png, 'round-trip.png');
    expect([back.width, back.height]).toEqual([W, H]);
    for (let i = 0; i < data.length; i++) expect(Math.abs(back.data[i] - data[i])).toBeLessThan(1e-6);
  });

  test('RGBA: a red pixel on transparent becomes red luma on white paper', async () => {
    const rgba = new Uint8Array(2 * 1 * 4);
    rgba.set([255, 0, 0, 255], 0);
    const png = await encodePng({ width: 2, height: 1, rgba });
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([2, 1, 4]);
    const back = await decodeImage(png, 'rgba.png');
    expect(back.data[0]).toBeCloseTo(0.299, 6);
    expect(back.data[1]).toBe(1);
  });

  test.each([
    {
      image: null,
      message:
        'Expected a GrayImage {width, height, data} or {width, height, rgba} for image but received null',
    },
    {
      image: { width: 2, height: 2, rgba: new Uint8Array(3) },
      message: 'Expected length 16 (width * height * 4) for image.rgba.length but received 3',
    },
    {
      image: { width: 2, height: 2, data: new Float32Array(3) },
      message: 'Expected length 4 (width * height) for image.data.length but received 3',
    },
  ])('rejects $image', async ({ image, message }) => {
    await expect(encodePng(image as unknown as GrayImage)).rejects.toThrow(message);
  });
});
