/**
 * Steadies live readings. A camera reads every frame afresh, and a digit at the edge of doubt flips
 * between two answers from frame to frame; a hand shakes, and a digit drops out for a frame. Digits are
 * tracked across frames by position, their probabilities are smoothed (exponential moving average),
 * a digit is shown only after it has been seen in a few frames and kept for a few frames after it
 * vanished, and a smoothed probability under the reject level reads as '?', never as a guess.
 */
import type { Box } from './protocol.ts';

export interface StabilizerOptions {
  /** Weight of the newest frame in the moving average (1: no smoothing). */
  alpha: number;
  /** Frames a digit must be seen in before it is shown. */
  minHits: number;
  /** Frames a digit is kept after it was last seen. */
  maxMisses: number;
  /** A detection matches a track when their centres are closer than this many track heights. */
  matchDistance: number;
  /** A smoothed top probability under this reads as '?'. */
  rejectBelow: number;
}

export const defaultStabilizerOptions: StabilizerOptions = {
  alpha: 0.45,
  minHits: 2,
  maxMisses: 3,
  matchDistance: 0.6,
  rejectBelow: 0.5,
};

export interface FrameDigit {
  box: Box;
  probs: ArrayLike<number>;
  /** The string (or field) the digit belongs to in this frame, in reading order. */
  string: number;
}

export interface StableDigit {
  id: number;
  box: Box;
  probs: Float32Array;
  /** The digit read, or null when the smoothed probability is under the reject level. */
  digit: number | null;
  probability: number;
  string: number;
  /** Frames since last seen (0: in this frame). */
  misses: number;
}

interface Track {
  id: number;
  box: Box;
  probs: Float32Array;
  hits: number;
  misses: number;
  string: number;
  /** Order of the digit in the frame it was last seen in. */
  order: number;
}

const centre = (b: Box) => [b.x + b.width / 2, b.y + b.height / 2] as const;

function lerpBox(a: Box, b: Box, t: number): Box {
  return {
    x: a.x + (b.x - a.x) * t,
    y: a.y + (b.y - a.y) * t,
    width: a.width + (b.width - a.width) * t,
    height: a.height + (b.height - a.height) * t,
  };
}

export class Stabilizer {
  private tracks: Track[] = [];
  private nextId = 1;
  readonly options: StabilizerOptions;

  constructor(options: Partial<StabilizerOptions> = {}) {
    this.options = { ...defaultStabilizerOptions, ...options };
    const o = this.options;
    if (!(o.alpha > 0 && o.alpha <= 1))
      throw new Error(`Expected a number in (0, 1] for alpha but received ${o.alpha}`);
    if (!(Number.isInteger(o.minHits) && o.minHits >= 1)) {
      throw new Error(`Expected an integer >= 1 for minHits but received ${o.minHits}`);
    }
  }

  reset(): void {
    this.tracks = [];
  }

  /** Adds a frame's digits and returns the steady reading, in reading order. */
  update(digits: readonly FrameDigit[]): StableDigit[] {
    const o = this.options;
    // Greedy matching, closest pairs first: digits move little between frames at camera rates.
    const pairs: { t: number; d: number; dist: number }[] = [];
    this.tracks.forEach((track, t) => {
      const [tx, ty] = centre(track.box);
      digits.forEach((digit, d) => {
        const [dx, dy] = centre(digit.box);
        const dist = Math.hypot(tx - dx, ty - dy) / Math.max(1, Math.max(track.box.height, digit.box.height));
        if (dist <= o.matchDistance) pairs.push({ t, d, dist });
      });
    });
    pairs.sort((a, b) => a.dist - b.dist);
    const trackUsed = new Set<number>();
    const digitUsed = new Set<number>();
    for (const { t, d } of pairs) {
      if (trackUsed.has(t) || digitUsed.has(d)) continue;
      trackUsed.add(t);
      digitUsed.add(d);
      const track = this.tracks[t];
      const digit = digits[d];
      for (let k = 0; k < 10; k++) track.probs[k] += o.alpha * (digit.probs[k] - track.probs[k]);
      track.box = lerpBox(track.box, digit.box, 0.6);
      track.hits++;
      track.misses = 0;
      track.string = digit.string;
      track.order = d;
    }
    this.tracks.forEach((track, t) => {
      if (!trackUsed.has(t)) track.misses++;
    });
    digits.forEach((digit, d) => {
      if (digitUsed.has(d)) return;
      this.tracks.push({
        id: this.nextId++,
        box: { ...digit.box },
        probs: Float32Array.from(digit.probs),
        hits: 1,
        misses: 0,
        string: digit.string,
        order: d,
      });
    });
    this.tracks = this.tracks.filter((t) => t.misses <= o.maxMisses);
    return this.tracks
      .filter((t) => t.hits >= o.minHits)
      .sort((a, b) => a.string - b.string || a.box.x - b.box.x || a.order - b.order)
      .map((t) => {
        let best = 0;
        for (let k = 1; k < 10; k++) if (t.probs[k] > t.probs[best]) best = k;
        const probability = t.probs[best];
        return {
          id: t.id,
          box: { ...t.box },
          probs: Float32Array.from(t.probs),
          digit: probability >= o.rejectBelow ? best : null,
          probability,
          string: t.string,
          misses: t.misses,
        };
      });
  }
}

/** The reading as text: each string's digits, strings separated by spaces, '?' for a rejected digit. */
export function readingText(digits: readonly StableDigit[]): string {
  let text = '';
  let string = -1;
  for (const d of digits) {
    if (string !== -1 && d.string !== string) text += ' ';
    string = d.string;
    text += d.digit === null ? '?' : String(d.digit);
  }
  return text;
}
