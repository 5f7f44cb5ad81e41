/**
 * Ink/paper separation that survives uneven light.
 *
 * A camera frame of a page is never evenly lit: the paper darkens towards one side, a hand or phone casts
 * a shadow, the lens vignettes. A global threshold fails on all of these. Here the paper level is
 * estimated locally and ink is whatever stands out from it:
 *  1. the image is turned "ink up" (ink has the higher value, whatever the polarity);
 *  2. block means on a coarse grid are morphologically opened (min then max over a window wider than
 *     the thickest stroke): the opening removes ink, which is narrow, but keeps illumination, which is
 *     wide, including the step of a shadow edge, and reproduces linear gradients exactly; a final max
 *     over neighbouring blocks keeps sharp shadow edges from leaving a band of false ink;
 *  3. contrast = ink against the interpolated paper level (relative to the paper's brightness for dark
 *     ink, see inkContrast); ink is contrast above a threshold that
 *     is at least an absolute floor, a multiple of the page's noise and a fraction of its strongest ink.
 * A page whose strongest contrast is under a floor is blank: nothing on it is ink, whatever the noise.
 */
import { checkImage, detectPolarity, type GrayImage, type Polarity } from './image.ts';
import { checkInteger, checkNumber, fail } from './validate.ts';

/** A binary image: 1 = ink, 0 = paper. */
export interface BinaryImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface BinarizeOptions {
  /** Which side the ink is on; 'auto' asks detectPagePolarity. */
  polarity: Polarity | 'auto';
  /** Side of the blocks whose mean grey samples the paper level, pixels; 0 picks 1/60 of the shorter side. */
  blockSize: number;
  /**
   * Half-width of the opening window, in blocks; 0 makes the window 1/4 of the shorter side. The window,
   * (2r + 1) blocks, must be wider than the thickest stroke, or the inside of the stroke is taken for paper.
   */
  backgroundRadius: number;
  /** Smallest contrast (see inkContrast: a fraction of the local paper's brightness) ink needs. */
  minContrast: number;
  /** Ink must also stand this many noise standard deviations (in grey levels) above the paper. */
  noiseFactor: number;
  /** Ink must also reach this fraction of the page's strongest contrast (drops halos and smudges). */
  peakFraction: number;
  /** A page whose peak contrast (reached by 20 pixels or 0.02 % of them) below this holds no ink. */
  minPageContrast: number;
}

export const defaultBinarizeOptions: BinarizeOptions = {
  polarity: 'auto',
  blockSize: 0,
  backgroundRadius: 0,
  minContrast: 0.08,
  noiseFactor: 4,
  peakFraction: 0.2,
  minPageContrast: 0.25,
};

/** Paper level on a coarse grid; node (i, j) sits at the centre of block (i, j). */
export interface BackgroundGrid {
  readonly cols: number;
  readonly rows: number;
  /** Block side, pixels of the image the grid was estimated on. */
  readonly block: number;
  /** Ink-up paper level per node, row-major. */
  readonly values: Float32Array;
}

export interface Binarization {
  polarity: Polarity;
  mask: BinaryImage;
  /** Per pixel: inkContrast against the estimated paper level (negative where lighter than paper). */
  contrast: Float32Array;
  /** With binarizeUnchecked's faintFraction: the pixels above that fraction of the thresholds. */
  faint: BinaryImage | null;
  background: BackgroundGrid;
  /** Contrast a pixel needed to be ink (besides standing noiseFactor * noise above the paper). */
  threshold: number;
  /**
   * Robust standard deviation of the absolute contrast (grey levels) over the page: sensor noise and
   * paper texture. Ink must stand noiseFactor times this above the paper, in grey levels.
   */
  noise: number;
  /** Strongest contrast reached by at least max(20 pixels, 0.02 % of the page). */
  peakContrast: number;
  /** True when the page holds no ink (its peak contrast is under minPageContrast); the mask is empty. */
  blank: boolean;
}

