/**
 * Finding the digits on a page: a camera frame, a photo or a scan, in paper polarity.
 *
 * The page is analysed at a reduced resolution (an integer box-filter shrink, which also averages sensor
 * noise away): local binarisation against the estimated paper level (binarize.ts), removal of ruled and
 * printed lines (lines.ts), 8-connected components (components.ts). Components become digits in four
 * steps: specks are dropped; fragments of one digit (a 5's detached flag, a broken 4, a 1 with a gap)
 * are merged into the piece they overlap or nearly touch; components far wider than a digit are split
 * at the columns of least ink; what is left is scored and filtered by size, shape, density and contrast,
 * and the digits are put in reading order (lines top to bottom, left to right; strings split at wide
 * gaps). Each digit is then cropped from the full-resolution image as contrast against the paper level
 * (so shading does not leak in), with the ink of every other component masked out, and normalised to
 * MNIST's 28x28 by normalize().
 */
import {
  binarizeUnchecked,
  checkBinarizeOptions,
  defaultBinarizeOptions,
  inkContrast,
  type BackgroundGrid,
  type BinarizeOptions,
} from './binarize.ts';
import { labelComponents } from './components.ts';
import { checkImage, MAX_PIXELS, type GrayImage, type Polarity } from './image.ts';
import {
  checkLineRemovalOptions,
  defaultLineRemovalOptions,
  removeLines,
  type LineRemovalOptions,
} from './lines.ts';
import { normalize, type NormalizeOptions } from './normalize.ts';
import { checkInteger, checkNumber, fail } from './validate.ts';

/** A rectangle in pixels of the input image. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LocatedDigit {
  /** Bounding box of the digit's ink in the input image. */
  box: Box;
  /** The digit normalised to MNIST (28 x 28 = 784 values in [0, 1], ink = 1), from normalize(). */
  pixels: Float32Array;
  /** How digit-like the blob is, 0..1 (size, shape, ink density, contrast; lower when split or cut). */
  quality: number;
}

/** One line, or one group of a line separated from the next by a wide gap: a number. */
export interface LocatedString {
  box: Box;
  /** Left to right. */
  digits: LocatedDigit[];
}

export interface LocateResult {
  polarity: Polarity;
  /** Top to bottom, then left to right. */
  strings: LocatedString[];
  /** All digits in reading order (the strings' digits, concatenated). */
  digits: LocatedDigit[];
}

export interface LocateOptions {
  /** Which side the ink is on (dark pen on paper, chalk on a board); 'auto' asks detectPagePolarity. */
  polarity: Polarity | 'auto';
  /**
   * Integer factor the page is shrunk by for analysis; 0 picks it from minDigitHeight (a digit keeps at
   * least 5 analysis pixels, so 3 for the default 16). Digits are always cropped from the full-resolution
   * image.
   */
  analysisScale: number;
  /** Shortest digit, pixels of the input image. */
  minDigitHeight: number;
  /** Tallest digit, as a fraction of the page height. */
  maxDigitHeight: number;
  /** Digits shorter than this fraction of the page's typical digit height are dropped (specks, dots). */
  minRelativeHeight: number;
  binarize: Partial<BinarizeOptions>;
  removeLines: boolean;
  lines: Partial<LineRemovalOptions>;
  /** Merge the fragments of one digit. */
  merge: boolean;
  /** Split blobs wider than maxAspect (width / height) into touching digits. */
  split: boolean;
  maxAspect: number;
  /** Most digits one blob is split into. */
  maxParts: number;
  /** A gap wider than this fraction of the line's digit height starts a new string. */
  stringGap: number;
  /** Digits with a lower quality are dropped. */
  minQuality: number;
  /** At most this many digits, the best by quality, are returned. */
  maxDigits: number;
  normalize: Partial<NormalizeOptions>;
}

export const defaultLocateOptions: LocateOptions = {
  polarity: 'auto',
  analysisScale: 0,
  minDigitHeight: 16,
  maxDigitHeight: 0.95,
  minRelativeHeight: 0.4,
  binarize: {},
  removeLines: true,
  lines: {},
  merge: true,
  split: true,
  maxAspect: 1.25,
  maxParts: 6,
  stringGap: 0.8,
  minQuality: 0.3,
  maxDigits: 200,
  normalize: {},
};

