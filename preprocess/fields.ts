/**
 * Printed form fields: the boxes and combs of cells that a form asks digits to be written in.
 *
 * A field is found from its printed lines, not from the handwriting. The page is shrunk for analysis by
 * taking the darkest pixel of each block (a thin printed line survives, where averaging would fade it),
 * binarised against the local paper level with a lower threshold than the handwriting needs (printed
 * lines can be light grey), and its long thin horizontal and vertical runs are found separately with
 * lines.ts. Each line mask is thickened by a pixel and its short gaps are bridged (a digit stroke
 * crossing a line, a faint stretch of toner), then the two are joined: a closed outline is now one
 * connected "frame". The cells of a frame are its holes: the regions inside its bounding box that the
 * frame's own pixels enclose. This needs no straight-line fitting, so skewed scans, combs with shared
 * separators and boxes of any size come out the same way, and a frame that is not closed (a signature
 * rule, a title underline, an isolated stroke) has no holes and is no field.
 *
 * Reading a field: each cell is cut out of the full-resolution page with everything outside its hole
 * (the printed lines and their blur) set to the cell's paper level, and handed to locate() without line
 * removal (a thin-pen 1 looks like a line). A cell about as wide as it is tall holds one digit; a wider
 * cell (a box with several digits and no separators) is segmented by locate's splitting.
 */
import { binarize } from './binarize.ts';
import { labelComponents } from './components.ts';
import { checkImage, detectPolarity, type GrayImage, type Polarity } from './image.ts';
import { removeLines } from './lines.ts';
import { locate, type Box, type LocatedDigit, type LocateOptions } from './locate.ts';
import { checkInteger, checkNumber, fail } from './validate.ts';

export interface FieldOptions {
  /** Which side the ink is on; 'auto' asks detectPolarity. */
  polarity: Polarity | 'auto';
  /**
   * Shortest side of a cell, page pixels (a cell must hold a readable digit); 0 picks 2 % of the page's
   * shorter side, at least 20 pixels (25 at 150 dpi A4: 4 mm, the smallest box a digit is written in).
   */
  minCellSize: number;
  /**
   * Integer factor the page is shrunk by for finding lines; 0 picks the largest that keeps the smallest
   * cell 12 analysis pixels wide (2 for a 150 dpi A4 page, 4 at 300 dpi).
   */
  analysisScale: number;
  /**
   * Thickest printed line, page pixels; 0 picks 0.32 % of the page's shorter side, at least 3 (4 at 150
   * dpi A4). Pen strokes are often as thin: the cell shape test tells their loops from boxes.
   */
  maxLineThickness: number;
  /** Longest gap in a printed line that is bridged, as a fraction of minCellSize. */
  bridge: number;
  /** Lines are ink whose contrast reaches this fraction of the page's strongest ink (and the noise floor). */
  lineContrast: number;
  /** A frame covering more than this fraction of the page is ruling or a page border, not a field. */
  maxFrameArea: number;
  /** Cells at most this many times wider than tall hold one digit; wider cells are read as strings. */
  digitCellAspect: number;
  /** Options for locate() inside each cell (polarity, line removal and sizes are set per cell). */
  locate: Partial<LocateOptions>;
}

export const defaultFieldOptions: FieldOptions = {
  polarity: 'auto',
  minCellSize: 0,
  analysisScale: 0,
  maxLineThickness: 0,
  bridge: 0.6,
  lineContrast: 0.12,
  maxFrameArea: 0.4,
  digitCellAspect: 1.4,
  locate: {},
};

/** Smallest share of its bounding box a cell fills (a long box skewed by 5 degrees fills 75 %). */
const CELL_FILL = 0.6;
/** A cell's side is straight when this share of its edge pixels lie within SIDE_TOLERANCE of a line. */
const SIDE_INLIERS = 0.75;
const SIDE_TOLERANCE = 1;

/** Default thickest printed line: a fraction of the page's shorter side, with a floor in pixels. */
const LINE_THICKNESS_FRACTION = 0.0032;
const MIN_LINE_THICKNESS = 3;
/** The smallest cell keeps at least this many analysis pixels. */
const MIN_CELL_ANALYSIS = 12;
const MIN_CELL_PIXELS = 20;
const MIN_CELL_FRACTION = 0.02;
const MAX_AUTO_SCALE = 8;
/** Printed lines must stand out this many noise deviations above the paper. */
const LINE_NOISE_FACTOR = 3;
const LINE_MIN_CONTRAST = 0.05;
/** Longest stretch of a printed line hidden under handwriting that is bridged, in units of minCellSize. */
const INK_BRIDGE = 5;
/** Margin of paper around a cell's cut-out, page pixels, so that no digit touches the image edge. */
const CELL_PAD = 4;
/** Cut-outs get enough paper around them to keep ink under this share of their pixels (see padFor). */
const MAX_INK_SHARE = 0.12;
/** Contrast against the paper that counts as ink when sizing that margin. */
const INK_CONTRAST = 0.25;
/** In a box holding a number, blobs shorter than this fraction of the median digit are dropped. */
const STRING_MIN_RELATIVE_HEIGHT = 0.55;
/** Shortest digit in a cell, as a fraction of the cell's height. */
const CELL_MIN_DIGIT = 0.22;

