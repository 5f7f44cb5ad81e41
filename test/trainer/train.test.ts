import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  defaultTrainConfig,
  learningRateAt,
  LIGHT_AUGMENT_OPTIONS,
  TRAIN_AUGMENT_OPTIONS,
  type TrainConfig,
} from '../../trainer/config.ts';
import { writeManifest, readManifest } from '../../trainer/manifest.ts';
import { loadModel, sha256 } from '../../trainer/model-io.ts';
import { writeReport } from '../../trainer/report.ts';
import { CHECKPOINT_FILE, LOG_FILE, train, type EpochRecord } from '../../trainer/train.ts';
import { parseTrainArgs } from '../../trainer/train-cli.ts';
import { networkOf, viewsOf } from '../../trainer/views.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'digitlens-train-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const quiet = { write: () => {}, tty: false };

function slice(out: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...defaultTrainConfig,
    name: 'slice',
    out,
    arch: 'cnn',
    augment: 'none',
    epochs: 2,
    limit: 2000,
    validation: 1000,
    testLimit: 1000,
    backend: 'wasm',
    finish: null,
    specialist: null,
    ...overrides,
  };
}

/**
 * Interrupts a run after `epoch`, the way a kill would (that epoch's checkpoint is already on disk),
 * then resumes it; returns the resumed run's output and result.
 */
async function killAndResume(config: TrainConfig, epoch: number) {
  await expect(
    train(config, {
      ...quiet,
      onEpochEnd: (r) => {
        if (r.epoch === epoch) throw new Error('killed');
      },
    }),
  ).rejects.toThrow('killed');
  const lines: string[] = [];
  const resumed = await train({ ...config, resume: true }, { write: (s) => lines.push(s), tty: false });
  return { log: lines.join(''), resumed };
}