/** Analysis never shrinks a page below this many pixels on its shorter side. */
const MIN_ANALYSIS_SIDE = 64;
/** Pixels a digit keeps in the analysis image when analysisScale is auto. */
const ANALYSIS_DIGIT_PIXELS = 5;
const MAX_AUTO_SCALE = 4;
/** Ink value (after stretching to the digit's stroke contrast) that counts toward the reported box. */
const BOX_INK = 0.25;
/** Percentile of a digit's ink contrast that maps to full ink (1): strokes saturate, as in MNIST. */
const STROKE_PERCENTILE = 0.8;
/** Lines are searched at this fraction of the ink threshold (and of the noise floor). */
const LINE_THRESHOLD = 0.35;
/** A split cut may cross at most this many strokes' width of ink (touching digits meet in about one). */
const SPLIT_MAX_STROKES = 1.6;
/** Blobs wider than this multiple of maxAspect are split even through thick ink (two 0s side by side meet
 * along a whole stroke). */
const SPLIT_FORCE_ASPECT = 1.12;
/** Each part of a split must be at least this fraction of the blob's height. */
const SPLIT_MIN_PART_HEIGHT = 0.6;
/** Margin kept around a digit's mask for the soft edge of its strokes, as a fraction of its height. */
const EDGE_MARGIN = 0.02;
/** Contrast below this fraction of the threshold is paper noise and maps to 0. */
const INK_FLOOR = 0.5;

export function checkLocateOptions(o: LocateOptions, name = 'options'): void {
  if (o.polarity !== 'auto' && o.polarity !== 'dark-on-light' && o.polarity !== 'light-on-dark') {
    fail("'auto', 'dark-on-light' or 'light-on-dark'", `${name}.polarity`, o.polarity);
  }
  checkInteger(o.analysisScale, `${name}.analysisScale`, 0, 64);
  checkNumber(o.minDigitHeight, `${name}.minDigitHeight`, 1);
  checkNumber(o.maxDigitHeight, `${name}.maxDigitHeight`, 0, 1);
  checkNumber(o.minRelativeHeight, `${name}.minRelativeHeight`, 0, 1);
  if (typeof o.binarize !== 'object' || o.binarize === null)
    fail('an object', `${name}.binarize`, o.binarize);
  checkBinarizeOptions({ ...defaultBinarizeOptions, ...o.binarize }, `${name}.binarize`);
  if (typeof o.removeLines !== 'boolean') fail('a boolean', `${name}.removeLines`, o.removeLines);
  if (typeof o.lines !== 'object' || o.lines === null) fail('an object', `${name}.lines`, o.lines);
  checkLineRemovalOptions({ ...defaultLineRemovalOptions, ...o.lines }, `${name}.lines`);
  if (typeof o.merge !== 'boolean') fail('a boolean', `${name}.merge`, o.merge);
  if (typeof o.split !== 'boolean') fail('a boolean', `${name}.split`, o.split);
  checkNumber(o.maxAspect, `${name}.maxAspect`, 0.1, 100);
  checkInteger(o.maxParts, `${name}.maxParts`, 1, 100);
  checkNumber(o.stringGap, `${name}.stringGap`, 0);
  checkNumber(o.minQuality, `${name}.minQuality`, 0, 1);
  checkInteger(o.maxDigits, `${name}.maxDigits`, 0);
  if (typeof o.normalize !== 'object' || o.normalize === null) {
    fail('an object', `${name}.normalize`, o.normalize);
  }
}

/** The analysis factor for an image (see LocateOptions.analysisScale). */
export function analysisScaleFor(
  width: number,
  height: number,
  options: Partial<LocateOptions> = {},
): number {
  const o = { ...defaultLocateOptions, ...options };
  let f = o.analysisScale > 0 ? o.analysisScale : Math.floor(o.minDigitHeight / ANALYSIS_DIGIT_PIXELS);
  if (o.analysisScale === 0) f = Math.min(MAX_AUTO_SCALE, f);
  while (f > 1 && Math.min(width, height) / f < MIN_ANALYSIS_SIDE) f--;
  return Math.max(1, f);
}

/** Shrinks by an integer factor, averaging f x f blocks (partial blocks at the right and bottom edges). */
function shrink(image: GrayImage, f: number): GrayImage {
  const { width: W, height: H, data } = image;
  const w = Math.ceil(W / f);
  const h = Math.ceil(H / f);
  const out = new Float32Array(w * h);
  const full = Math.floor(W / f);
  const lastW = W - (w - 1) * f;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const rows = Math.min(f, H - y * f);
    for (let r = 0; r < rows; r++) {
      const p = (y * f + r) * W;
      // Whole blocks: f consecutive pixels each (no index tables, no scattered writes).
      if (f === 2) {
        for (let x = 0, a = p; x < full; x++, a += 2) out[o + x] += data[a] + data[a + 1];
      } else if (f === 3) {
        for (let x = 0, a = p; x < full; x++, a += 3) out[o + x] += data[a] + data[a + 1] + data[a + 2];
      } else {
        for (let x = 0, a = p; x < full; x++, a += f) {
          let acc = data[a];
          for (let k = 1; k < f; k++) acc += data[a + k];
          out[o + x] += acc;
        }
      }
      if (full < w) {
        let acc = 0;
        for (let a = p + full * f; a < p + W; a++) acc += data[a];
        out[o + full] += acc;
      }
    }
    const norm = 1 / (rows * f);
    for (let x = 0; x < full; x++) out[o + x] *= norm;
    if (full < w) out[o + full] /= rows * lastW;
  }
  return { width: w, height: h, data: out };
}