export function checkBinarizeOptions(opts: BinarizeOptions, name = 'options'): void {
  if (opts.polarity !== 'auto' && opts.polarity !== 'dark-on-light' && opts.polarity !== 'light-on-dark') {
    fail("'auto', 'dark-on-light' or 'light-on-dark'", `${name}.polarity`, opts.polarity);
  }
  checkInteger(opts.blockSize, `${name}.blockSize`, 0, 4096);
  checkInteger(opts.backgroundRadius, `${name}.backgroundRadius`, 0, 4096);
  checkNumber(opts.minContrast, `${name}.minContrast`, 0, 1);
  checkNumber(opts.noiseFactor, `${name}.noiseFactor`, 0, 100);
  checkNumber(opts.peakFraction, `${name}.peakFraction`, 0, 1);
  checkNumber(opts.minPageContrast, `${name}.minPageContrast`, 0, 1);
}

/** Box mean over a (2r+1)-square window (clipped at the borders), through an integral image. */
function boxMean(image: GrayImage, r: number): Float32Array {
  const { width: w, height: h, data } = image;
  const sat = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += data[y * w + x];
      sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(w, x + r + 1);
      const sum =
        sat[y1 * (w + 1) + x1] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0] + sat[y0 * (w + 1) + x0];
      out[y * w + x] = sum / ((x1 - x0) * (y1 - y0));
    }
  }
  return out;
}

/** Pixels the polarity vote looks at, at most: it is a global decision, detail is waste. */
const POLARITY_PIXELS = 12_000;

/**
 * detectPolarity on a copy with the illumination flattened. detectPolarity alone takes the median grey
 * for the paper, so a shadow over a third of a page reads as a large patch of "dark ink" and the lit
 * rest as "light ink", and the vote can flip. Subtracting a local mean (window 15 % of the shorter side)
 * and adding back the page mean leaves the strokes as the only strong deviations.
 */
export function detectPagePolarity(image: GrayImage): Polarity {
  return pagePolarity(checkImage(image));
}

function pagePolarity(image: GrayImage): Polarity {
  let img = image;
  while (img.width * img.height > POLARITY_PIXELS && Math.min(img.width, img.height) >= 64) {
    img = halve(img);
  }
  const { data } = img;
  let total = 0;
  for (let i = 0; i < data.length; i++) total += data[i];
  const pageMean = total / data.length;
  const local = boxMean(img, Math.max(2, Math.round(0.075 * Math.min(img.width, img.height))));
  const flat = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] - local[i] + pageMean;
    flat[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return detectPolarity({ width: img.width, height: img.height, data: flat });
}

/** Halves an image, averaging 2x2 blocks (a lone last row or column is averaged with itself). */
export function halve(image: GrayImage): GrayImage {
  const { width: W, height: H, data } = image;
  const w = Math.ceil(W / 2);
  const h = Math.ceil(H / 2);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const a = 2 * y * W;
    const b = 2 * y + 1 < H ? a + W : a;
    for (let x = 0; x < w; x++) {
      const x0 = 2 * x;
      const x1 = x0 + 1 < W ? x0 + 1 : x0;
      out[y * w + x] = (data[a + x0] + data[a + x1] + data[b + x0] + data[b + x1]) * 0.25;
    }
  }
  return { width: w, height: h, data: out };
}

/** Block side used when options.blockSize is 0: fine enough (1/60 of the shorter side) to follow sharp shadows. */
export function autoBlockSize(width: number, height: number): number {
  return Math.max(2, Math.round(Math.min(width, height) / 60));
}

/**
 * Half-width of the opening window, in blocks, when options.backgroundRadius is 0: the window spans
 * a quarter of the shorter side, wider than the strokes (even a filled loop) of the largest digit a
 * page can hold.
 */
export function autoBackgroundRadius(width: number, height: number, block: number): number {
  return Math.max(2, Math.round((0.125 * Math.min(width, height)) / block));
}

/**
 * Min (erode) or max (dilate) over a (2r+1)-wide window along rows then columns, in place, with the
 * van Herk / Gil-Werman algorithm: three comparisons per value whatever the window.
 */