describe('train on a slice', () => {
  test('2,000 images beat 90% on 1,000 test images and write a complete model folder', async () => {
    const out = join(root, 'quick');
    const config = slice(out);
    const result = await train(config, quiet);
    expect(result.backend.backend).toBe('wasm');
    expect(result.test.count).toBe(1000);
    expect(result.test.accuracy).toBeGreaterThan(0.9);
    expect(result.history).toHaveLength(2);
    const manifest = await writeManifest(config, result);
    await writeReport(result, manifest, result.testSet);
    const files = await readdir(out);
    expect(files).toEqual(expect.arrayContaining(['model.json', 'manifest.json', LOG_FILE, 'report']));
    const onDisk = await readManifest(out);
    expect(onDisk.metrics.testAccuracy).toBe(result.test.accuracy);
    // The saved model, scored again on validation, is the best epoch's.
    const bestEpoch = result.history.find((h) => h.epoch === result.bestEpoch);
    expect(onDisk.metrics.validationAccuracy).toBe(bestEpoch?.valAccuracy);
    expect(result.validationTransposed.count).toBe(result.validation.count);
    expect(onDisk.metrics.validationTransposedAccuracy).toBe(result.validationTransposed.accuracy);
    expect(onDisk.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(1000);
    for (const [f, hash] of Object.entries(onDisk.files))
      expect(sha256(await readFile(join(out, f)))).toBe(hash);
    const report = await readdir(join(out, 'report'));
    expect(report).toEqual(
      expect.arrayContaining(['index.html', 'curves.png', 'confusion.png', 'misclassified.png']),
    );
    const log = (await readFile(join(out, LOG_FILE), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.map((l: EpochRecord) => l.epoch)).toEqual([1, 2]);
    result.model.dispose();
  });

  test('a killed run resumes after its last finished epoch', async () => {
    const out = join(root, 'resume');
    const config = slice(out, { epochs: 3, limit: 600, testLimit: 200, validation: 200 });
    const { log, resumed } = await killAndResume(config, 1);
    const ckpt = await readFile(join(out, CHECKPOINT_FILE));
    expect(ckpt.length).toBeGreaterThan(1000);
    expect(log).toMatch(/resume: continuing after epoch 1 of 3/);
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    resumed.model.dispose();
  });

  test('the finishing stage starts from the best weights, also when a kill fell between the stages', async () => {
    const out = join(root, 'finish');
    const finish = { epochs: 1, augment: 'light' as const, learningRate: 0.0003 };
    const config = slice(out, { epochs: 2, limit: 600, testLimit: 200, validation: 200, finish });
    const { log, resumed } = await killAndResume(config, 2);
    expect(log).toMatch(/resume: continuing after epoch 2 of 3/);
    expect(log).toMatch(/finish: 1 epochs from the best weights \(epoch [12]\), augment light/);
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    // The kept model is the finishing stage's, trained at its own (lower) rate.
    expect(resumed.bestEpoch).toBe(3);
    expect(resumed.history[2].learningRate).toBeLessThanOrEqual(finish.learningRate);
    expect(resumed.history[2].valAccuracy).toBeGreaterThan(0.8);
    resumed.model.dispose();
    // That cnn cannot start an mlp run: the error names the arch and the shapes found.
    await expect(train(slice(join(root, 'init-mlp'), { arch: 'mlp', init: out }), quiet)).rejects.toThrow(
      /Expected a mlp model for --init but .* holds weights of shapes \[3,3,1,32\]/,
    );
  });

  test('--init DIR --epochs 0 re-exports a trained model with five views, without training', async () => {
    const trained = join(root, 'to-view');
    const small = { epochs: 1, limit: 300, testLimit: 200, validation: 200 };
    const source = await train(slice(trained, small), quiet);
    const out = join(root, 'viewed');
    const config = slice(out, { ...small, epochs: 0, init: trained, views: 5 });
    const result = await train(config, quiet);
    expect(result.history).toEqual([]);
    expect(result.validation.count).toBe(200);
    expect(viewsOf(result.model)).toBe(5);
    const weights = (m: tfl.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
    expect(weights(networkOf(result.model))).toEqual(weights(source.model));
    expect(viewsOf(await loadModel(out))).toBe(5);
    const manifest = await writeManifest(config, result);
    expect(manifest.description).toMatch(/averages 5 views/);
    await writeReport(result, manifest, result.testSet);
    expect(await readFile(join(out, 'report', 'index.html'), 'utf8')).toMatch(/No training in this run/);
    source.model.dispose();
    result.model.dispose();
  });

  test('a digit-labelled model starts an orientation-labelled run reading digits as it did', async () => {
    const trained = join(root, 'digit-labels');
    const small = { epochs: 1, limit: 300, testLimit: 200, validation: 200 };
    const source = await train(slice(trained, small), quiet);
    const config = slice(join(root, 'spread'), { ...small, epochs: 0, init: trained, labels: 'orientation' });
    const spread = await train(config, quiet);
    expect(networkOf(spread.model).outputs[0].shape).toEqual([null, 60]);
    expect(spread.validation.accuracy).toBe(source.validation.accuracy);
    expect(spread.test.accuracy).toBe(source.test.accuracy);
    expect(spread.test.loss).toBeCloseTo(source.test.loss, 5);
    source.model.dispose();
    spread.model.dispose();
  });

  test('orientation labels train a 60-class network and save a 10-class model that --init reads', async () => {
    // The upright prior is applied to the saved network (its effect on probabilities: orientation.test.ts).
    const out = join(root, 'orientation');
    const small = { epochs: 2, limit: 600, testLimit: 200, validation: 200, augment: 'light' as const };
    const config = slice(out, { ...small, labels: 'orientation', uprightPrior: 2 });
    const lines: string[] = [];
    const result = await train(config, { write: (s) => lines.push(s), tty: false });
    expect(lines.join('')).toMatch(/labels: the saved model sums 6 orientation classes per digit/);
    expect(lines.join('')).toMatch(/upright prior: the saved model takes upright digits to be 2x likelier/);
    expect(result.model.outputs[0].shape).toEqual([null, 10]);
    expect(networkOf(result.model).outputs[0].shape).toEqual([null, 60]);
    // Accuracies count digits, in whichever orientation class: 600 images are enough for most.
    expect(result.history[1].trainAccuracy).toBeGreaterThan(0.4);
    expect(result.test.accuracy).toBeGreaterThan(0.6);
    const back = await loadModel(out);
    expect(back.outputs[0].shape).toEqual([null, 10]);
    const manifest = await writeManifest(config, result);
    expect(manifest.description).toMatch(/learns each digit in 6 orientation classes, summed to 10/);
    expect(manifest.config.uprightPrior).toBe(2);
    // Fine-tuning from the saved model copies the network inside the sum.
    const tuned = await train(
      slice(join(root, 'orientation-tuned'), { ...small, epochs: 1, labels: 'orientation', init: out }),
      quiet,
    );
    expect(tuned.test.accuracy).toBeGreaterThan(result.test.accuracy - 0.05);
    for (const m of [result.model, back, tuned.model]) m.dispose();
  });

  test('no tensors leak across training', async () => {
    const finish = { epochs: 1, augment: 'light' as const, learningRate: 0.0003 };
    const config = slice(join(root, 'leak'), {
      epochs: 1,
      limit: 256,
      testLimit: 100,
      validation: 100,
      finish,
    });
    // The first run allocates tfjs-layers' cached constants once; later runs must not add any.
    (await train(config, quiet)).model.dispose();
    const before = tf.memory().numTensors;
    (await train(config, quiet)).model.dispose();
    expect(tf.memory().numTensors - before).toBe(0);
  });
});

describe('config', () => {
  test('learning rate warms up, peaks, and decays to near zero', () => {
    const c = { ...defaultTrainConfig, epochs: 10, warmupEpochs: 1, learningRate: 0.01 };
    expect(learningRateAt(c, 0)).toBeLessThan(0.001);
    expect(learningRateAt(c, 1)).toBeCloseTo(0.01, 5);
    expect(learningRateAt(c, 10)).toBeLessThan(0.0005);
    expect(learningRateAt(c, 5)).toBeLessThan(learningRateAt(c, 3));
  });

  test.each([
    { argv: ['--arch', 'vgg'], message: /Expected one of .* for --arch but received "vgg"/ },
    {
      argv: ['--epochs', '1001'],
      message: /Expected an integer in \[0, 1000\] for --epochs but received "1001"/,
    },
    { argv: ['--epochs', '0'], message: /Expected --init DIR with --epochs 0/ },
    { argv: ['--views', '3'], message: /Expected one of 1, 5 for --views but received 3/ },
    { argv: ['--lr', 'fast'], message: /for --lr but received "fast"/ },
    { argv: ['--backend', 'tpu'], message: /for --backend but received "tpu"/ },
    { argv: ['--augment', 'heavy'], message: /for --augment but received "heavy"/ },
    { argv: ['--labels', 'rotation'], message: /for --labels but received "rotation"/ },
    { argv: ['--upright-prior', '0'], message: /for --upright-prior but received "0"/ },
    {
      argv: ['--upright-prior', '2'],
      message: /Expected labels 'orientation' for an upright prior of 2 but received labels 'digit'/,
    },
    { argv: ['--name', '../x'], message: /folder-safe name for --name/ },
    { argv: ['--bogus'], message: /Unknown option '--bogus'/ },
  ])('rejects $argv', ({ argv, message }) => {
    expect(() => parseTrainArgs(argv)).toThrow(message);
  });

  test('train refuses an upright prior for digit labels before it writes anything', async () => {
    const out = join(root, 'digit-prior');
    await expect(train(slice(out, { uprightPrior: 2 }), quiet)).rejects.toThrow(
      "Expected labels 'orientation' for an upright prior of 2 but received labels 'digit'",
    );
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  test('no flags reproduce the shipped default model config', async () => {
    expect(parseTrainArgs([])).toEqual(defaultTrainConfig);
    // The shipped model was made with exactly these defaults (its name, where it was written and
    // whether the run was resumed do not change the model).
    const shipped = await readManifest('models/default');
    // Manifests written before --views, --labels and --upright-prior existed are of one view, digit
    // labels and the learned orientation mix.
    const recipe = (c: object) => ({ ...c, name: null, out: null, resume: null });
    const { views = 1, labels = 'digit', uprightPrior = 1 } = shipped.config;
    expect(recipe({ ...shipped.config, views, labels, uprightPrior })).toEqual(recipe(defaultTrainConfig));
    expect(shipped.augmentOptions).toEqual(TRAIN_AUGMENT_OPTIONS);
    expect(shipped.finishAugmentOptions).toEqual(LIGHT_AUGMENT_OPTIONS);
    expect(parseTrainArgs(['--finish-epochs', '0'])).toMatchObject({ finish: null });
    expect(parseTrainArgs(['--labels', 'orientation'])).toMatchObject({ labels: 'orientation' });
    expect(parseTrainArgs(['--labels', 'orientation', '--upright-prior', '2.5'])).toMatchObject({
      uprightPrior: 2.5,
    });
    expect(parseTrainArgs(['--finish-epochs', '5'])).toMatchObject({
      finish: { epochs: 5, augment: 'light' },
    });
    const c = parseTrainArgs(['--name', 'x', '--epochs', '3', '--limit', '500', '--resume']);
    expect(c).toMatchObject({ name: 'x', out: 'models/x', epochs: 3, limit: 500, resume: true });
  });
});