/** Shape checks of checkImage, without its per-pixel pass (done on the shrunk copy instead). */
function checkImageShape(image: unknown): GrayImage {
  if (typeof image !== 'object' || image === null) fail('a GrayImage {width, height, data}', 'image', image);
  const { width, height, data } = image as GrayImage;
  checkInteger(width, 'image.width', 1);
  checkInteger(height, 'image.height', 1);
  if (width * height > MAX_PIXELS)
    fail(`at most ${MAX_PIXELS} pixels`, 'image.width * image.height', width * height);
  if (!(data instanceof Float32Array)) fail('a Float32Array', 'image.data', data);
  if (data.length !== width * height) {
    fail(`length ${width * height} (width * height)`, 'image.data.length', data.length);
  }
  return image as GrayImage;
}

/**
 * Shrinks the page for analysis and validates its values on the way: a NaN or infinity anywhere
 * poisons its block's mean, and then the full check runs to name the pixel.
 */
function analysisImage(image: GrayImage, f: number): GrayImage {
  if (f === 1) return checkImage(image);
  const small = shrink(image, f);
  const d = small.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) checkImage(image);
  return small;
}

/** A blob being turned into a digit, in analysis pixels (x1, y1 exclusive). */
interface Blob {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
  contrast: number;
  /** Component ids it is made of. */
  ids: number[];
  alive: boolean;
  /** A fragment was merged in side by side: the seam must not be split again. */
  joined: boolean;
}

