/**
 * Removal of ruled, squared-paper and printed box lines from a binary ink mask.
 *
 * A line is a long path of thin ink. "Thin" is measured across the line: a pixel is a candidate for a
 * horizontal line when the vertical run of ink through it is at most maxThickness. "Long" is the
 * horizontal extent of a path that steps one column at a time and may move up or down a row per step
 * (so lines photographed at a tilt are still found), may cross thick ink (a digit stroke crossing the
 * line) for up to maxCrossing columns and may jump gaps of up to `gap` paper columns. Two dynamic
 * programming sweeps (left to right and right to left) give, for every pixel, the longest such path
 * through it. Candidate pixels on a path of at least minLength are removed; thick pixels are never
 * removed, which is what keeps the ink where a digit stroke crosses the line. Vertical lines are the
 * same with the axes swapped, searched after the horizontal ones are gone (so that grid crossings,
 * thick for both searches, are thin for the second).
 */
import type { BinaryImage } from './binarize.ts';
import { checkBinaryImage } from './components.ts';
import { checkInteger, checkNumber, fail } from './validate.ts';

export interface LineRemovalOptions {
  horizontal: boolean;
  vertical: boolean;
  /** Shortest line, pixels; 0 uses minLengthFraction of the shorter image side. */
  minLength: number;
  /** Shortest line as a fraction of the shorter image side, when minLength is 0. */
  minLengthFraction: number;
  /** Thickest line, pixels; 0 uses maxThicknessFraction of the shorter side (at least 2). */
  maxThickness: number;
  maxThicknessFraction: number;
  /** Paper columns a line may skip (broken or dashed lines). */
  gap: number;
  /** Thick ink a line may pass through (a stroke crossing it), as a fraction of the shorter side. */
  maxCrossingFraction: number;
}

export const defaultLineRemovalOptions: LineRemovalOptions = {
  horizontal: true,
  vertical: true,
  minLength: 0,
  minLengthFraction: 0.5,
  maxThickness: 0,
  maxThicknessFraction: 0.02,
  gap: 3,
  maxCrossingFraction: 0.3,
};

export interface LineRemoval {
  /** The mask without the line pixels. */
  mask: BinaryImage;
  /** 1 where a line pixel was removed. */
  lines: Uint8Array;
  /** Number of pixels removed. */
  removed: number;
}

export function checkLineRemovalOptions(opts: LineRemovalOptions, name = 'options'): void {
  if (typeof opts.horizontal !== 'boolean') fail('a boolean', `${name}.horizontal`, opts.horizontal);
  if (typeof opts.vertical !== 'boolean') fail('a boolean', `${name}.vertical`, opts.vertical);
  checkInteger(opts.minLength, `${name}.minLength`, 0);
  checkNumber(opts.minLengthFraction, `${name}.minLengthFraction`, 0, 1);
  checkInteger(opts.maxThickness, `${name}.maxThickness`, 0);
  checkNumber(opts.maxThicknessFraction, `${name}.maxThicknessFraction`, 0, 1);
  checkInteger(opts.gap, `${name}.gap`, 0, 64);
  checkNumber(opts.maxCrossingFraction, `${name}.maxCrossingFraction`, 0, 1);
}

/**
 * Geometry of one search: lines run "along" (stride sa, nAlong pixels) and are thin "across" (stride sc,
 * nAcross pixels). Horizontal lines: along = x, across = y; vertical lines: the reverse.
 */
interface Axes {
  sa: number;
  sc: number;
  nAlong: number;
  nAcross: number;
}

interface LineParams {
  minLength: number;
  maxThickness: number;
  gap: number;
  maxCrossing: number;
}

/**
 * Marks the pixels of lines running along `axes` in `out`: 1 for thin line pixels, 2 for thick ink the
 * line passes through. Returns the number of thin pixels marked.
 */
function markLines(mask: Uint8Array, axes: Axes, p: LineParams, out: Uint8Array): number {
  const { sa, sc, nAlong, nAcross } = axes;
  const n = mask.length;
  // Run length across the line through each ink pixel, in memory order: counts forwards, then the
  // run's total propagated backwards. kind: 1 = line candidate (thin), 2 = thick ink, 0 = paper.
  const kind = new Uint8Array(n);
  const run = new Uint16Array(n);
  const width = sa === 1 ? nAlong : nAcross;
  const acrossIsX = sc === 1;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    const first = acrossIsX ? i % width === 0 : i < width;
    run[i] = first || !mask[i - sc] ? 1 : run[i - sc] + 1;
  }
  let candidates = 0;
  for (let i = n - 1; i >= 0; i--) {
    if (!mask[i]) continue;
    const last = acrossIsX ? i % width === width - 1 : i >= n - width;
    if (!last && mask[i + sc]) run[i] = run[i + sc];
    if (run[i] <= p.maxThickness) {
      kind[i] = 1;
      candidates++;
    } else kind[i] = 2;
  }
  if (candidates < p.minLength) return 0;
  const fwd = new Int32Array(n);
  const cross = new Uint16Array(n);
  // No path reaches minLength: no line, and no need for the backward sweep.
  if (sweep(kind, axes, p, fwd, cross, 1) < p.minLength) return 0;
  const bwd = new Int32Array(n);
  cross.fill(0);
  sweep(kind, axes, p, bwd, cross, -1);
  let marked = 0;
  for (let i = 0; i < n; i++) {
    const k = kind[i];
    if (k !== 0 && fwd[i] > 0 && bwd[i] > 0 && fwd[i] + bwd[i] - 1 >= p.minLength) {
      out[i] = k;
      if (k === 1) marked++;
    }
  }
  return marked;
}