/** The inside of a cell: which pixels of its box (at the analysis scale) are not printed line. */
export interface CellRegion {
  /** Page pixels per region pixel. */
  scale: number;
  width: number;
  height: number;
  /** 1 inside the cell, row-major, width * height. */
  mask: Uint8Array;
}

export interface Cell {
  /** The cell's inside (between its printed lines), page pixels. */
  box: Box;
  region: CellRegion;
}

export interface Field {
  /** The field's outline, printed lines included, page pixels. */
  box: Box;
  /** Left to right. */
  cells: Cell[];
}

export interface FieldScan {
  polarity: Polarity;
  /** Top to bottom, then left to right. */
  fields: Field[];
  /** The analysis factor used. */
  scale: number;
}

export interface FieldDigit extends LocatedDigit {
  /** Index of the cell (in Field.cells) the digit was found in. */
  cell: number;
}

export interface ReadField {
  box: Box;
  cells: Box[];
  /** Left to right; empty cells give no digit. */
  digits: FieldDigit[];
}

export interface FieldsResult {
  polarity: Polarity;
  fields: ReadField[];
}

export function checkFieldOptions(o: FieldOptions, name = 'options'): void {
  if (o.polarity !== 'auto' && o.polarity !== 'dark-on-light' && o.polarity !== 'light-on-dark') {
    fail("'auto', 'dark-on-light' or 'light-on-dark'", `${name}.polarity`, o.polarity);
  }
  if (o.minCellSize !== 0) checkNumber(o.minCellSize, `${name}.minCellSize`, 4, 10_000);
  checkInteger(o.analysisScale, `${name}.analysisScale`, 0, 16);
  checkNumber(o.maxLineThickness, `${name}.maxLineThickness`, 0, 1000);
  checkNumber(o.bridge, `${name}.bridge`, 0, 10);
  checkNumber(o.lineContrast, `${name}.lineContrast`, 0, 1);
  checkNumber(o.maxFrameArea, `${name}.maxFrameArea`, 0, 1);
  checkNumber(o.digitCellAspect, `${name}.digitCellAspect`, 0.1, 100);
  if (typeof o.locate !== 'object' || o.locate === null) fail('an object', `${name}.locate`, o.locate);
}

function resolve(options: Partial<FieldOptions>): FieldOptions {
  if (typeof options !== 'object' || options === null) fail('an options object', 'options', options);
  const o = { ...defaultFieldOptions, ...options };
  checkFieldOptions(o);
  return o;
}

/** Shortest cell side in page pixels (see FieldOptions.minCellSize). */
export function minCellFor(width: number, height: number, options: Partial<FieldOptions> = {}): number {
  const o = { ...defaultFieldOptions, ...options };
  if (o.minCellSize > 0) return o.minCellSize;
  return Math.max(MIN_CELL_PIXELS, Math.round(MIN_CELL_FRACTION * Math.min(width, height)));
}

/** The analysis factor for a page (see FieldOptions.analysisScale). */
export function fieldScaleFor(width: number, height: number, options: Partial<FieldOptions> = {}): number {
  const o = { ...defaultFieldOptions, ...options };
  if (o.analysisScale > 0) return o.analysisScale;
  const f = Math.floor(minCellFor(width, height, o) / MIN_CELL_ANALYSIS);
  return Math.max(1, Math.min(MAX_AUTO_SCALE, f));
}

/** Every step-th pixel both ways: enough to tell the polarity of a page at a fraction of the cost. */
function subsample(image: GrayImage, step: number): GrayImage {
  if (step <= 1) return image;
  const w = Math.ceil(image.width / step);
  const h = Math.ceil(image.height / step);
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) data[y * w + x] = image.data[y * step * image.width + x * step];
  }
  return { width: w, height: h, data };
}

