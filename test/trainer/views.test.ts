import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { loadModel, saveModel } from '../../trainer/model-io.ts';
import { createModel } from '../../trainer/models.ts';
import { checkViews, networkOf, viewsOf, withViews } from '../../trainer/views.ts';

let root: string;
beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  root = await mkdtemp(join(tmpdir(), 'digitlens-views-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const digits = (n: number) => tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D;

/** The digit moved by (dy, dx) pixels, zeros shifted in: what a view should see. */
function shifted(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  const padded = tf.pad(x, [
    [0, 0],
    [2, 2],
    [2, 2],
    [0, 0],
  ]);
  return tf.slice(padded, [0, 2 - dy, 2 - dx, 0], [-1, 28, 28, 1]);
}

describe('test-time views', () => {
  test('one view is the network itself', () => {
    const net = createModel('cnn', { seed: 1 });
    expect(withViews(net, 1)).toBe(net);
    expect(viewsOf(net)).toBe(1);
    expect(networkOf(net)).toBe(net);
    net.dispose();
  });

  test('five views average the network over the digit and its one-pixel shifts', () => {
    const net = createModel('lenet5', { seed: 2 });
    const model = withViews(net, 5);
    expect(viewsOf(model)).toBe(5);
    expect(networkOf(model)).toBe(net);
    expect(model.getWeights().length).toBe(net.getWeights().length);
    const [got, want] = tf.tidy(() => {
      const x = digits(3);
      const offsets = [
        [0, 0],
        [1, 0],
        [-1, 0],
        [0, 1],
        [0, -1],
      ];
      const each = offsets.map(([dy, dx]) => net.predict(shifted(x, dy, dx)) as tf.Tensor);
      return [model.predict(x) as tf.Tensor, tf.div(tf.addN(each), offsets.length)];
    });
    expect(got.shape).toEqual([3, 10]);
    const a = got.dataSync();
    const b = want.dataSync();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 6);
    // A different view set (a view shifted the wrong way) would not match the average.
    const wrong = tf.tidy(() => net.predict(shifted(digits(3), 2, 0)) as tf.Tensor).dataSync();
    expect(Array.from(a).some((v, i) => Math.abs(v - wrong[i]) > 1e-4)).toBe(true);
    tf.dispose([got, want]);
    model.dispose();
  });

  test('survive a save and load round trip with the same predictions', async () => {
    const model = withViews(createModel('cnn', { seed: 3 }), 5);
    const dir = join(root, 'cnn-views');
    await saveModel(model, dir);
    const back = await loadModel(dir);
    expect(viewsOf(back)).toBe(5);
    expect(networkOf(back).name).toBe('cnn');
    const x = digits(2);
    const before = (model.predict(x) as tf.Tensor).dataSync();
    const after = (back.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(after)).toEqual(Array.from(before));
    tf.dispose(x);
    model.dispose();
    back.dispose();
  });

  test('other view counts are an error that names the value', () => {
    expect(() => checkViews(3)).toThrow('Expected one of 1, 5 for views but received 3');
    expect(() => withViews(createModel('softmax'), 9 as 5)).toThrow(/received 9/);
  });
});
