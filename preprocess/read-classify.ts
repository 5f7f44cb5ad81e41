/**
 * Classifying a page's digits: every digit of a page goes to the model in one batch, through a
 * Classifier function (tfjs in trainer/ and in the app's worker; a stand-in in tests), so this module
 * needs no model library.
 *
 * In runs that allow it, a blob wide enough to be two or three touching digits is also cut
 * (splitUnchecked) and the cut is kept when the model reads the pieces with more confidence than the
 * whole: recognition-driven segmentation.
 */
import { splitUnchecked } from './fields.ts';
import type { GrayImage, Polarity } from './image.ts';
import type { Box, LocatedDigit, LocateOptions } from './locate.ts';
import { MNIST_SIZE } from './normalize.ts';
import { fail } from './validate.ts';

/** Probabilities of digits 0-9 for `count` normalised digits (count * 784 floats): count * 10 floats. */
export type Classifier = (digits: Float32Array, count: number) => Float32Array | Promise<Float32Array>;

/** A digit to classify; a field's digits know their cell. */
export interface PlannedDigit extends LocatedDigit {
  cell?: number;
}

/** Digits read together (a field's cell, a string), and whether touching digits may hide among them. */
export interface DigitRun {
  digits: PlannedDigit[];
  split: boolean;
}

/** A reading unit: a string, or a field with its cells (one run per cell). */
export interface PlannedUnit {
  box: Box;
  cells?: Box[];
  runs: DigitRun[];
}

export interface ClassifiedDigit extends PlannedDigit {
  /** The model's 10 probabilities, digits 0-9 (its own buffer: it can be transferred). */
  probs: Float32Array;
}

export interface ClassifiedUnit {
  box: Box;
  cells?: Box[];
  /** The runs' digits in order, split blobs replaced by their pieces. */
  digits: ClassifiedDigit[];
}

/**
 * A blob wider than this many times the height of its run's digits may be touching digits: its splits
 * are read too. The split is kept only when every piece is read with at least SPLIT_MIN_PART and their
 * geometric mean beats the whole by splitMargin. Chosen on the form fixtures (test/fixtures/forms.ts,
 * 60 pages apart from the test pages): no single digit was split, and the touching pairs a seam can
 * separate were.
 */
const SPLIT_WIDTH = 0.9;
/** Typical width of a digit, as a fraction of its height: a blob of width w is tried as about w / this. */
const DIGIT_WIDTH = 0.75;
const MAX_PARTS = 8;

/** How many digits a blob `width` digit-heights wide is tried as: 2, and around width / DIGIT_WIDTH. */
function partCounts(width: number): number[] {
  const k = Math.round(width / DIGIT_WIDTH);
  return [...new Set([2, k - 1, k, k + 1])].filter((n) => n >= 2 && n <= MAX_PARTS).sort((a, b) => a - b);
}
const SPLIT_MIN_PART = 0.9;
function splitMargin(parts: number): number {
  return parts > 2 ? 0.05 : 0;
}

/**
 * Classifies the digits of every unit in one call of `classify` (see the file comment for the splits).
 * `image` and `polarity` are the page's, for cutting wide blobs; `locate` options shape the pieces.
 */
export async function classifyUnits(
  image: GrayImage,
  polarity: Polarity,
  units: readonly PlannedUnit[],
  classify: Classifier,
  locate: Partial<LocateOptions> = {},
): Promise<ClassifiedUnit[]> {
  if (typeof classify !== 'function') fail('a classifier function', 'classify', classify);
  const pixels: Float32Array[] = [];
  const push = (d: LocatedDigit) => pixels.push(d.pixels) - 1;
  type Option = { parts: LocatedDigit[]; idx: number[] };
  const plans = units.map((u) =>
    u.runs.map((run) => {
      const heights = run.digits.map((d) => d.box.height).sort((a, b) => a - b);
      const med = heights.length ? heights[heights.length >> 1] : 0;
      return run.digits.map((d) => {
        const whole: Option = { parts: [d], idx: [push(d)] };
        const alts: Option[] = [];
        const width = d.box.width / Math.max(1, med);
        if (run.split && width > SPLIT_WIDTH && d.box.height >= 0.6 * med) {
          for (const parts of partCounts(width)) {
            const cut = splitUnchecked(image, d.box, parts, polarity, locate);
            if (cut) alts.push({ parts: cut, idx: cut.map(push) });
          }
        }
        return { d, whole, alts };
      });
    }),
  );
  const probs = await classifyAll(classify, pixels);
  const top = (i: number) => Math.max(...probs.subarray(i * 10, i * 10 + 10));
  const geomean = (idx: number[]) =>
    Math.exp(idx.reduce((s, i) => s + Math.log(Math.max(1e-9, top(i))), 0) / idx.length);
  return units.map((u, ui) => ({
    box: u.box,
    ...(u.cells ? { cells: u.cells } : {}),
    digits: plans[ui].flat().flatMap(({ d, whole, alts }) => {
      let best = whole;
      let bestScore = top(whole.idx[0]);
      for (const option of alts) {
        const score = geomean(option.idx);
        if (option.idx.some((i) => top(i) < SPLIT_MIN_PART)) continue;
        if (score > bestScore + splitMargin(option.parts.length)) {
          best = option;
          bestScore = score;
        }
      }
      return best.parts.map((part, k) => ({
        // A piece of a split blob keeps the blob's other fields (its cell in a form).
        ...(best === whole ? d : { ...d, ...part }),
        probs: probs.slice(best.idx[k] * 10, best.idx[k] * 10 + 10),
      }));
    }),
  }));
}

async function classifyAll(classify: Classifier, pixels: Float32Array[]): Promise<Float32Array> {
  if (pixels.length === 0) return new Float32Array(0);
  const size = MNIST_SIZE * MNIST_SIZE;
  const batch = new Float32Array(pixels.length * size);
  pixels.forEach((p, i) => batch.set(p, i * size));
  const probs = await classify(batch, pixels.length);
  if (!(probs instanceof Float32Array) || probs.length !== pixels.length * 10) {
    fail(`${pixels.length * 10} probabilities`, 'classifier output', probs);
  }
  return probs;
}