/**
 * One DP sweep along the lines (dir 1: increasing, -1: decreasing). len[i] is the extent along the line
 * of the longest admissible path ending at pixel i; cross[i] the thick pixels it has just crossed.
 * Returns the longest path found.
 */
function sweep(
  kind: Uint8Array,
  axes: Axes,
  p: LineParams,
  len: Int32Array,
  cross: Uint16Array,
  dir: 1 | -1,
): number {
  const { sa, sc, nAlong, nAcross } = axes;
  const { gap, maxCrossing } = p;
  let longest = 0;
  for (let s = 0; s < nAlong; s++) {
    const a = dir === 1 ? s : nAlong - 1 - s;
    const base = a * sa;
    for (let c = 0; c < nAcross; c++) {
      const i = base + c * sc;
      const k = kind[i];
      if (k === 0) continue;
      let best = 0;
      let bestCross = 0;
      const cLo = c > 0 ? c - 1 : 0;
      const cHi = c < nAcross - 1 ? c + 1 : c;
      // Direct neighbours one step back (candidate or thick ink).
      if (s > 0) {
        const prev = base - dir * sa;
        for (let cc = cLo; cc <= cHi; cc++) {
          const j = prev + cc * sc;
          const v = len[j];
          if (v > best || (v === best && v > 0 && cross[j] < bestCross)) {
            best = v;
            bestCross = cross[j];
          }
        }
      }
      // Jumps over up to `gap` paper pixels, from line candidates only.
      for (let d = 2; d <= gap + 1 && d <= s; d++) {
        const back = base - dir * d * sa;
        for (let cc = cLo; cc <= cHi; cc++) {
          const j = back + cc * sc;
          if (kind[j] !== 1) continue;
          const v = len[j] + d - 1;
          if (v > best) {
            best = v;
            bestCross = 0;
          }
        }
      }
      if (k === 1) {
        len[i] = best + 1;
        cross[i] = 0;
      } else if (best > 0 && bestCross < maxCrossing) {
        len[i] = best + 1;
        cross[i] = bestCross + 1;
      } else continue;
      if (len[i] > longest) longest = len[i];
    }
  }
  return longest;
}

/** Removes long thin horizontal and vertical lines from a binary ink mask (see the file comment). */
export function removeLines(mask: BinaryImage, options: Partial<LineRemovalOptions> = {}): LineRemoval {
  checkBinaryImage(mask);
  const opts = { ...defaultLineRemovalOptions, ...options };
  checkLineRemovalOptions(opts);
  const { width, height, data } = mask;
  const side = Math.min(width, height);
  const minLength =
    opts.minLength > 0 ? opts.minLength : Math.max(8, Math.round(opts.minLengthFraction * side));
  const maxThickness =
    opts.maxThickness > 0 ? opts.maxThickness : Math.max(2, Math.round(opts.maxThicknessFraction * side));
  const maxCrossing = Math.max(2, Math.round(opts.maxCrossingFraction * side));
  const n = width * height;
  const params: LineParams = { minLength, maxThickness, gap: opts.gap, maxCrossing };
  const lines = new Uint8Array(n);
  let removed = 0;
  let out = data.slice();
  // Horizontal first, then vertical on what is left: where a horizontal and a vertical line cross, the
  // crossing is thick for both searches, but once the horizontal line is gone it is thin for the second.
  const passes: Axes[] = [];
  if (opts.horizontal) passes.push({ sa: 1, sc: width, nAlong: width, nAcross: height });
  if (opts.vertical) passes.push({ sa: width, sc: 1, nAlong: height, nAcross: width });
  for (const axes of passes) {
    const marks = new Uint8Array(n);
    if (markLines(out, axes, params, marks) === 0) continue;
    for (let i = 0; i < n; i++) {
      if (marks[i] === 1) {
        lines[i] = 1;
        out[i] = 0;
        removed++;
      }
    }
  }
  if (removed === 0) out = data.slice();
  return { mask: { width, height, data: out }, lines, removed };
}
