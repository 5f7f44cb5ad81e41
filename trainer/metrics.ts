/** Classification metrics from predicted probabilities. */

export interface Scores {
  count: number;
  accuracy: number;
  /** Mean cross-entropy of the true class. */
  loss: number;
  perClassAccuracy: number[];
  /** confusion[truth][predicted] counts. */
  confusion: number[][];
  predictions: Uint8Array;
  /** Probability of the predicted class per image. */
  confidence: Float32Array;
}

export function argmax(p: Float32Array, offset: number, n = 10): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (p[offset + k] > p[offset + best]) best = k;
  return best;
}

export function score(probs: Float32Array, labels: ArrayLike<number>): Scores {
  const count = labels.length;
  if (probs.length !== count * 10) {
    throw new Error(`Expected ${count * 10} probabilities (10 per label) but received ${probs.length}`);
  }
  const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  const predictions = new Uint8Array(count);
  const confidence = new Float32Array(count);
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < count; i++) {
    const k = argmax(probs, i * 10);
    predictions[i] = k;
    confidence[i] = probs[i * 10 + k];
    confusion[labels[i]][k]++;
    if (k === labels[i]) correct++;
    loss -= Math.log(Math.max(1e-7, probs[i * 10 + labels[i]]));
  }
  const perClassAccuracy = confusion.map((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n ? row[c] / n : 0;
  });
  return {
    count,
    accuracy: count ? correct / count : 0,
    loss: count ? loss / count : 0,
    perClassAccuracy,
    confusion,
    predictions,
    confidence,
  };
}