/** Shrinks by an integer factor keeping the inkiest pixel of each block (min on dark-on-light pages). */
function shrinkInk(image: GrayImage, f: number, darkInk: boolean): GrayImage {
  if (f === 1) return image;
  const { width: W, height: H, data } = image;
  const w = Math.ceil(W / f);
  const h = Math.ceil(H / f);
  // Dark ink: the minimum of each block (light ink: the maximum, through negation).
  const sign = darkInk ? 1 : -1;
  const out = new Float32Array(w * h).fill(Infinity);
  for (let y = 0; y < H; y++) {
    const o = ((y / f) | 0) * w;
    const p = y * W;
    for (let bx = 0, x = 0; bx < w; bx++) {
      let m = out[o + bx];
      const end = Math.min(W, x + f);
      for (; x < end; x++) {
        const v = sign * data[p + x];
        if (v < m) m = v;
      }
      out[o + bx] = m;
    }
  }
  if (!darkInk) for (let i = 0; i < out.length; i++) out[i] = -out[i];
  return { width: w, height: h, data: out };
}

/**
 * Thickens a line mask by one pixel across the lines and bridges gaps along them (horizontal: along
 * rows; vertical: along columns): any gap of up to `gap` pixels, and gaps of up to `inkGap` pixels that
 * are ink all the way (where a digit is written over the line, its stroke hides the line's own pixels,
 * which lines.ts then leaves out as thick ink). A short inked gap may also end on a line of the `other`
 * direction, so that a separator stopping short of the box's edge at a blot meets it.
 * Returns a new mask.
 */
function bridgeLines(
  lines: Uint8Array,
  other: Uint8Array,
  ink: Uint8Array,
  w: number,
  h: number,
  gap: number,
  inkGap: number,
  horizontal: boolean,
): Uint8Array {
  const out = new Uint8Array(w * h);
  // Across: a pixel next to a line pixel (above/below for horizontal lines) joins it.
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!lines[i]) continue;
      out[i] = 1;
      if (horizontal) {
        if (y > 0) out[i - w] = 1;
        if (y < h - 1) out[i + w] = 1;
      } else {
        if (x > 0) out[i - 1] = 1;
        if (x < w - 1) out[i + 1] = 1;
      }
    }
  }
  const along = horizontal ? w : h;
  const across = horizontal ? h : w;
  const step = horizontal ? 1 : w;
  const stride = horizontal ? w : 1;
  // Fills the gaps between endpoint pixels along each line of pixels: short ones always, longer ones
  // only when ink all the way.
  const fill = (src: Uint8Array, alsoOther: boolean, maxGap: number, maxInkGap: number) => {
    for (let a = 0; a < across; a++) {
      const base = a * stride;
      let last = -1;
      // Run of ink ending at the current position, to test "ink all the way" in O(1).
      let inkRun = 0;
      for (let t = 0; t < along; t++) {
        const i = base + t * step;
        if (!src[i] && !(alsoOther && other[i])) {
          inkRun = ink[i] ? inkRun + 1 : 0;
          continue;
        }
        const g = t - last - 1;
        if (last >= 0 && g > 0 && (g <= maxGap || (g <= maxInkGap && inkRun >= g))) {
          for (let u = last + 1; u < t; u++) out[base + u * step] = 1;
        }
        last = t;
        inkRun = 0;
      }
    }
  };
  // Along the line itself (under handwriting too), then short inked gaps to a crossing line.
  fill(out.slice(), false, gap, inkGap);
  fill(out.slice(), true, 0, gap);
  return out;
}

interface Hole {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
  region: CellRegion;
}

/**
 * The holes of one frame component: the regions of its bounding box, not on the component, that cannot
 * reach the box's border (4-connected).
 */
function holesOf(
  labels: Int32Array,
  aw: number,
  id: number,
  bx0: number,
  by0: number,
  bx1: number,
  by1: number,
  scale: number,
): Hole[] {
  const bw = bx1 - bx0;
  const bh = by1 - by0;
  // state: 0 = unvisited background, 1 = the component, 2 = outside, 3+ = hole ids.
  const state = new Int32Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) if (labels[(y + by0) * aw + x + bx0] === id) state[y * bw + x] = 1;
  }
  const stack = new Int32Array(bw * bh);
  // Flood fill from seed; returns the filled region's box and area.
  const fill = (seed: number, value: number) => {
    let top = 0;
    let x0 = bw;
    let y0 = bh;
    let x1 = -1;
    let y1 = -1;
    let area = 0;
    stack[top++] = seed;
    state[seed] = value;
    while (top > 0) {
      const k = stack[--top];
      const x = k % bw;
      const y = (k - x) / bw;
      area++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x > 0 && state[k - 1] === 0) {
        state[k - 1] = value;
        stack[top++] = k - 1;
      }
      if (x < bw - 1 && state[k + 1] === 0) {
        state[k + 1] = value;
        stack[top++] = k + 1;
      }
      if (y > 0 && state[k - bw] === 0) {
        state[k - bw] = value;
        stack[top++] = k - bw;
      }
      if (y < bh - 1 && state[k + bw] === 0) {
        state[k + bw] = value;
        stack[top++] = k + bw;
      }
    }
    return { x0, y0, x1, y1, area };
  };
  for (let x = 0; x < bw; x++) {
    if (state[x] === 0) fill(x, 2);
    if (state[(bh - 1) * bw + x] === 0) fill((bh - 1) * bw + x, 2);
  }
  for (let y = 0; y < bh; y++) {
    if (state[y * bw] === 0) fill(y * bw, 2);
    if (state[y * bw + bw - 1] === 0) fill(y * bw + bw - 1, 2);
  }
  const holes: Hole[] = [];
  let next = 3;
  for (let k = 0; k < state.length; k++) {
    if (state[k] !== 0) continue;
    const value = next++;
    const { x0, y0, x1, y1, area } = fill(k, value);
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    const mask = new Uint8Array(w * h);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) if (state[y * bw + x] === value) mask[(y - y0) * w + x - x0] = 1;
    }
    holes.push({
      x0: x0 + bx0,
      y0: y0 + by0,
      x1: x1 + 1 + bx0,
      y1: y1 + 1 + by0,
      area,
      region: { scale, width: w, height: h, mask },
    });
  }
  return holes;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * A line v = a + b t through the points (t0 + i, v[i]) (negative v: no point), robust to a good share
 * of them being off (a digit stroke bulging into the side, a speck): Theil-Sen, the median slope over
 * pairs at least half the span apart (short baselines would snap to the steps of a slightly skewed
 * line), and the median offset.
 */