/** A digit candidate: the pixels of blob `blob` with xa <= x < xb. */
interface Candidate {
  blob: number;
  xa: number;
  xb: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
  contrast: number;
  split: boolean;
  quality: number;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function ramp(v: number, lo: number, hi: number, atLo: number): number {
  if (v <= lo) return atLo;
  if (v >= hi) return 1;
  return atLo + ((1 - atLo) * (v - lo)) / (hi - lo);
}

/** Typical digit height among blobs at least minH tall: the median of the tall ones. */
function typicalHeight(blobs: Blob[], minH: number): number {
  const hs = blobs.filter((b) => b.alive && b.y1 - b.y0 >= minH).map((b) => b.y1 - b.y0);
  if (hs.length === 0) return 0;
  hs.sort((a, b) => a - b);
  const ref = hs[Math.min(hs.length - 1, Math.floor(hs.length * 0.9))];
  return median(hs.filter((h) => h >= 0.4 * ref));
}

/**
 * Merges fragments into the blob they belong to. A fragment is short (under 3/4 of the digit height) or
 * small (under 30 % of the other's ink) and off the page border; it joins the nearest blob it overlaps
 * horizontally, or nearly touches, when the union is no taller or wider than one digit can be.
 */
function mergeFragments(blobs: Blob[], H: number, width: number, height: number): void {
  const order = blobs.map((_, i) => i).sort((a, b) => blobs[a].area - blobs[b].area);
  for (const ai of order) {
    const a = blobs[ai];
    // A fragment on the page border is the border's (a shadow, the desk), not a digit's.
    if (!a.alive || a.x0 === 0 || a.y0 === 0 || a.x1 === width || a.y1 === height) continue;
    let best = -1;
    let bestScore = Infinity;
    let bestJoined = false;
    for (let bi = 0; bi < blobs.length; bi++) {
      const b = blobs[bi];
      if (bi === ai || !b.alive || b.area < a.area) continue;
      const ha = a.y1 - a.y0;
      const hb = b.y1 - b.y0;
      const ref = Math.max(H, hb);
      const fragment = ha <= 0.75 * ref || a.area <= 0.3 * b.area;
      if (!fragment) continue;
      const overlapX = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
      const gapY = Math.max(0, Math.max(a.y0, b.y0) - Math.min(a.y1, b.y1));
      if (gapY > 0.3 * ref) continue;
      const minW = Math.min(a.x1 - a.x0, b.x1 - b.x0);
      const uh = Math.max(a.y1, b.y1) - Math.min(a.y0, b.y0);
      const uw = Math.max(a.x1, b.x1) - Math.min(a.x0, b.x0);
      if (uw > 1.6 * ref) continue;
      // Stacked (a 1 with a gap, a 5's flag over its body) or side by side and all but touching (a 4
      // broken at its crossbar, a flag reaching sideways).
      const stacked = overlapX >= 0.3 * minW && uh <= 1.8 * ref;
      const touching = !stacked && overlapX > -0.04 * ref && uh <= 1.3 * ref;
      if (!stacked && !touching) continue;
      const score = gapY + Math.max(0, -overlapX) - 0.1 * Math.max(0, overlapX);
      if (score < bestScore) {
        bestScore = score;
        best = bi;
        bestJoined = touching;
      }
    }
    if (best < 0) continue;
    const b = blobs[best];
    b.x0 = Math.min(a.x0, b.x0);
    b.y0 = Math.min(a.y0, b.y0);
    b.x1 = Math.max(a.x1, b.x1);
    b.y1 = Math.max(a.y1, b.y1);
    b.area += a.area;
    b.contrast += a.contrast;
    b.ids.push(...a.ids);
    b.joined ||= bestJoined;
    a.alive = false;
  }
}

interface AnalysisContext {
  width: number;
  height: number;
  labels: Int32Array;
  /** Per component id: the blob it belongs to, -1 when dropped. */
  blobOf: Int32Array;
  contrast: Float32Array;
}

/** Tight box, ink area and contrast of the pixels of blob `blob` in columns [xa, xb) of a region. */
function measure(ctx: AnalysisContext, blob: number, xa: number, xb: number, y0: number, y1: number) {
  let bx0 = xb;
  let by0 = y1;
  let bx1 = -1;
  let by1 = -1;
  let area = 0;
  let contrast = 0;
  for (let y = y0; y < y1; y++) {
    const row = y * ctx.width;
    for (let x = xa; x < xb; x++) {
      const l = ctx.labels[row + x];
      if (l === 0 || ctx.blobOf[l] !== blob) continue;
      area++;
      contrast += ctx.contrast[row + x];
      if (x < bx0) bx0 = x;
      if (x > bx1) bx1 = x;
      if (y < by0) by0 = y;
      by1 = y;
    }
  }
  return { x0: bx0, y0: by0, x1: bx1 + 1, y1: by1 + 1, area, contrast };
}

/**
 * Plans the split of a blob into `parts` digits at the columns of least ink near the even division
 * points. Returns the cut columns, or null when a cut would go through more than one stroke's worth of
 * ink (a single wide digit: a 0 or a 2 has two strokes wherever it is cut, touching digits meet in
 * about one), unless `force`.
 */
function planSplit(
  ctx: AnalysisContext,
  bi: number,
  b: Blob,
  parts: number,
  force: boolean,
): number[] | null {
  const w = b.x1 - b.x0;
  const proj = new Int32Array(w);
  // Stroke width ~ area / half the perimeter (a stroke of length L and width t: L t / (L + t)).
  let edges = 0;
  const { labels, blobOf, width } = ctx;
  const owned = (x: number, y: number): boolean => {
    const l = labels[y * width + x];
    return l !== 0 && blobOf[l] === bi;
  };
  for (let y = b.y0; y < b.y1; y++) {
    for (let x = b.x0; x < b.x1; x++) {
      if (!owned(x, y)) continue;
      proj[x - b.x0]++;
      if (x === b.x0 || !owned(x - 1, y)) edges++;
      if (x === b.x1 - 1 || !owned(x + 1, y)) edges++;
      if (y === b.y0 || !owned(x, y - 1)) edges++;
      if (y === b.y1 - 1 || !owned(x, y + 1)) edges++;
    }
  }
  const stroke = (2 * b.area) / Math.max(1, edges);
  const cuts = [b.x0];
  const step = w / parts;
  for (let k = 1; k < parts; k++) {
    const centre = k * step;
    const lo = Math.max(1, Math.round(centre - 0.3 * step));
    const hi = Math.min(w - 1, Math.round(centre + 0.3 * step));
    let bestX = Math.round(centre);
    let bestCost = Infinity;
    for (let x = lo; x <= hi; x++) {
      // Least ink, and among equals the column nearest the even division.
      const cost = proj[x] * (1 + (0.5 * Math.abs(x - centre)) / step) + (1e-3 * Math.abs(x - centre)) / step;
      if (cost < bestCost) {
        bestCost = cost;
        bestX = x;
      }
    }
    if (!force && proj[bestX] > SPLIT_MAX_STROKES * stroke) return null;
    cuts.push(b.x0 + bestX);
  }
  cuts.push(b.x1);
  return cuts;
}

/**
 * The candidates of a blob cut at `cuts` (parts holding almost no ink are dropped). Null when a part is
 * much shorter than the blob, unless `force`: digits side by side are about as tall as each other, while
 * a cut that leaves a short piece has cut off a 5's flag or a 3's tail, not a neighbour.
 */
function splitBlob(
  ctx: AnalysisContext,
  bi: number,
  b: Blob,
  cuts: number[],
  force: boolean,
): Candidate[] | null {
  const out: Candidate[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const m = measure(ctx, bi, cuts[k], cuts[k + 1], b.y0, b.y1);
    if (m.area < 0.05 * b.area || m.x1 - m.x0 < 2) continue;
    if (!force && m.y1 - m.y0 < SPLIT_MIN_PART_HEIGHT * (b.y1 - b.y0)) return null;
    out.push({ blob: bi, xa: cuts[k], xb: cuts[k + 1], ...m, split: true, quality: 0 });
  }
  return out;
}

/**
 * How much of a candidate's box side that lies on the page border is ink: the largest such fraction over
 * the sides on the border (0 when none is).
 */
function borderContact(ctx: AnalysisContext, c: Candidate): number {
  const { width, height, labels, blobOf } = ctx;
  const owned = (x: number, y: number): number => {
    if (x < c.xa || x >= c.xb) return 0;
    const l = labels[y * width + x];
    return l !== 0 && blobOf[l] === c.blob ? 1 : 0;
  };
  let worst = 0;
  const side = (n: number, at: (k: number) => number, len: number): void => {
    let count = 0;
    for (let k = 0; k < len; k++) count += at(k);
    worst = Math.max(worst, count / Math.max(1, n));
  };
  const w = c.x1 - c.x0;
  const h = c.y1 - c.y0;
  if (c.y0 === 0) side(w, (k) => owned(c.x0 + k, 0), w);
  if (c.y1 === height) side(w, (k) => owned(c.x0 + k, height - 1), w);
  if (c.x0 === 0) side(h, (k) => owned(0, c.y0 + k), h);
  if (c.x1 === width) side(h, (k) => owned(width - 1, c.y0 + k), h);
  return worst;
}

/** Quality of a candidate (see LocatedDigit.quality). */
function scoreCandidate(
  c: Candidate,
  minH: number,
  typical: number,
  threshold: number,
  edge: boolean,
): number {
  const w = c.x1 - c.x0;
  const h = c.y1 - c.y0;
  const aspect = w / h;
  const density = c.area / (w * h);
  const meanContrast = c.contrast / Math.max(1, c.area);
  let q = 1;
  q *= aspect <= 1.1 ? 1 : Math.max(0.1, 1 - (aspect - 1.1));
  q *= h / w > 15 ? 0.5 : 1;
  q *= density < 0.05 ? Math.max(0.1, density / 0.05) : 1;
  if (density > 0.8 && aspect > 0.4) q *= Math.max(0.2, 1 - (density - 0.8) * 4);
  q *= ramp(meanContrast / threshold, 1, 2.5, 0.3);
  q *= ramp(h / minH, 1, 2, 0.5);
  q *= ramp(h / Math.max(1, typical), 0.4, 0.6, 0.5);
  if (edge) q *= 0.6;
  if (c.split) q *= 0.85;
  return Math.max(0, Math.min(1, q));
}

function unionBox(boxes: Box[]): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const b of boxes) {
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.width);
    y1 = Math.max(y1, b.y + b.height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Groups digits into lines (vertical overlap), lines into strings (wide gaps), in reading order. */
export function readingOrder(
  digits: LocatedDigit[],
  stringGap = defaultLocateOptions.stringGap,
): LocatedString[] {
  const byTop = [...digits].sort((a, b) => a.box.y + a.box.height / 2 - (b.box.y + b.box.height / 2));
  const lines: { y0: number; y1: number; digits: LocatedDigit[] }[] = [];
  for (const d of byTop) {
    const dy0 = d.box.y;
    const dy1 = d.box.y + d.box.height;
    let best: (typeof lines)[number] | null = null;
    let bestOverlap = 0;
    for (const line of lines) {
      // Overlap with the line's mean extent, relative to the shorter of the two.
      const ly0 = line.y0 / line.digits.length;
      const ly1 = line.y1 / line.digits.length;
      const overlap = (Math.min(dy1, ly1) - Math.max(dy0, ly0)) / Math.min(dy1 - dy0, ly1 - ly0);
      if (overlap > bestOverlap) {
        bestOverlap = overlap;
        best = line;
      }
    }
    if (best && bestOverlap >= 0.4) {
      best.digits.push(d);
      best.y0 += dy0;
      best.y1 += dy1;
    } else lines.push({ y0: dy0, y1: dy1, digits: [d] });
  }
  lines.sort((a, b) => (a.y0 + a.y1) / a.digits.length - (b.y0 + b.y1) / b.digits.length);
  const strings: LocatedString[] = [];
  for (const line of lines) {
    line.digits.sort((a, b) => a.box.x + a.box.width / 2 - (b.box.x + b.box.width / 2));
    const h = median(line.digits.map((d) => d.box.height));
    let current: LocatedDigit[] = [];
    for (const d of line.digits) {
      const prev = current[current.length - 1];
      if (prev && d.box.x - (prev.box.x + prev.box.width) > stringGap * h) {
        strings.push({ box: unionBox(current.map((c) => c.box)), digits: current });
        current = [];
      }
      current.push(d);
    }
    if (current.length) strings.push({ box: unionBox(current.map((c) => c.box)), digits: current });
  }
  return strings;
}

interface CropContext extends AnalysisContext {
  image: GrayImage;
  factor: number;
  polarity: Polarity;
  background: BackgroundGrid;
  lines: Uint8Array | null;
  threshold: number;
}

/** Square dilation of a 0/1 mask by radius r (separable running counts). */
function dilate(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const tmp = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    let count = 0;
    const row = y * w;
    for (let x = 0; x < Math.min(r, w); x++) count += mask[row + x];
    for (let x = 0; x < w; x++) {
      if (x + r < w) count += mask[row + x + r];
      if (x - r - 1 >= 0) count -= mask[row + x - r - 1];
      tmp[row + x] = count > 0 ? 1 : 0;
    }
  }
  const out = new Uint8Array(w * h);
  for (let x = 0; x < w; x++) {
    let count = 0;
    for (let y = 0; y < Math.min(r, h); y++) count += tmp[y * w + x];
    for (let y = 0; y < h; y++) {
      if (y + r < h) count += tmp[(y + r) * w + x];
      if (y - r - 1 >= 0) count -= tmp[(y - r - 1) * w + x];
      out[y * w + x] = count > 0 ? 1 : 0;
    }
  }
  return out;
}

