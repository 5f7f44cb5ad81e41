import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { noAugmentOptions, createAugmenter } from '../../preprocess/augment.ts';
import { createRng } from '../../preprocess/random.ts';
import { loadModel, saveModel } from '../../trainer/model-io.ts';
import { countParams, createModel } from '../../trainer/models.ts';
import {
  applyUprightPrior,
  checkUprightPrior,
  ORIENTATION_CLASSES,
  orientationClass,
  orientationsFor,
  spreadToOrientations,
  withOrientationSum,
} from '../../trainer/orientation.ts';
import { buildBatch } from '../../trainer/train.ts';
import type { DigitSet } from '../../trainer/mnist.ts';
import { networkOf, withViews } from '../../trainer/views.ts';

let root: string;
beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  root = await mkdtemp(join(tmpdir(), 'digitlens-orientation-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const digits = (n: number) => tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 7) as tf.Tensor4D;

describe('orientation classes', () => {
  test.each([
    { transposed: false, rotation: 0, want: 0 },
    { transposed: false, rotation: 25, want: 0 },
    { transposed: false, rotation: -45, want: 0 },
    { transposed: false, rotation: 60, want: 1 },
    { transposed: false, rotation: -89, want: 2 },
    { transposed: true, rotation: 10, want: 3 },
    { transposed: true, rotation: 46, want: 4 },
    { transposed: true, rotation: -70, want: 5 },
  ])('transposed $transposed, rotation $rotation -> class $want', ({ transposed, rotation, want }) => {
    expect(orientationClass({ transposed, rotation })).toBe(want);
  });

  test('labels choose 1 or 6 classes per digit; anything else is named', () => {
    expect(orientationsFor('digit')).toBe(1);
    expect(orientationsFor('orientation')).toBe(ORIENTATION_CLASSES);
    expect(() => orientationsFor('rotation' as never)).toThrow(
      'Expected one of digit, orientation, upright for labels but received "rotation"',
    );
  });

  test('targets put the digit in the column of the orientation augmentation drew', () => {
    const set: DigitSet = {
      count: 2,
      images: new Uint8Array(2 * 784).fill(40),
      labels: new Uint8Array([3, 8]),
    };
    const x = new Float32Array(2 * 784);
    const turn = createAugmenter({ ...noAugmentOptions, transposeProbability: 1 });
    const y = buildBatch(set, [0, 1], turn, createRng(1), x, 0.06, 'orientation');
    expect(y.length).toBe(2 * 60);
    const hot = (row: number) => {
      const r = Array.from(y.subarray(row * 60, row * 60 + 60));
      return r.indexOf(Math.max(...r));
    };
    expect(hot(0)).toBe(3 * 10 + 3);
    expect(hot(1)).toBe(3 * 10 + 8);
    for (const row of [0, 1])
      expect(y.subarray(row * 60, row * 60 + 60).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    // Without augmentation every digit is upright; one orientation keeps the plain 10 columns.
    const upright = buildBatch(set, [1], null, createRng(1), x, 0, 'orientation');
    expect(upright.indexOf(1)).toBe(8);
    expect(buildBatch(set, [1], turn, createRng(1), x).length).toBe(10);
  });

  test("'upright' labels teach a transposed digit as unreadable and an upright one as itself", () => {
    const set: DigitSet = { count: 1, images: new Uint8Array(784).fill(40), labels: new Uint8Array([6]) };
    const x = new Float32Array(784);
    const transpose = createAugmenter({ ...noAugmentOptions, transposeProbability: 1 });
    const y = buildBatch(set, [0], transpose, createRng(2), x, 0.05, 'upright');
    expect(Array.from(y)).toEqual(new Array(10).fill(Math.fround(0.1)));
    const upright = buildBatch(set, [0], null, createRng(2), x, 0.05, 'upright');
    expect(upright[6]).toBeCloseTo(0.955, 6);
    expect(upright[0]).toBeCloseTo(0.005, 6);
  });
});

describe('the orientation sum', () => {
  test('one orientation is the network itself', () => {
    const net = createModel('mlp', { seed: 1 });
    expect(withOrientationSum(net, 1)).toBe(net);
    net.dispose();
  });

  test("sums each digit's orientation classes into the 10 probabilities of the contract", () => {
    const net = createModel('lenet5', { seed: 2, orientations: ORIENTATION_CLASSES });
    expect(net.outputs[0].shape).toEqual([null, 60]);
    const model = withOrientationSum(net, ORIENTATION_CLASSES);
    // The sum adds no trainable weights: the parameter count stays the network's.
    expect(countParams(model)).toBe(countParams(net));
    expect(networkOf(withViews(model, 5))).toBe(net);
    const [got, want] = tf.tidy(() => {
      const x = digits(4);
      const joint = net.predict(x) as tf.Tensor;
      return [model.predict(x) as tf.Tensor, tf.sum(tf.reshape(joint, [4, ORIENTATION_CLASSES, 10]), 1)];
    });
    expect(got.shape).toEqual([4, 10]);
    const a = Array.from(got.dataSync() as Float32Array);
    const b = Array.from(want.dataSync() as Float32Array);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 6);
    for (let r = 0; r < 4; r++) {
      expect(a.slice(r * 10, r * 10 + 10).reduce((s, v) => s + v)).toBeCloseTo(1, 5);
    }
    tf.dispose([got, want]);
    model.dispose();
  });

  test('survives a save and load round trip with the same predictions', async () => {
    const model = withOrientationSum(createModel('cnn', { seed: 3, orientations: 6 }), 6);
    const dir = join(root, 'cnn-orientations');
    await saveModel(model, dir);
    const back = await loadModel(dir);
    expect(networkOf(back).name).toBe('cnn');
    expect(back.outputs[0].shape).toEqual([null, 10]);
    const x = digits(2);
    const before = (model.predict(x) as tf.Tensor).dataSync();
    const after = (back.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i], 6);
    x.dispose();
    model.dispose();
    back.dispose();
  });

  test('a network of the wrong width is named', () => {
    const net = createModel('mlp', { seed: 4 });
    expect(() => withOrientationSum(net, 6)).toThrow(
      'Expected a network with 10 x 6 outputs for 6 orientations but received 10',
    );
    expect(() => createModel('mlp', { orientations: 0 })).toThrow(
      'Expected a positive integer for orientations but received 0',
    );
    net.dispose();
  });
});

describe('the upright prior', () => {
  test('multiplies the odds of every upright class by the prior and keeps a distribution', () => {
    const net = createModel('mlp', { seed: 5, orientations: ORIENTATION_CLASSES });
    const x = digits(3);
    const before = (net.predict(x) as tf.Tensor).dataSync() as Float32Array;
    applyUprightPrior(net, 3);
    const after = (net.predict(x) as tf.Tensor).dataSync() as Float32Array;
    for (let r = 0; r < 3; r++) {
      const row = (p: Float32Array) => Array.from(p.subarray(r * 60, r * 60 + 60));
      const [b, a] = [row(before), row(after)];
      expect(a.reduce((s, v) => s + v)).toBeCloseTo(1, 5);
      // Upright (columns 0-9) against any other class: odds times 3; others among themselves: kept.
      expect(a[4] / a[37] / (b[4] / b[37])).toBeCloseTo(3, 3);
      expect(a[0] / a[9] / (b[0] / b[9])).toBeCloseTo(1, 4);
      expect(a[12] / a[58] / (b[12] / b[58])).toBeCloseTo(1, 4);
    }
    x.dispose();
    net.dispose();
  });

  test('needs orientation labels and a positive factor; the bad value is named', () => {
    expect(checkUprightPrior(1, 'digit')).toBe(1);
    expect(checkUprightPrior(2, 'orientation')).toBe(2);
    expect(() => checkUprightPrior(2, 'digit')).toThrow(
      "Expected labels 'orientation' for an upright prior of 2 but received labels 'digit'",
    );
    expect(() => checkUprightPrior(-1, 'orientation')).toThrow(
      'Expected a positive number for the upright prior but received -1',
    );
    const net = createModel('mlp', { seed: 6 });
    expect(() => applyUprightPrior(net, 2)).toThrow(
      'Expected an orientation-labelled network (10 x orientations outputs from a biased dense layer) but received mlp with 10 outputs',
    );
    net.dispose();
  });
});

describe('spreading a digit classifier over the orientations', () => {
  test('the orientation sum of the spread network reads digits exactly as the digit network', () => {
    const digitNet = createModel('mlp', { seed: 8 });
    const oriNet = createModel('mlp', { seed: 9, orientations: ORIENTATION_CLASSES });
    const layers = digitNet.layers.length;
    for (let i = 0; i < layers - 1; i++) oriNet.layers[i].setWeights(digitNet.layers[i].getWeights());
    const spread = spreadToOrientations(digitNet.layers[layers - 1].getWeights(), ORIENTATION_CLASSES);
    expect(spread.map((w) => w.shape)).toEqual([[128, 60], [60]]);
    oriNet.layers[layers - 1].setWeights(spread);
    const x = digits(4);
    const want = (digitNet.predict(x) as tf.Tensor).dataSync();
    const got = (withOrientationSum(oriNet, ORIENTATION_CLASSES).predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    // Each digit's six classes start equally likely: no orientation is favoured before training.
    const joint = (oriNet.predict(x) as tf.Tensor).dataSync();
    expect(joint[3 + 50]).toBeCloseTo(joint[3], 6);
    tf.dispose([x, ...spread]);
    digitNet.dispose();
    oriNet.dispose();
  });

  test('names the shapes of a classifier that is not a 10-unit dense layer', () => {
    const net = createModel('mlp', { seed: 10, orientations: 2 });
    const weights = net.layers[net.layers.length - 1].getWeights();
    expect(() => spreadToOrientations(weights, 6)).toThrow(
      'Expected a dense classifier of 10 units (kernel [n,10], bias [10]) but received weights of shapes [128,20] [20]',
    );
    net.dispose();
  });
});