function robustLine(v: Float64Array, t0: number): [number, number] {
  const n = v.length;
  const slopes: number[] = [];
  const half = Math.max(1, n >> 1);
  for (let i = 0; i + half < n; i++) {
    if (v[i] < 0) continue;
    for (let j = i + half; j < n; j++) if (v[j] >= 0) slopes.push((v[j] - v[i]) / (j - i));
  }
  const b = median(slopes);
  const offsets: number[] = [];
  for (let i = 0; i < n; i++) if (v[i] >= 0) offsets.push(v[i] - b * (t0 + i));
  return [median(offsets), b];
}

/**
 * Whether a hole is bounded by four straight sides: its leftmost (rightmost) pixel per row and topmost
 * (bottommost) per column, over the middle 80 % of each side (a skewed box's corners bend the ends),
 * mostly lie on one line (fitted robustly: see robustLine). A skewed box passes; an ellipse (the loop of
 * a digit) bends away from any line.
 */
function straightSides(r: CellRegion): boolean {
  const { width: w, height: h, mask } = r;
  const rowEdge = (last: boolean) => (y: number) => {
    const row = mask.subarray(y * w, y * w + w);
    return last ? row.lastIndexOf(1) : row.indexOf(1);
  };
  const colEdge = (last: boolean) => (x: number) => {
    for (let k = 0; k < h; k++) {
      const y = last ? h - 1 - k : k;
      if (mask[y * w + x]) return y;
    }
    return -1;
  };
  const sides: [number, number, (i: number) => number][] = [
    [h, w, rowEdge(false)],
    [h, w, rowEdge(true)],
    [w, h, colEdge(false)],
    [w, h, colEdge(true)],
  ];
  for (const [len, across, edge] of sides) {
    // The short sides of a long box are mostly corner once it is skewed, and no loop is that elongated:
    // only sides at least half as long as the other dimension are judged.
    if (len < 0.5 * across) continue;
    const t0 = Math.floor(0.1 * len);
    const n = Math.ceil(0.9 * len) - t0;
    if (n < 4) continue;
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = edge(t0 + i);
    const [a, b] = robustLine(v, t0);
    let inliers = 0;
    for (let i = 0; i < n; i++) if (Math.abs(v[i] - (a + b * (t0 + i))) <= SIDE_TOLERANCE) inliers++;
    if (inliers < SIDE_INLIERS * n) return false;
  }
  return true;
}

/** Groups cells into rows (vertical overlap of at least half the shorter), each left to right. */
function rowsOf<T extends { y0: number; y1: number; x0: number; x1: number }>(cells: T[]): T[][] {
  const rows: T[][] = [];
  const sorted = [...cells].sort((a, b) => a.y0 + a.y1 - (b.y0 + b.y1));
  for (const c of sorted) {
    const row = rows.find((r) => {
      const y0 = Math.min(...r.map((q) => q.y0));
      const y1 = Math.max(...r.map((q) => q.y1));
      return Math.min(y1, c.y1) - Math.max(y0, c.y0) >= 0.5 * Math.min(y1 - y0, c.y1 - c.y0);
    });
    if (row) row.push(c);
    else rows.push([c]);
  }
  for (const r of rows) r.sort((a, b) => a.x0 - b.x0);
  return rows;
}

/**
 * Finds the printed fields of a page (grey, paper polarity): closed outlines and combs of cells.
 * Returns them top to bottom, then left to right, each with its cells left to right. A page without
 * printed boxes gives no fields.
 */
