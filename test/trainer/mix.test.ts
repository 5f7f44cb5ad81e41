import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { checkMixWeight, mixWeightOf, withMix } from '../../trainer/mix.ts';
import { loadModel, saveModel } from '../../trainer/model-io.ts';
import { createModel } from '../../trainer/models.ts';
import { networkOf, withViews } from '../../trainer/views.ts';

let root: string;
beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  root = await mkdtemp(join(tmpdir(), 'digitlens-mix-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const digits = (n: number) => tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 9) as tf.Tensor4D;

const maxDiff = async (a: tf.Tensor, b: tf.Tensor) => Math.max(...(await tf.abs(tf.sub(a, b)).data()));

/** The weighted geometric mean of two probability tensors, renormalised: what a mix must output. */
function geometricMean(a: tf.Tensor, b: tf.Tensor, weight: number): tf.Tensor {
  const logits = tf.add(tf.mul(tf.log(a), 1 - weight), tf.mul(tf.log(b), weight));
  return tf.softmax(logits);
}

describe('upright mix', () => {
  test('outputs the weighted geometric mean of the two networks, and survives a save and load', async () => {
    // Same arch twice: their layer and weight names would clash without the mix's renaming.
    const main = createModel('lenet5', { seed: 1 });
    const upright = createModel('lenet5', { seed: 2 });
    const model = await withMix(main, upright, 0.3);
    expect(mixWeightOf(model)).toBeCloseTo(0.3, 6);
    expect(mixWeightOf(main)).toBe(0);
    const x = digits(4);
    const want = tf.tidy(() =>
      geometricMean(main.predict(x) as tf.Tensor, upright.predict(x) as tf.Tensor, 0.3),
    );
    const got = model.predict(x) as tf.Tensor;
    expect(got.shape).toEqual([4, 10]);
    expect(await maxDiff(got, want)).toBeLessThan(1e-5);

    const dir = join(root, 'mixed');
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    const again = loaded.predict(x) as tf.Tensor;
    expect(await maxDiff(again, want)).toBeLessThan(1e-5);
    expect(mixWeightOf(loaded)).toBeCloseTo(0.3, 6);
    // --init reads the main network's weights out of a mixed model.
    const inner = networkOf(loaded).getWeights();
    const trained = main.getWeights();
    expect(inner.length).toBe(trained.length);
    for (let i = 0; i < inner.length; i++) expect(await maxDiff(inner[i], trained[i])).toBe(0);
    tf.dispose([x, want, got, again]);
    for (const m of [main, upright, model, loaded]) m.dispose();
  });

  test('names a bad weight and a network that is not a plain digit network', async () => {
    expect(() => checkMixWeight(0)).toThrow(
      'Expected a mix weight between 0 and 1 (exclusive) but received 0',
    );
    expect(() => checkMixWeight(Number.NaN)).toThrow('received NaN');
    const net = createModel('softmax', { seed: 3 });
    const viewed = withViews(createModel('softmax', { seed: 4 }), 5);
    await expect(withMix(net, viewed, 0.2)).rejects.toThrow(
      /Expected a plain digit network .* to mix as upright/,
    );
    await expect(withMix(net, net, 1)).rejects.toThrow('received 1');
    net.dispose();
    viewed.dispose();
  });
});