/**
 * Cuts a candidate out of the full-resolution image as an ink image (MNIST polarity): contrast against
 * the paper level, stretched so that the stroke saturates, with everything but the candidate's own ink
 * (and a margin around it for the anti-aliased edge) masked to 0.
 */
function cropCandidate(ctx: CropContext, c: Candidate): { box: Box; ink: GrayImage } | null {
  const { width: aw, height: ah, labels, blobOf, factor: f, image, background: grid } = ctx;
  // The mask was cut at a contrast threshold; the anti-aliased edge of a stroke reaches further, by an
  // amount that grows with the digit (the edge of an upscaled stroke is wide).
  const r = Math.max(1, Math.round(EDGE_MARGIN * (c.y1 - c.y0)));
  const ax0 = Math.max(0, c.x0 - r);
  const ay0 = Math.max(0, c.y0 - r);
  const ax1 = Math.min(aw, c.x1 + r);
  const ay1 = Math.min(ah, c.y1 + r);
  const kw = ax1 - ax0;
  const kh = ay1 - ay0;
  // own: the candidate's pixels; keep: own dilated by r, minus other ink and removed lines.
  const own = new Uint8Array(kw * kh);
  for (let y = ay0; y < ay1; y++) {
    for (let x = Math.max(ax0, c.xa); x < Math.min(ax1, c.xb); x++) {
      const l = labels[y * aw + x];
      if (l !== 0 && blobOf[l] === c.blob) own[(y - ay0) * kw + x - ax0] = 1;
    }
  }
  const keep = dilate(own, kw, kh, r);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const k = y * kw + x;
      if (!keep[k] || own[k]) continue;
      const i = (y + ay0) * aw + x + ax0;
      if (labels[i] !== 0 || (ctx.lines !== null && ctx.lines[i])) keep[k] = 0;
    }
  }
  const X0 = ax0 * f;
  const Y0 = ay0 * f;
  const X1 = Math.min(image.width, ax1 * f);
  const Y1 = Math.min(image.height, ay1 * f);
  const cw = X1 - X0;
  const ch = Y1 - Y0;
  const out = new Float32Array(cw * ch);
  const src = image.data;
  const W = image.width;
  const dark = ctx.polarity === 'dark-on-light';
  const { cols, rows, block, values } = grid;
  const cell = block * f;
  const hist = new Uint32Array(256);
  let counted = 0;
  // Per column of the crop: its keep-mask column and its place between grid nodes.
  const kx = new Int32Array(cw);
  const gi0 = new Int32Array(cw);
  const gi1 = new Int32Array(cw);
  const gfx = new Float32Array(cw);
  for (let x = X0; x < X1; x++) {
    kx[x - X0] = Math.min(kw - 1, ((x / f) | 0) - ax0);
    const gx = Math.min(cols - 1, Math.max(0, (x + 0.5) / cell - 0.5));
    gi0[x - X0] = gx | 0;
    gi1[x - X0] = Math.min(cols - 1, (gx | 0) + 1);
    gfx[x - X0] = gx - (gx | 0);
  }
  const threshold = ctx.threshold;
  for (let y = Y0; y < Y1; y++) {
    const ky = Math.min(kh - 1, ((y / f) | 0) - ay0) * kw;
    const gy = Math.min(rows - 1, Math.max(0, (y + 0.5) / cell - 0.5));
    const r0 = (gy | 0) * cols;
    const r1 = Math.min(rows - 1, (gy | 0) + 1) * cols;
    const fy = gy - (gy | 0);
    const row = y * W + X0;
    const o = (y - Y0) * cw;
    for (let x = 0; x < cw; x++) {
      if (!keep[ky + kx[x]]) continue;
      const fx = gfx[x];
      const top = values[r0 + gi0[x]] * (1 - fx) + values[r0 + gi1[x]] * fx;
      const bottom = values[r1 + gi0[x]] * (1 - fx) + values[r1 + gi1[x]] * fx;
      const cst = inkContrast(src[row + x], top * (1 - fy) + bottom * fy, dark);
      if (cst <= 0) continue;
      out[o + x] = cst;
      if (cst > threshold) {
        hist[cst >= 1 ? 255 : (cst * 255) | 0]++;
        counted++;
      }
    }
  }
  if (counted === 0) return null;
  // The stroke level: a high percentile of the ink's contrast.
  let acc = 0;
  let bin = 0;
  while (bin < 255 && (acc += hist[bin]) < counted * STROKE_PERCENTILE) bin++;
  const hi = (bin + 0.5) / 255;
  const lo = INK_FLOOR * ctx.threshold;
  const span = Math.max(1e-3, hi - lo);
  let bx0 = cw;
  let by0 = ch;
  let bx1 = -1;
  let by1 = -1;
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const k = y * cw + x;
      let v = (out[k] - lo) / span;
      v = v <= 0 ? 0 : v >= 1 ? 1 : v;
      out[k] = v;
      if (v >= BOX_INK) {
        if (x < bx0) bx0 = x;
        if (x > bx1) bx1 = x;
        if (y < by0) by0 = y;
        by1 = y;
      }
    }
  }
  if (bx1 < 0) return null;
  return {
    box: { x: X0 + bx0, y: Y0 + by0, width: bx1 - bx0 + 1, height: by1 - by0 + 1 },
    ink: { width: cw, height: ch, data: out },
  };
}