function morph(values: Float32Array, cols: number, rows: number, r: number, useMax: boolean): void {
  const k = 2 * r + 1;
  const longest = Math.max(cols, rows);
  const size = Math.ceil((longest + 2 * r) / k) * k;
  const buffers = { padded: new Float32Array(size), g: new Float32Array(size), h: new Float32Array(size) };
  for (let j = 0; j < rows; j++) morphLine(values, j * cols, 1, cols, r, useMax, buffers);
  for (let i = 0; i < cols; i++) morphLine(values, i, cols, rows, r, useMax, buffers);
}

interface MorphBuffers {
  padded: Float32Array;
  g: Float32Array;
  h: Float32Array;
}

/** One line of morph: n values from `start`, `stride` apart, replaced by their windowed min or max. */
function morphLine(
  values: Float32Array,
  start: number,
  stride: number,
  n: number,
  r: number,
  useMax: boolean,
  { padded, g, h }: MorphBuffers,
): void {
  const k = 2 * r + 1;
  // Pad to whole blocks of k so that every window spans one block's suffix and the next one's prefix.
  const len = Math.ceil((n + 2 * r) / k) * k;
  const sign = useMax ? -1 : 1;
  // Work on sign * value so that both operations are a min.
  for (let i = 0; i < n; i++) padded[r + i] = sign * values[start + i * stride];
  if (useMax) {
    // Dilation continues the signal past the ends by odd reflection, so that an opened ramp stays a
    // ramp up to the border (with the window clipped, the last r values would be cut flat, and the
    // dark end of a lighting gradient would read as ink). Only ink-free (eroded) values get mirrored.
    for (let q = 1; q <= r; q++) {
      padded[r - q] = 2 * padded[r] - padded[r + Math.min(q, n - 1)];
      padded[r + n - 1 + q] = 2 * padded[r + n - 1] - padded[r + Math.max(0, n - 1 - q)];
    }
  } else {
    for (let q = 0; q < r; q++) padded[q] = Infinity;
    for (let q = r + n; q < r + n + r; q++) padded[q] = Infinity;
  }
  for (let q = 2 * r + n; q < len; q++) padded[q] = Infinity;
  for (let b = 0; b < len; b += k) {
    let m = padded[b];
    g[b] = m;
    for (let i = b + 1; i < b + k; i++) {
      const v = padded[i];
      if (v < m) m = v;
      g[i] = m;
    }
    m = padded[b + k - 1];
    h[b + k - 1] = m;
    for (let i = b + k - 2; i >= b; i--) {
      const v = padded[i];
      if (v < m) m = v;
      h[i] = m;
    }
  }
  // Output i covers padded [i, i + 2r], i.e. the original [i - r, i + r].
  for (let i = 0; i < n; i++) {
    const a = h[i];
    const c = g[i + 2 * r];
    values[start + i * stride] = sign * (a < c ? a : c);
  }
}

/** 3x3 mean (clipped at the borders), in place. */
function smooth3(values: Float32Array, cols: number, rows: number): void {
  const tmp = new Float32Array(values.length);
  for (let j = 0; j < rows; j++) {
    const row = j * cols;
    for (let i = 0; i < cols; i++) {
      let acc = values[row + i];
      let n = 1;
      if (i > 0) {
        acc += values[row + i - 1];
        n++;
      }
      if (i < cols - 1) {
        acc += values[row + i + 1];
        n++;
      }
      tmp[row + i] = acc / n;
    }
  }
  for (let j = 0; j < rows; j++) {
    const up = j > 0 ? (j - 1) * cols : -1;
    const down = j < rows - 1 ? (j + 1) * cols : -1;
    const n = 1 + (up >= 0 ? 1 : 0) + (down >= 0 ? 1 : 0);
    const row = j * cols;
    for (let i = 0; i < cols; i++) {
      let acc = tmp[row + i];
      if (up >= 0) acc += tmp[up + i];
      if (down >= 0) acc += tmp[down + i];
      values[row + i] = acc / n;
    }
  }
}

/**
 * Estimates the paper level, ink-up (ink high), of a grey image in paper polarity on a grid of blocks:
 * block means, opened (eroded then dilated) over (2 * radius + 1) blocks so that strokes narrower than
 * that window vanish.
 */