export function findFields(image: GrayImage, options: Partial<FieldOptions> = {}): FieldScan {
  checkImage(image);
  const o = resolve(options);
  const f = fieldScaleFor(image.width, image.height, o);
  const polarity = o.polarity === 'auto' ? detectPolarity(subsample(image, 2 * f)) : o.polarity;
  const small = shrinkInk(image, f, polarity === 'dark-on-light');
  const aw = small.width;
  const ah = small.height;
  const none: FieldScan = { polarity, fields: [], scale: f };
  const minCell = minCellFor(image.width, image.height, o) / f;
  if (Math.min(aw, ah) < minCell) return none;
  const bin = binarize(small, { polarity });
  if (bin.blank) return none;
  const threshold = Math.max(
    LINE_MIN_CONTRAST,
    LINE_NOISE_FACTOR * bin.noise,
    o.lineContrast * bin.peakContrast,
  );
  const ink = new Uint8Array(aw * ah);
  let inkCount = 0;
  for (let i = 0; i < ink.length; i++) {
    if (bin.contrast[i] > threshold) {
      ink[i] = 1;
      inkCount++;
    }
  }
  if (inkCount === 0) return none;
  const mask = { width: aw, height: ah, data: ink };
  const side = Math.min(image.width, image.height);
  const thick =
    o.maxLineThickness > 0
      ? o.maxLineThickness
      : Math.max(MIN_LINE_THICKNESS, LINE_THICKNESS_FRACTION * side);
  const lineOptions = {
    minLength: Math.max(6, Math.round(0.8 * minCell)),
    // Blur and the darkest-pixel shrink widen a line by up to one analysis pixel.
    maxThickness: Math.ceil(thick / f) + 1,
    gap: 2,
  };
  const hLines = removeLines(mask, { ...lineOptions, horizontal: true, vertical: false });
  const vLines = removeLines(mask, { ...lineOptions, horizontal: false, vertical: true });
  if (hLines.removed === 0 || vLines.removed === 0) return none;
  const gap = Math.round(o.bridge * minCell);
  const inkGap = Math.round(INK_BRIDGE * minCell);
  const h = bridgeLines(hLines.lines, vLines.lines, ink, aw, ah, gap, inkGap, true);
  const v = bridgeLines(vLines.lines, hLines.lines, ink, aw, ah, gap, inkGap, false);
  const frame = new Uint8Array(aw * ah);
  for (let i = 0; i < frame.length; i++) frame[i] = h[i] | v[i];
  const lab = labelComponents({ width: aw, height: ah, data: frame }, 8);

  const frames: { box: Box; holes: Hole[] }[] = [];
  for (const c of lab.components) {
    const w = c.x1 - c.x0;
    const hh = c.y1 - c.y0;
    if (w < minCell || hh < minCell) continue;
    // Ruling and squared paper run off the edge of the picture; printed fields sit inside the page.
    if (c.x0 === 0 || c.y0 === 0 || c.x1 === aw || c.y1 === ah) continue;
    if (w * hh > o.maxFrameArea * aw * ah) continue;
    const holes = holesOf(lab.labels, aw, c.id, c.x0, c.y0, c.x1, c.y1, f).filter((q) => {
      const qw = q.x1 - q.x0;
      const qh = q.y1 - q.y0;
      // Cells are rectangles big enough for a digit, bounded by straight lines; the loops of a 0, 6, 8 or
      // 9 written with a thin pen are closed curves too, but curved.
      return (
        qw >= minCell &&
        qh >= minCell &&
        q.area >= CELL_FILL * qw * qh &&
        qw <= 40 * qh &&
        qh <= 8 * qw &&
        straightSides(q.region)
      );
    });
    if (holes.length > 0) frames.push({ box: { x: c.x0, y: c.y0, width: w, height: hh }, holes });
  }
  // A hole around another frame is an outline drawn around fields (a section, a page border), not a cell.
  const inside = (b: Box, q: Hole) =>
    b.x >= q.x0 && b.y >= q.y0 && b.x + b.width <= q.x1 && b.y + b.height <= q.y1;
  const found: { x0: number; y0: number; x1: number; y1: number; cells: Hole[] }[] = [];
  for (const fr of frames) {
    const cells = fr.holes.filter((q) => !frames.some((other) => other !== fr && inside(other.box, q)));
    for (const row of rowsOf(cells)) {
      found.push({
        x0: Math.min(...row.map((q) => q.x0)),
        y0: Math.min(...row.map((q) => q.y0)),
        x1: Math.max(...row.map((q) => q.x1)),
        y1: Math.max(...row.map((q) => q.y1)),
        cells: row,
      });
    }
  }
  const toPage = (x0: number, y0: number, x1: number, y1: number, pad: number): Box => {
    const X0 = Math.max(0, x0 * f - pad);
    const Y0 = Math.max(0, y0 * f - pad);
    const X1 = Math.min(image.width, x1 * f + pad);
    const Y1 = Math.min(image.height, y1 * f + pad);
    return { x: X0, y: Y0, width: X1 - X0, height: Y1 - Y0 };
  };
  const pad = Math.round(thick) + 1;
  const fields: Field[] = rowsOf(found).flatMap((row) =>
    row.map((fd) => ({
      box: toPage(fd.x0, fd.y0, fd.x1, fd.y1, pad),
      cells: fd.cells.map((q) => ({ box: toPage(q.x0, q.y0, q.x1, q.y1, 0), region: q.region })),
    })),
  );
  return { polarity, fields, scale: f };
}