/**
 * Finds the digits on a page (grey, paper polarity, values in [0, 1]) and normalises each to MNIST's
 * 28x28. A blank or noise-only page gives no digits.
 */
export function locate(image: GrayImage, options: Partial<LocateOptions> = {}): LocateResult {
  checkImageShape(image);
  if (typeof options !== 'object' || options === null) fail('an object', 'options', options);
  const opts: LocateOptions = { ...defaultLocateOptions, ...options };
  checkLocateOptions(opts);
  const f = analysisScaleFor(image.width, image.height, opts);
  const small = analysisImage(image, f);

  // Lines are searched at a fraction of the thresholds: a faint ruling breaks up into dashes at full.
  const bin = binarizeUnchecked(
    small,
    { ...defaultBinarizeOptions, ...opts.binarize, polarity: opts.polarity },
    opts.removeLines ? LINE_THRESHOLD : 0,
  );
  const polarity = bin.polarity;
  const empty: LocateResult = { polarity, strings: [], digits: [] };
  if (bin.blank) return empty;
  const aw = small.width;
  const ah = small.height;
  let mask = bin.mask;
  let lines: Uint8Array | null = null;
  if (bin.faint) {
    const r = removeLines(bin.faint, opts.lines);
    if (r.removed > 0) {
      lines = r.lines;
      const data = mask.data.slice();
      for (let i = 0; i < data.length; i++) if (lines[i]) data[i] = 0;
      mask = { width: aw, height: ah, data };
    }
  }
  const contrast = bin.contrast;
  const lab = labelComponents(mask, 8, contrast);
  const n = lab.components.length;
  if (n === 0) return empty;
  const sums = lab.weightSums!;

  const minH = opts.minDigitHeight / f;
  // Specks: smaller than a third of the shortest digit both ways.
  const blobs: Blob[] = [];
  const blobOf = new Int32Array(n + 1).fill(-1);
  for (const c of lab.components) {
    if (Math.max(c.x1 - c.x0, c.y1 - c.y0) < 0.3 * minH) continue;
    blobOf[c.id] = blobs.length;
    blobs.push({ ...c, contrast: sums[c.id], ids: [c.id], alive: true, joined: false });
  }
  if (blobs.length === 0) return empty;
  if (opts.merge) mergeFragments(blobs, typicalHeight(blobs, minH), aw, ah);
  for (let bi = 0; bi < blobs.length; bi++) for (const id of blobs[bi].ids) blobOf[id] = bi;
  const ctx: AnalysisContext = { width: aw, height: ah, labels: lab.labels, blobOf, contrast };

  const live = blobs.filter((b) => b.alive && b.y1 - b.y0 >= minH * 0.5);
  const typical = typicalHeight(live, minH);
  // With enough ordinary digits on the page, their shape says how wide one digit is.
  const normalAspects = live
    .filter((b) => b.y1 - b.y0 >= minH && (b.x1 - b.x0) / (b.y1 - b.y0) <= opts.maxAspect)
    .map((b) => (b.x1 - b.x0) / (b.y1 - b.y0));
  const typicalAspect = normalAspects.length >= 3 ? median(normalAspects) : 0;
  let candidates: Candidate[] = [];
  for (let bi = 0; bi < blobs.length; bi++) {
    const b = blobs[bi];
    if (!b.alive) continue;
    const w = b.x1 - b.x0;
    const h = b.y1 - b.y0;
    if (h < minH) continue;
    let parts: Candidate[] | null = null;
    // Only blobs of a digit's height are strings of digits; a short wide blob is a dash or a lone flag.
    if (opts.split && h >= SPLIT_MIN_PART_HEIGHT * typical) {
      const aspect = w / h;
      // Too wide for any one digit: split whatever the cut goes through. Wider than the page's other
      // digits suggest, or than maxAspect: split only through a thin junction.
      const force = aspect > SPLIT_FORCE_ASPECT * opts.maxAspect;
      const limit =
        typicalAspect > 0 ? Math.min(opts.maxAspect, Math.max(1, 1.6 * typicalAspect)) : opts.maxAspect;
      const wide = force || (!b.joined && aspect > limit);
      if (wide) {
        // Without other digits to go by, a digit is taken as 0.85 of its height wide: wide ones (0, 2, 8)
        // are what makes a pair wide enough to split at all, and a narrower guess over-splits them.
        const ref = (typicalAspect > 0 ? typicalAspect : 0.85) * h;
        const count = Math.max(2, Math.min(opts.maxParts, Math.round(w / ref)));
        const cuts = planSplit(ctx, bi, b, count, force);
        if (cuts) parts = splitBlob(ctx, bi, b, cuts, force);
      }
    }
    if (parts) candidates.push(...parts);
    else candidates.push({ blob: bi, xa: b.x0, xb: b.x1, ...b, split: false, quality: 0 });
  }

  // The contrast ink needs, noise included: the noise is in grey levels, contrast relative to the paper.
  const grid = bin.background.values;
  let paperSum = 0;
  for (let i = 0; i < grid.length; i++) paperSum += polarity === 'dark-on-light' ? 1 - grid[i] : 1;
  const noiseFactor = opts.binarize.noiseFactor ?? defaultBinarizeOptions.noiseFactor;
  const inkThreshold = Math.max(
    bin.threshold,
    (noiseFactor * bin.noise) / Math.max(0.05, paperSum / grid.length),
  );

  // Size, page-border and quality filters.
  const maxH = opts.maxDigitHeight * ah;
  candidates = candidates.filter((c) => {
    const h = c.y1 - c.y0;
    const w = c.x1 - c.x0;
    return h >= minH && h <= maxH && w <= 0.95 * aw;
  });
  const typical2 = median(candidates.map((c) => c.y1 - c.y0)) || typical;
  candidates = candidates.filter((c) => {
    const h = c.y1 - c.y0;
    const w = c.x1 - c.x0;
    if (h < opts.minRelativeHeight * typical2) return false;
    const edge = c.x0 === 0 || c.y0 === 0 || c.x1 === aw || c.y1 === ah;
    if (edge) {
      // Page borders, desk edges and shadows run along the frame: big, long or solid, or sitting on it
      // with a whole side (a wedge of shadow in a corner); a digit cut by the frame meets it in strokes.
      const density = c.area / (w * h);
      if (h > 0.6 * ah || w > 0.6 * aw || w > 3 * h || h > 15 * w || density > 0.85) return false;
      if (borderContact(ctx, c) > 0.5) return false;
    }
    c.quality = scoreCandidate(c, minH, typical2, inkThreshold, edge);
    return c.quality >= opts.minQuality;
  });
  if (candidates.length > opts.maxDigits) {
    candidates.sort((a, b) => b.quality - a.quality);
    candidates.length = opts.maxDigits;
  }

  const crop: CropContext = {
    ...ctx,
    image,
    factor: f,
    polarity,
    background: bin.background,
    lines,
    threshold: inkThreshold,
  };
  const digits: LocatedDigit[] = [];
  for (const c of candidates) {
    const cut = cropCandidate(crop, c);
    if (!cut) continue;
    digits.push({ box: cut.box, pixels: normalize(cut.ink, opts.normalize), quality: c.quality });
  }
  const strings = readingOrder(digits, opts.stringGap);
  return { polarity, strings, digits: strings.flatMap((s) => s.digits) };
}
