import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';

import {
  fusedBatchNormGradConfig,
  registerBatchNormGradient,
  unregisterBatchNormGradient,
} from '../../trainer/batchnorm-grad.ts';
import { relativeError } from './relative-error.ts';

const uniform = (shape: number[], seed: number, lo = -1, hi = 1) =>
  tf.randomUniform(shape, lo, hi, 'float32', seed);

/** The values of what `f` returns, once with tfjs-core's own gradient and once with ours. */
function stockAndOurs(f: () => tf.Tensor[]): { stock: Float32Array[]; ours: Float32Array[] } {
  const run = () => tf.tidy(f).map((t) => t.dataSync() as Float32Array);
  unregisterBatchNormGradient();
  expect(tf.getGradient('FusedBatchNorm')).not.toBe(fusedBatchNormGradConfig);
  const stock = run();
  registerBatchNormGradient();
  expect(tf.getGradient('FusedBatchNorm')).toBe(fusedBatchNormGradConfig);
  return { stock, ours: run() };
}

function expectSame({ stock, ours }: { stock: Float32Array[]; ours: Float32Array[] }): void {
  expect(ours.length).toBe(stock.length);
  ours.forEach((values, i) => expect(relativeError(values, stock[i]), `gradient ${i}`).toBeLessThan(1e-5));
}

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

afterEach(() => registerBatchNormGradient());

describe("FusedBatchNorm's gradient without tile", () => {
  // A non-uniform dy: the output weighted by a fixed random tensor.
  const weighted = (y: tf.Tensor) => tf.sum(tf.mul(y, uniform(y.shape, 9)));

  test('matches the stock gradient for per-channel statistics, scale and offset', () => {
    expectSame(
      stockAndOurs(() =>
        tf.grads((x, mean, variance, scale, offset) =>
          weighted(tf.batchNorm(x, mean, variance, offset, scale, 0.001)),
        )([
          uniform([3, 5, 4, 6], 1),
          uniform([6], 2),
          uniform([6], 3, 0.2, 2),
          uniform([6], 4),
          uniform([6], 5),
        ]),
      ),
    );
  });

  test('matches the stock gradient for statistics of the same shape as x', () => {
    expectSame(
      stockAndOurs(() =>
        tf.grads((x, mean, variance, scale, offset) =>
          weighted(tf.batchNorm(x, mean, variance, offset, scale)),
        )([
          uniform([4, 6], 1),
          uniform([4, 6], 2),
          uniform([4, 6], 3, 0.2, 2),
          uniform([4, 6], 4),
          uniform([4, 6], 5),
        ]),
      ),
    );
  });

  test('gives a training batch-norm layer the same input and weight gradients', () => {
    // Through tfjs-layers, mean and variance come from the batch (moments), so their gradients
    // flow back into x as well.
    expectSame(
      stockAndOurs(() => {
        const gammaInitializer = tfl.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 7 });
        const layer = tfl.layers.batchNormalization({ axis: 3, gammaInitializer });
        const x = uniform([4, 5, 5, 8], 1);
        layer.build(x.shape);
        const f = (input: tf.Tensor) => weighted(layer.apply(input, { training: true }) as tf.Tensor);
        const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const { grads } = tf.variableGrads(() => f(x) as tf.Scalar, vars);
        return [tf.grad(f)(x), ...vars.map((v) => grads[v.name])];
      }),
    );
  });

  test('registration is idempotent and reversible', () => {
    const stock = (() => {
      unregisterBatchNormGradient();
      return tf.getGradient('FusedBatchNorm');
    })();
    registerBatchNormGradient();
    registerBatchNormGradient();
    expect(tf.getGradient('FusedBatchNorm')).toBe(fusedBatchNormGradConfig);
    unregisterBatchNormGradient();
    expect(tf.getGradient('FusedBatchNorm')).toBe(stock);
  });
});