export function estimateBackground(
  image: GrayImage,
  polarity: Polarity,
  block: number,
  radius: number,
): BackgroundGrid {
  const { width, height, data } = image;
  const cols = Math.ceil(width / block);
  const rows = Math.ceil(height / block);
  const sums = new Float32Array(cols * rows);
  for (let y = 0; y < height; y++) {
    const rowBase = ((y / block) | 0) * cols;
    const p = y * width;
    for (let i = 0; i < cols; i++) {
      const end = p + Math.min(width, (i + 1) * block);
      let acc = 0;
      for (let k = p + i * block; k < end; k++) acc += data[k];
      sums[rowBase + i] += acc;
    }
  }
  const dark = polarity === 'dark-on-light';
  for (let j = 0; j < rows; j++) {
    const bh = Math.min(block, height - j * block);
    for (let i = 0; i < cols; i++) {
      const mean = sums[j * cols + i] / (bh * Math.min(block, width - i * block));
      sums[j * cols + i] = dark ? 1 - mean : mean;
    }
  }
  // A 3x3 mean first: the erosion takes the minimum of many block means, which on a noisy page would
  // sit several of their standard deviations below the paper and make noise look like ink.
  smooth3(sums, cols, rows);
  morph(sums, cols, rows, radius, false);
  morph(sums, cols, rows, radius, true);
  // One more node of dilation: at a sharp shadow edge the interpolation between a lit and a shadowed
  // node would put the paper level half-way and make a band of false ink along the shadowed side.
  // Taking the darker (ink-up higher) neighbour costs strokes next to the edge some contrast instead,
  // and a gradient only 1 block's worth of its slope.
  morph(sums, cols, rows, 1, true);
  return { cols, rows, block, values: sums };
}

/**
 * Paper level at pixel (x, y) of an image `scale` times larger than the one the grid was estimated on
 * (scale 1: the same image), interpolated bilinearly between block centres.
 */
