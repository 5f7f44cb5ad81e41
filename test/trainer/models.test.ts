import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ARCHS, checkArch, countParams, createModel } from '../../trainer/models.ts';
import { loadModel, ModelLoadError, saveModel } from '../../trainer/model-io.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'digitlens-models-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createModel', () => {
  test.each(ARCHS.map((arch) => ({ arch })))('$arch maps [N,28,28,1] to [N,10] probabilities', ({ arch }) => {
    const model = createModel(arch);
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => model.predict(tf.randomUniform([3, 28, 28, 1])) as tf.Tensor);
    expect(out.shape).toEqual([3, 10]);
    const sums = tf.tidy(() => tf.sum(out, 1).arraySync() as number[]);
    sums.forEach((s) => expect(s).toBeCloseTo(1, 4));
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(countParams(model)).toBeGreaterThan(7000);
    model.dispose();
  });

  test('the same seed gives the same initial weights', () => {
    const a = createModel('cnn', { seed: 7 });
    const b = createModel('cnn', { seed: 7 });
    const c = createModel('cnn', { seed: 8 });
    const wa = a.getWeights()[0].dataSync();
    expect(Array.from(b.getWeights()[0].dataSync())).toEqual(Array.from(wa));
    expect(Array.from(c.getWeights()[0].dataSync())).not.toEqual(Array.from(wa));
    [a, b, c].forEach((m) => m.dispose());
  });

  test('rejects an unknown architecture with the valid names', () => {
    expect(() => checkArch('resnet')).toThrow(
      /Expected one of softmax, mlp, lenet5, cnn, dlnet, dlnet2 for --arch but received "resnet"/,
    );
  });
});

describe('saveModel / loadModel', () => {
  test('round trip keeps predictions and writes a hashed weights file', async () => {
    const model = createModel('dlnet');
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 3);
    const before = (model.predict(x) as tf.Tensor).dataSync();
    const saved = await saveModel(model, dir);
    const files = await readdir(dir);
    expect(files).toContain('model.json');
    expect(files.filter((f) => /^weights-[0-9a-f]{16}\.bin$/.test(f))).toHaveLength(1);
    expect(Object.keys(saved.files)).toHaveLength(2);
    const loaded = await loadModel(dir);
    const after = (loaded.predict(x) as tf.Tensor).dataSync();
    Array.from(after).forEach((v, i) => expect(v).toBeCloseTo(before[i], 5));
    // Saving again with other weights replaces the weights file instead of accumulating them.
    const other = createModel('dlnet', { seed: 99 });
    await saveModel(other, dir);
    expect((await readdir(dir)).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    [model, loaded, other].forEach((m) => m.dispose());
    x.dispose();
  });

  test.each([
    { name: 'missing folder', setup: async () => join(dir, 'nope'), message: /does not exist/ },
    {
      name: 'folder without model.json',
      setup: async () => mkdtemp(join(tmpdir(), 'digitlens-empty-')),
      message: /Expected model.json in .* but there is none/,
    },
    {
      name: 'corrupt model.json',
      setup: async () => {
        const d = await mkdtemp(join(tmpdir(), 'digitlens-bad-'));
        await writeFile(join(d, 'model.json'), '{not json');
        return d;
      },
      message: /Expected valid JSON/,
    },
    {
      name: 'truncated weights',
      setup: async () => {
        const d = await mkdtemp(join(tmpdir(), 'digitlens-trunc-'));
        const m = createModel('softmax');
        const saved = await saveModel(m, d);
        const weights = Object.keys(saved.files).find((f) => f.endsWith('.bin'))!;
        await writeFile(join(d, weights), new Uint8Array(10));
        m.dispose();
        return d;
      },
      message: /Expected 31400 bytes of weights .* received 10/,
    },
  ])('a $name gives a clear error', async ({ setup, message }) => {
    const d = await setup();
    await expect(loadModel(d)).rejects.toThrow(ModelLoadError);
    await expect(loadModel(d)).rejects.toThrow(message);
  });
});
