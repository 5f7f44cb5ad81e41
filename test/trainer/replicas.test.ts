import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { createModel } from '../../trainer/models.ts';
import { Replicas, shardSizes, type ReplicaInit } from '../../trainer/replicas.ts';

const INIT: ReplicaInit = { arch: 'mlp', modelSeed: 5, dropout: 0, orientations: 1, backend: 'cpu', seed: 1 };

/** A fixed batch of n digits with spread-out labels. */
function batch(n: number): { x: Float32Array; y: Float32Array } {
  const x = Float32Array.from({ length: n * 784 }, (_, i) => ((i * 2654435761) % 997) / 997);
  const y = new Float32Array(n * 10);
  for (let b = 0; b < n; b++) y[b * 10 + ((b * 7) % 10)] = 1;
  return { x, y };
}

/**
 * Weights, loss and hits after two steps on the batch with `count` replicas. Plain SGD: its update is
 * the gradient itself, where Adam's would hide a mis-weighted sum behind its normalisation.
 */
async function twoSteps(count: number, n: number) {
  const model = createModel(INIT.arch, { seed: INIT.modelSeed, dropout: 0 });
  const optimizer = tf.train.sgd(0.5);
  const replicas = new Replicas(count, INIT);
  const { x, y } = batch(n);
  try {
    const first = await replicas.step(model, optimizer, x, y, n);
    const second = await replicas.step(model, optimizer, x, y, n);
    return { first, second, weights: model.getWeights().map((w) => w.dataSync().slice()) };
  } finally {
    await replicas.close();
    model.dispose();
    optimizer.dispose();
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  tf.disposeVariables();
});

describe('Replicas', () => {
  test('splits a batch into nearly equal shards, largest first', () => {
    expect(shardSizes(64, 2)).toEqual([32, 32]);
    expect(shardSizes(24, 16)).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(shardSizes(7, 3)).toEqual([3, 2, 2]);
  });

  test('three replicas take the same steps as one, on shards of unequal size', async () => {
    // 7 digits split 3 + 2 + 2: the shards' gradients must be weighted by their size.
    const one = await twoSteps(1, 7);
    const three = await twoSteps(3, 7);
    expect(three.first[0]).toBeCloseTo(one.first[0], 5);
    expect(three.second[0]).toBeCloseTo(one.second[0], 5);
    expect(three.second[1]).toBe(one.second[1]);
    // The first step changed the loss: the comparison is not between two untrained models.
    expect(Math.abs(one.second[0] - one.first[0])).toBeGreaterThan(1e-3);
    three.weights.forEach((w, i) => {
      let diff = 0;
      for (let j = 0; j < w.length; j++) diff = Math.max(diff, Math.abs(w[j] - one.weights[i][j]));
      expect(diff, `weight ${i}`).toBeLessThan(1e-5);
    });
  }, 60_000);
});