/** Erodes a binary mask by one pixel (4-neighbourhood); pixels on the mask's border count as outside. */
function erode(mask: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      out[i] = mask[i] & mask[i - 1] & mask[i + 1] & mask[i - w] & mask[i + w];
    }
  }
  return out;
}

/**
 * Paper margin, pixels, that brings a w x h cut-out holding `ink` ink pixels down to at most
 * MAX_INK_SHARE ink, and at least CELL_PAD. binarize() takes the spread of the whole image for its noise,
 * so a bold digit filling a tight cut-out would pass for noise and not for ink.
 */
function padFor(w: number, h: number, ink: number): number {
  const need = ink / MAX_INK_SHARE;
  if (need <= (w + 2 * CELL_PAD) * (h + 2 * CELL_PAD)) return CELL_PAD;
  // (w + 2p)(h + 2p) = need  =>  4p^2 + 2(w + h)p + wh - need = 0.
  const b = 2 * (w + h);
  return Math.ceil((-b + Math.sqrt(b * b - 16 * (w * h - need))) / 8);
}

/** The paper level of some pixels: a high percentile of their lightness on the paper's side. */
function paperLevel(hist: Uint32Array, counted: number, dark: boolean): number {
  if (counted === 0) return dark ? 1 : 0;
  // Paper is the bulk of a cell, but a bold digit can cover half of it: take the paper side's 80th percentile.
  const target = counted * (dark ? 0.8 : 0.2);
  let acc = 0;
  let bin = 0;
  while (bin < 255 && (acc += hist[bin]) < target) bin++;
  return bin / 255;
}

/**
 * Cuts a cell out of the page: the pixels inside its region (eroded by one analysis pixel, away from the
 * printed line's blur), everything else set to the paper level of the inside, with a margin of paper
 * around it (see padFor). Returns the image and the margin.
 */
export function cellImage(
  image: GrayImage,
  cell: Cell,
  polarity: Polarity = 'dark-on-light',
): { image: GrayImage; pad: number } {
  checkImage(image);
  return cutCell(image, cell, polarity);
}

function cutCell(image: GrayImage, cell: Cell, polarity: Polarity): { image: GrayImage; pad: number } {
  const { box, region } = cell;
  const { scale: f, width: rw, height: rh } = region;
  const inside = erode(region.mask, rw, rh);
  const dark = polarity === 'dark-on-light';
  const hist = new Uint32Array(256);
  let counted = 0;
  const src = image.data;
  for (let y = 0; y < box.height; y++) {
    const ry = Math.min(rh - 1, (y / f) | 0);
    for (let x = 0; x < box.width; x++) {
      if (!inside[ry * rw + Math.min(rw - 1, (x / f) | 0)]) continue;
      const v = src[(box.y + y) * image.width + box.x + x];
      hist[Math.max(0, Math.min(255, Math.round(v * 255)))]++;
      counted++;
    }
  }
  const paper = paperLevel(hist, counted, dark);
  let ink = 0;
  const inkBin = Math.round((dark ? paper - INK_CONTRAST : paper + INK_CONTRAST) * 255);
  for (let b = 0; b < 256; b++) if (dark ? b < inkBin : b > inkBin) ink += hist[b];
  const pad = padFor(box.width, box.height, ink);
  const W = box.width + 2 * pad;
  const H = box.height + 2 * pad;
  const data = new Float32Array(W * H).fill(paper);
  for (let y = 0; y < box.height; y++) {
    const ry = Math.min(rh - 1, (y / f) | 0);
    const row = (y + pad) * W + pad;
    for (let x = 0; x < box.width; x++) {
      if (inside[ry * rw + Math.min(rw - 1, (x / f) | 0)])
        data[row + x] = src[(box.y + y) * image.width + box.x + x];
    }
  }
  return { image: { width: W, height: H, data }, pad };
}