export function backgroundAt(grid: BackgroundGrid, x: number, y: number, scale = 1): number {
  const gx = Math.min(grid.cols - 1, Math.max(0, (x + 0.5) / (scale * grid.block) - 0.5));
  const gy = Math.min(grid.rows - 1, Math.max(0, (y + 0.5) / (scale * grid.block) - 0.5));
  const i0 = gx | 0;
  const j0 = gy | 0;
  const i1 = Math.min(grid.cols - 1, i0 + 1);
  const j1 = Math.min(grid.rows - 1, j0 + 1);
  const fx = gx - i0;
  const fy = gy - j0;
  const v = grid.values;
  const top = v[j0 * grid.cols + i0] * (1 - fx) + v[j0 * grid.cols + i1] * fx;
  const bottom = v[j1 * grid.cols + i0] * (1 - fx) + v[j1 * grid.cols + i1] * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Paper darker than this is treated as this dark when contrast is measured relative to it. */
const MIN_PAPER = 0.05;

/**
 * Ink contrast of grey value v (paper polarity) against the ink-up paper level bgUp. For dark ink it is
 * relative to the paper's brightness, 1 - v / paper: ink absorbs a fraction of the light that reaches
 * it, so an absolute difference would fade with the light, and the same stroke would be strong in the
 * light and weak in a shadow. For light ink (chalk on a board) it is the plain difference v - board.
 */
export function inkContrast(v: number, bgUp: number, dark: boolean): number {
  if (!dark) return v - bgUp;
  const paper = 1 - bgUp;
  return 1 - v / (paper > MIN_PAPER ? paper : MIN_PAPER);
}

/**
 * Contrast (see inkContrast) and paper level of row y against the grid, interpolated bilinearly: the
 * grid is interpolated vertically once per row, then walked linearly from block centre to block centre
 * (the reciprocal of the paper level too, which is close to linear within a block and saves a division
 * per pixel).
 */
class ContrastRows {
  private readonly rowBg: Float32Array;
  private readonly rowInv: Float32Array;
  private readonly dark: boolean;
  private readonly half: number;

  constructor(
    private readonly image: GrayImage,
    polarity: Polarity,
    private readonly grid: BackgroundGrid,
  ) {
    this.rowBg = new Float32Array(grid.cols);
    this.rowInv = new Float32Array(grid.cols);
    this.dark = polarity === 'dark-on-light';
    this.half = (grid.block - 1) / 2;
  }

  /** Fills contrast[0..width) and paper[0..width) for row y. */
  row(y: number, contrast: Float32Array, paper: Float32Array): void {
    const { width, data } = this.image;
    const { cols, rows, block, values } = this.grid;
    const { rowBg, rowInv, dark, half } = this;
    const gy = Math.min(rows - 1, Math.max(0, (y + 0.5) / block - 0.5));
    const j0 = gy | 0;
    const j1 = Math.min(rows - 1, j0 + 1);
    const fy = gy - j0;
    for (let i = 0; i < cols; i++) {
      const bg = values[j0 * cols + i] * (1 - fy) + values[j1 * cols + i] * fy;
      rowBg[i] = dark ? 1 - bg : bg;
      rowInv[i] = 1 / Math.max(MIN_PAPER, 1 - bg);
    }
    const p = y * width;
    // Flat before the first block centre and after the last; linear between consecutive centres.
    let x = 0;
    let seg = 0;
    let level = rowBg[0];
    let inv = rowInv[0];
    let dLevel = 0;
    let dInv = 0;
    let end = Math.min(width, Math.ceil(half));
    for (;;) {
      if (dark) {
        for (; x < end; x++, level += dLevel, inv += dInv) {
          contrast[x] = 1 - data[p + x] * inv;
          paper[x] = level;
        }
      } else {
        for (; x < end; x++, level += dLevel) {
          contrast[x] = data[p + x] - level;
          paper[x] = 1;
        }
      }
      if (x >= width) break;
      if (seg + 1 < cols) {
        end = Math.min(width, Math.ceil(half + (seg + 1) * block));
        dLevel = (rowBg[seg + 1] - rowBg[seg]) / block;
        dInv = (rowInv[seg + 1] - rowInv[seg]) / block;
        const t = x - half - seg * block;
        level = rowBg[seg] + t * dLevel;
        inv = rowInv[seg] + t * dInv;
        seg++;
      } else {
        end = width;
        level = rowBg[cols - 1];
        inv = rowInv[cols - 1];
        dLevel = 0;
        dInv = 0;
      }
    }
  }
}

const HIST_BINS = 1024;
const HIST_LO = -0.5;
const HIST_STEP = 1.5 / HIST_BINS;
const HIST_SCALE = 1 / HIST_STEP;
/** The peak contrast is the level that at least this many pixels (and this share of the page) reach. */
const PEAK_MIN_PIXELS = 20;
const PEAK_SHARE = 0.0002;

interface ContrastStats {
  sigma: number;
  peak: number;
}

/** Bins either side of a bin that the search for the paper's peak averages over. */
const MODE_SMOOTH = 2;

/**
 * Robust sigma of the paper's noise from a histogram of contrasts: 1.4826 times the median distance
 * below the paper's peak. Only the lower side is used because ink lies above the paper: a plain MAD
 * of all pixels grows with the share of ink, and a tight crop of a thick digit (40% ink) made it
 * several times the true noise, so that the noise floor then erased the digit. The peak is searched
 * at or below the median, where the paper is whenever it covers at least half of the image.
 */
function histSigma(hist: Uint32Array, n: number): number {
  let acc = 0;
  let med = 0;
  while (med < HIST_BINS - 1 && (acc += hist[med]) * 2 < n) med++;
  let mode = med;
  let best = -1;
  for (let b = 0; b <= med; b++) {
    let sum = 0;
    for (let k = Math.max(0, b - MODE_SMOOTH); k <= Math.min(HIST_BINS - 1, b + MODE_SMOOTH); k++)
      sum += hist[k];
    if (sum > best) {
      best = sum;
      mode = b;
    }
  }
  // Paper pixels below its peak (half of the peak's own bin counts as below).
  let below = hist[mode] / 2;
  for (let b = 0; b < mode; b++) below += hist[b];
  let inside = hist[mode] / 2;
  let d = 0;
  while (inside * 2 < below && d < mode) {
    d++;
    inside += hist[mode - d];
  }
  return 1.4826 * Math.max(0.5, d) * HIST_STEP;
}

/**
 * Noise (robust sigma of the absolute contrast, contrast x paper, since sensor noise does not dim with
 * the light) and peak of the contrast, from histograms of every few rows (they are statistics of many
 * thousands of pixels either way).
 */
function contrastStats(rows: ContrastRows, width: number, height: number): ContrastStats {
  const rel = new Uint32Array(HIST_BINS);
  const abs = new Uint32Array(HIST_BINS);
  const rowStep = height >= 128 ? 4 : height >= 64 ? 2 : 1;
  const c = new Float32Array(width);
  const paper = new Float32Array(width);
  let n = 0;
  for (let y = 0; y < height; y += rowStep) {
    rows.row(y, c, paper);
    for (let x = 0; x < width; x++) {
      const b = ((c[x] - HIST_LO) * HIST_SCALE) | 0;
      rel[b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b]++;
      const a = ((c[x] * paper[x] - HIST_LO) * HIST_SCALE) | 0;
      abs[a < 0 ? 0 : a >= HIST_BINS ? HIST_BINS - 1 : a]++;
    }
    n += width;
  }
  let top = HIST_BINS - 1;
  let above = rel[top];
  // The strongest contrast that enough pixels reach to be more than a few noise outliers.
  const need = Math.max((PEAK_MIN_PIXELS * n) / (width * height), n * PEAK_SHARE);
  while (top > 0 && above < need) above += rel[--top];
  return { sigma: histSigma(abs, n), peak: HIST_LO + (top + 0.5) * HIST_STEP };
}

/**
 * Separates ink from paper in a grey image in paper polarity (see the file comment for the method).
 * Returns the mask with everything later stages need: the contrast map, the paper grid and the figures
 * the threshold came from.
 */
export function binarize(image: GrayImage, options: Partial<BinarizeOptions> = {}): Binarization {
  checkImage(image);
  const opts = { ...defaultBinarizeOptions, ...options };
  checkBinarizeOptions(opts);
  return binarizeUnchecked(image, opts);
}

/**
 * binarize without input checks, for callers that have validated image and options already. With
 * faintFraction > 0 it also returns `faint`: the pixels above that fraction of both thresholds (where
 * a faint ruling, broken up into dashes at the full threshold, is still continuous).
 */
export function binarizeUnchecked(image: GrayImage, opts: BinarizeOptions, faintFraction = 0): Binarization {
  const { width, height } = image;
  const polarity = opts.polarity === 'auto' ? pagePolarity(image) : opts.polarity;
  const block = opts.blockSize > 0 ? opts.blockSize : autoBlockSize(width, height);
  const radius =
    opts.backgroundRadius > 0 ? opts.backgroundRadius : autoBackgroundRadius(width, height, block);
  const background = estimateBackground(image, polarity, block, radius);
  const rows = new ContrastRows(image, polarity, background);
  const stats = contrastStats(rows, width, height);
  const noise = stats.sigma;
  const peakContrast = stats.peak;
  const threshold = Math.max(opts.minContrast, opts.peakFraction * peakContrast);
  const noiseFloor = opts.noiseFactor * noise;
  const blank = peakContrast < opts.minPageContrast || peakContrast < threshold;
  const contrast = new Float32Array(width * height);
  const mask = new Uint8Array(width * height);
  const faint = faintFraction > 0 ? new Uint8Array(width * height) : null;
  const faintThreshold = faintFraction * threshold;
  const faintFloor = faintFraction * noiseFloor;
  const paper = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    const p = y * width;
    const c = contrast.subarray(p, p + width);
    rows.row(y, c, paper);
    if (blank) continue;
    for (let x = 0; x < width; x++) {
      const v = c[x];
      const a = v * paper[x];
      mask[p + x] = v > threshold && a > noiseFloor ? 1 : 0;
      if (faint) faint[p + x] = v > faintThreshold && a > faintFloor ? 1 : 0;
    }
  }
  return {
    polarity,
    mask: { width, height, data: mask },
    faint: faint ? { width, height, data: faint } : null,
    contrast,
    background,
    threshold,
    noise,
    peakContrast,
    blank,
  };
}
