/**
 * `--annotate DIR`: each page as a PNG with what was read drawn on it, for a person to check a batch at a
 * glance. Printed fields are outlined in blue with their cells in light blue, strings in blue; each digit
 * gets a box, green when sure and red when flagged for review, with the digit and its probability
 * written above it (red text also names the runner-up). Rectangles are drawn straight into the RGBA
 * pixels; text is an SVG overlay composited by sharp (librsvg), so no font handling lives here.
 */
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import type { GrayImage } from '../preprocess/image.ts';
import type { Box } from '../preprocess/locate.ts';
import type { DigitRecord, PageRecord } from '../preprocess/records.ts';
import { writeFileAtomic } from './atomic-write.ts';

type Rgb = readonly [number, number, number];
const FIELD: Rgb = [30, 90, 220];
const CELL: Rgb = [120, 170, 250];
const SURE: Rgb = [0, 160, 60];
const REVIEW: Rgb = [220, 30, 30];

function strokeRect(rgba: Uint8Array, w: number, h: number, b: Box, color: Rgb, t: number): void {
  const x0 = Math.max(0, Math.round(b.x) - t);
  const y0 = Math.max(0, Math.round(b.y) - t);
  const x1 = Math.min(w - 1, Math.round(b.x + b.width) + t - 1);
  const y1 = Math.min(h - 1, Math.round(b.y + b.height) + t - 1);
  if (x1 < x0 || y1 < y0) return;
  const put = (x: number, y: number) => {
    const i = (y * w + x) * 4;
    rgba[i] = color[0];
    rgba[i + 1] = color[1];
    rgba[i + 2] = color[2];
  };
  for (let k = 0; k < t; k++) {
    for (let x = x0; x <= x1; x++) {
      if (y0 + k <= y1) put(x, y0 + k);
      if (y1 - k >= y0) put(x, y1 - k);
    }
    for (let y = y0; y <= y1; y++) {
      if (x0 + k <= x1) put(x0 + k, y);
      if (x1 - k >= x0) put(x1 - k, y);
    }
  }
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function label(d: DigitRecord): string {
  const p = Math.round(d.probability * 100);
  if (!d.review || d.top3.length < 2) return `${d.digit} ${p}%`;
  return `${d.digit} ${p}% (${d.top3[1].digit}?)`;
}

/** Draws a page's reading onto the page; returns PNG bytes. */
export async function annotatePage(image: GrayImage, record: PageRecord): Promise<Buffer> {
  const { width: w, height: h, data } = image;
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0, j = 0; i < data.length; i++, j += 4) {
    const v = Math.round(Math.min(1, Math.max(0, data[i])) * 255);
    rgba[j] = rgba[j + 1] = rgba[j + 2] = v;
    rgba[j + 3] = 255;
  }
  const t = Math.max(1, Math.round(Math.min(w, h) / 500));
  const texts: string[] = [];
  const digits: DigitRecord[] = [];
  for (const f of record.fields ?? []) {
    for (const c of f.cells) strokeRect(rgba, w, h, c, CELL, t);
    strokeRect(rgba, w, h, f.box, FIELD, t);
    digits.push(...f.digits);
  }
  for (const s of record.strings ?? []) {
    if (s.digits.length > 1) {
      strokeRect(
        rgba,
        w,
        h,
        { x: s.box.x - 3 * t, y: s.box.y - 3 * t, width: s.box.width + 6 * t, height: s.box.height + 6 * t },
        FIELD,
        t,
      );
    }
    digits.push(...s.digits);
  }
  for (const d of digits) {
    const color = d.review ? REVIEW : SURE;
    strokeRect(rgba, w, h, d.box, color, t);
    const size = Math.max(10, Math.min(48, Math.round(d.box.height * 0.35)));
    const y = d.box.y - 2 * t > size ? d.box.y - 2 * t : d.box.y + d.box.height + size;
    texts.push(
      `<text x="${d.box.x}" y="${y}" font-size="${size}" fill="rgb(${color.join(',')})">${escapeXml(label(d))}</text>`,
    );
  }
  if (record.empty) {
    const size = Math.max(12, Math.round(Math.min(w, h) / 25));
    texts.push(
      `<text x="${size}" y="${size * 1.5}" font-size="${size}" fill="rgb(${REVIEW.join(',')})">no digits found</text>`,
    );
  }
  let img = sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), {
    raw: { width: w, height: h, channels: 4 },
    limitInputPixels: false,
  });
  if (texts.length > 0) {
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">` +
      `<g font-family="DejaVu Sans, Arial, sans-serif" font-weight="bold" stroke="white" stroke-width="${Math.max(1, t)}" paint-order="stroke">` +
      `${texts.join('')}</g></svg>`;
    img = sharp(await img.png({ compressionLevel: 1 }).toBuffer()).composite([
      { input: Buffer.from(svg), top: 0, left: 0 },
    ]);
  }
  return img.png().toBuffer();
}

/**
 * Where a page's annotation goes: the input's path (relative to the working folder when inside it,
 * else absolute without its root) with separators turned into `__`, then `-p<page>.png`, so that pages
 * of different folders never collide and the folder stays flat.
 */
export function annotationPath(dir: string, file: string, page: number | undefined): string {
  const abs = resolve(file);
  const rel = relative(process.cwd(), abs);
  const base = !rel || rel.startsWith('..') || isAbsolute(rel) ? abs.replace(/^([A-Za-z]:)?[\\/]+/, '') : rel;
  const flat = base
    .split(/[\\/]+/)
    .filter((p) => p && p !== '.' && p !== '..')
    .join('__');
  return join(dir, `${flat}-p${page ?? 0}.png`);
}

/** Writes one page's annotation; returns its path. */
export async function writeAnnotation(dir: string, image: GrayImage, record: PageRecord): Promise<string> {
  const path = annotationPath(dir, record.file, record.page);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path, await annotatePage(image, record));
  return path;
}