/** Reads the digits of one cell; boxes come back in page pixels. */
function readCell(image: GrayImage, cell: Cell, polarity: Polarity, o: FieldOptions): LocatedDigit[] {
  const { image: img, pad } = cutCell(image, cell, polarity);
  const { width: cw, height: ch } = cell.box;
  const single = cw <= o.digitCellAspect * ch;
  const result = locate(img, {
    maxDigits: 40,
    ...o.locate,
    polarity,
    removeLines: false,
    minDigitHeight: Math.max(6, Math.round(CELL_MIN_DIGIT * ch)),
    maxDigitHeight: 1,
    // Touching digits are split by the reader, which checks each cut with the model (read.ts).
    split: false,
  });
  let digits = result.digits;
  if (single && digits.length > 1) {
    // One digit per cell: the biggest well-formed blob; the rest are specks and stray marks.
    const score = (d: LocatedDigit) => d.box.width * d.box.height * d.quality;
    digits = [digits.reduce((a, b) => (score(b) > score(a) ? b : a))];
  } else if (digits.length > 1) {
    // The digits of one number are written about the same size: a much shorter blob is a speck, a
    // dot or a broken-off piece, which the model would happily read as a 1.
    const heights = digits.map((d) => d.box.height).sort((a, b) => a - b);
    const median = heights[heights.length >> 1];
    digits = digits.filter((d) => d.box.height >= STRING_MIN_RELATIVE_HEIGHT * median);
  }
  const dx = cell.box.x - pad;
  const dy = cell.box.y - pad;
  return digits
    .map((d) => ({ ...d, box: { ...d.box, x: d.box.x + dx, y: d.box.y + dy } }))
    .sort((a, b) => a.box.x + a.box.width / 2 - (b.box.x + b.box.width / 2));
}

/**
 * Finds the printed fields of a page and reads each cell's digits (see the file comment). Fields with no
 * digit are kept (an empty field is an answer too).
 */
export function readFields(image: GrayImage, options: Partial<FieldOptions> = {}): FieldsResult {
  const o = resolve(options);
  const scan = findFields(image, o);
  return { polarity: scan.polarity, fields: readScanned(image, scan, o) };
}

/** Reads the cells of fields already found by findFields (so a caller can look before it reads). */
export function readScannedFields(
  image: GrayImage,
  scan: FieldScan,
  options: Partial<FieldOptions> = {},
): ReadField[] {
  checkImage(image);
  return readScanned(image, scan, resolve(options));
}

function readScanned(image: GrayImage, scan: FieldScan, o: FieldOptions): ReadField[] {
  return scan.fields.map((field) => ({
    box: field.box,
    cells: field.cells.map((c) => c.box),
    digits: field.cells.flatMap((cell, i) =>
      readCell(image, cell, scan.polarity, o).map((d) => ({ ...d, cell: i })),
    ),
  }));
}

/** Digits cut out by splitDigitBox keep at least this fraction of the box's height. */
const PART_MIN_HEIGHT = 0.3;
/** Cost of a seam stepping sideways by a pixel, against a pixel of full ink: seams stay straight on paper. */
const SEAM_STEP_COST = 0.02;

/**
 * The cheapest top-to-bottom path through an ink map (seam carving): one x per row, moving at most one
 * column per row, inside [lo, hi], crossing as little ink as it can. Slanted and overlapping digits are
 * separated where no straight column would do.
 */
function seam(ink: Float32Array, w: number, h: number, lo: number, hi: number): Int32Array {
  const span = hi - lo + 1;
  const acc = new Float32Array(span * h);
  const from = new Int8Array(span * h);
  for (let x = 0; x < span; x++) acc[x] = ink[lo + x];
  for (let y = 1; y < h; y++) {
    for (let x = 0; x < span; x++) {
      let best = acc[(y - 1) * span + x];
      let dir = 0;
      if (x > 0 && acc[(y - 1) * span + x - 1] + SEAM_STEP_COST < best) {
        best = acc[(y - 1) * span + x - 1] + SEAM_STEP_COST;
        dir = -1;
      }
      if (x < span - 1 && acc[(y - 1) * span + x + 1] + SEAM_STEP_COST < best) {
        best = acc[(y - 1) * span + x + 1] + SEAM_STEP_COST;
        dir = 1;
      }
      acc[y * span + x] = best + ink[y * w + lo + x];
      from[y * span + x] = dir;
    }
  }
  // Among equal costs, the end nearest the middle of the band.
  const mid = (span - 1) / 2;
  let end = 0;
  for (let x = 1; x < span; x++) {
    const a = acc[(h - 1) * span + x];
    const b = acc[(h - 1) * span + end];
    if (a < b - 1e-6 || (Math.abs(a - b) <= 1e-6 && Math.abs(x - mid) < Math.abs(end - mid))) end = x;
  }
  const path = new Int32Array(h);
  for (let y = h - 1, x = end; y >= 0; y--) {
    path[y] = lo + x;
    x += from[y * span + x];
  }
  return path;
}

/**
 * Cuts the region of one located blob into `parts` side-by-side pieces along seams of least ink near the
 * even division points, and normalises each piece as a digit. It is the raw material of
 * recognition-driven segmentation: two digits written touching look like one wide blob, and only a
 * classifier can tell a wide 0 from a 10, so the caller reads both and keeps the better. Returns null
 * when a piece holds no digit (the blob is not that many digits).
 */
export function splitDigitBox(
  image: GrayImage,
  box: Box,
  parts: number,
  polarity: Polarity,
  options: Partial<LocateOptions> = {},
): LocatedDigit[] | null {
  checkImage(image);
  return splitUnchecked(image, box, parts, polarity, options);
}

/** splitDigitBox without the image check (a page is checked once, not once per blob). */
export function splitUnchecked(
  image: GrayImage,
  box: Box,
  parts: number,
  polarity: Polarity,
  options: Partial<LocateOptions> = {},
): LocatedDigit[] | null {
  checkInteger(parts, 'parts', 2, 10);
  if (polarity !== 'dark-on-light' && polarity !== 'light-on-dark') {
    fail("'dark-on-light' or 'light-on-dark'", 'polarity', polarity);
  }
  checkNumber(box?.width, 'box.width', 1);
  checkNumber(box?.height, 'box.height', 1);
  const mx = 1;
  const my = Math.max(2, Math.round(0.15 * box.height));
  const x0 = Math.max(0, Math.round(box.x) - mx);
  const y0 = Math.max(0, Math.round(box.y) - my);
  const x1 = Math.min(image.width, Math.round(box.x + box.width) + mx);
  const y1 = Math.min(image.height, Math.round(box.y + box.height) + my);
  const w = x1 - x0;
  const h = y1 - y0;
  if (w < 3 * parts || h < 4) return null;
  const dark = polarity === 'dark-on-light';
  // Paper level, ink turned up: ink is what stands out from it.
  const hist = new Uint32Array(256);
  const up = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = image.data[(y + y0) * image.width + x + x0];
      const u = dark ? 1 - v : v;
      up[y * w + x] = u;
      hist[Math.max(0, Math.min(255, Math.round(u * 255)))]++;
    }
  }
  let acc = 0;
  let bin = 0;
  // The paper side's 20th percentile: touching digits can cover half of their box.
  while (bin < 255 && (acc += hist[bin]) < 0.2 * w * h) bin++;
  const paperUp = bin / 255;
  const ink = new Float32Array(w * h);
  for (let i = 0; i < ink.length; i++) ink[i] = Math.max(0, up[i] - paperUp - 0.05);
  // Seams, left to right, each in a band around its even division point and right of the previous one.
  const seams: Int32Array[] = [];
  const step = w / parts;
  for (let k = 1; k < parts; k++) {
    const prevMax = k === 1 ? -1 : Math.max(...seams[k - 2]);
    const lo = Math.max(prevMax + 2, Math.round(k * step - 0.35 * step), 1);
    const hi = Math.min(w - 2, Math.round(k * step + 0.35 * step));
    if (hi < lo) return null;
    seams.push(seam(ink, w, h, lo, hi));
  }
  let inkPixels = 0;
  for (let i = 0; i < ink.length; i++) if (ink[i] > INK_CONTRAST) inkPixels++;
  const pad = padFor(w, h, inkPixels / parts);
  const pw = w + 2 * pad;
  const ph = h + 2 * pad;
  const paperValue = dark ? 1 - paperUp : paperUp;
  const out: LocatedDigit[] = [];
  for (let k = 0; k < parts; k++) {
    const data = new Float32Array(pw * ph).fill(paperValue);
    for (let y = 0; y < h; y++) {
      const a = k === 0 ? 0 : seams[k - 1][y];
      const b = k === parts - 1 ? w : seams[k][y];
      const src = (y0 + y) * image.width + x0;
      if (b > a) data.set(image.data.subarray(src + a, src + b), (y + pad) * pw + pad + a);
    }
    const found = locate(
      { width: pw, height: ph, data },
      {
        ...options,
        polarity,
        removeLines: false,
        split: false,
        minDigitHeight: Math.max(4, Math.round(PART_MIN_HEIGHT * box.height)),
        maxDigitHeight: 1,
      },
    ).digits;
    if (found.length === 0) return null;
    const d = found.reduce((p, q) => (q.box.width * q.box.height > p.box.width * p.box.height ? q : p));
    out.push({ ...d, box: { ...d.box, x: d.box.x + x0 - pad, y: d.box.y + y0 - pad } });
  }
  return out;
}
