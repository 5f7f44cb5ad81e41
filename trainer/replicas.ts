/**
 * Data-parallel training on one machine. TensorFlow.js WASM uses one thread per backend in Node, so a
 * step is split across replicas: the main thread and (replicas - 1) worker threads each compute the
 * gradients of their shard of the batch; the main thread averages them (weighted by shard size),
 * applies the optimizer, and sends the new weights with the next shard.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { BackendChoice } from './backend-ladder.ts';
import type { Arch } from './models.ts';
import { WorkerPool } from './worker-pool.ts';

export interface ReplicaInit {
  arch: Arch;
  modelSeed: number;
  dropout: number;
  /** Orientation classes per digit (models.ts); targets have 10 x orientations columns. */
  orientations: number;
  backend: BackendChoice;
  /** Seed of the replica's own random stream (dropout masks). */
  seed: number;
}

export interface ShardTask {
  weights: Float32Array[];
  x: Float32Array;
  y: Float32Array;
  n: number;
  /** The shard's share of the batch (n / batch size): gradients come back scaled by it. */
  scale: number;
}

export interface ShardResult {
  grads: Float32Array[];
  loss: number;
  hits: number;
}

function lossOf(model: tfl.LayersModel, xt: tf.Tensor, yt: tf.Tensor): { loss: tf.Scalar; probs: tf.Tensor } {
  const p = model.apply(xt, { training: true }) as tf.Tensor;
  // Cross-entropy on probabilities (the model ends in softmax, per the model contract).
  const loss = tf.neg(tf.mean(tf.sum(tf.mul(yt, tf.log(tf.clipByValue(p, 1e-7, 1))), 1))) as tf.Scalar;
  return { loss, probs: p };
}

/**
 * Loss, hit count and gradients (by variable name) of a shard, as tensors the caller disposes. The
 * gradients are those of the shard's mean loss times `scale`, so that shards' gradients add up to
 * the batch's.
 */
function shardTensors(
  model: tfl.LayersModel,
  x: Float32Array,
  y: Float32Array,
  n: number,
  scale = 1,
): { loss: tf.Scalar; hits: tf.Scalar; grads: tf.NamedTensorMap } {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x.subarray(0, n * 784), [n, 28, 28, 1]);
    const classes = model.outputs[0].shape[1] as number;
    const yt = tf.tensor2d(y.subarray(0, n * classes), [n, classes]);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    let probs: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = lossOf(model, xt, yt);
      probs = tf.keep(out.probs);
      return out.loss;
    }, vars);
    // A hit is the right digit, whatever orientation class it was read in.
    const digits = (t: tf.Tensor) => tf.argMax(tf.sum(tf.reshape(t, [n, classes / 10, 10]), 1), 1);
    const hits = tf.sum(tf.cast(tf.equal(digits(probs!), digits(yt)), 'int32')) as tf.Scalar;
    probs!.dispose();
    if (scale !== 1) for (const name of Object.keys(grads)) grads[name] = tf.mul(grads[name], scale);
    return { loss: value, hits, grads };
  });
}

/**
 * Gradients of the mean loss over n digits times `scale`, in the order of model.trainableWeights.
 * Read with data(), not dataSync(): WebGPU in Node has no synchronous read.
 */
export async function shardGradients(
  model: tfl.LayersModel,
  x: Float32Array,
  y: Float32Array,
  n: number,
  scale = 1,
): Promise<ShardResult> {
  const { loss, hits, grads } = shardTensors(model, x, y, n, scale);
  const names = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
  try {
    return {
      // Own copies: these buffers are transferred to another thread.
      grads: await Promise.all(names.map(async (name) => new Float32Array(await grads[name].data()))),
      loss: (await loss.data())[0],
      hits: (await hits.data())[0],
    };
  } finally {
    tf.dispose([loss, hits, grads]);
  }
}

/** Splits n into `parts` nearly equal shard sizes, largest first. */
export function shardSizes(n: number, parts: number): number[] {
  const base = Math.floor(n / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < n % parts ? 1 : 0));
}

export class Replicas {
  private readonly pool: WorkerPool<ShardTask, ShardResult> | null;

  /** `count` replicas in all, the main thread included; 1 means plain single-thread training. */
  constructor(
    readonly count: number,
    init: ReplicaInit,
  ) {
    this.pool =
      count > 1
        ? new WorkerPool<ShardTask, ShardResult>(
            new URL('./replica-worker.ts', import.meta.url),
            init,
            count - 1,
            (i) => ({
              ...init,
              seed: (init.seed + 7919 * (i + 1)) >>> 0,
            }),
          )
        : null;
  }

  /**
   * One optimisation step over n digits of x/y, split across the replicas.
   * Returns the batch's mean loss and number of correct predictions.
   */
  async step(
    model: tfl.LayersModel,
    optimizer: tf.Optimizer,
    x: Float32Array,
    y: Float32Array,
    n: number,
  ): Promise<[number, number]> {
    if (!this.pool) {
      // One replica: the gradients stay on the backend (no round trip through the CPU on a GPU).
      const { loss, hits, grads } = shardTensors(model, x, y, n);
      try {
        optimizer.applyGradients(grads);
        return [(await loss.data())[0], (await hits.data())[0]];
      } finally {
        tf.dispose([loss, hits, grads]);
      }
    }
    const sizes = shardSizes(n, Math.min(this.count, n));
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    let offset = sizes[0];
    const classes = model.outputs[0].shape[1] as number;
    const weights = await Promise.all(vars.map(async (v) => new Float32Array(await v.data())));
    const remote = this.pool.run(
      sizes.slice(1).map((size) => {
        const task: ShardTask = {
          weights,
          x: x.slice(offset * 784, (offset + size) * 784),
          y: y.slice(offset * classes, (offset + size) * classes),
          n: size,
          scale: size / n,
        };
        offset += size;
        return task;
      }),
    );
    // The main thread's shard stays on the backend; the workers' scaled gradients are added to it
    // there (a JS loop over every weight cost as much as the optimizer step).
    const local = shardTensors(model, x, y, sizes[0], sizes[0] / n);
    try {
      const results = await remote;
      tf.tidy(() => {
        const grads: tf.NamedTensorMap = {};
        vars.forEach((v, i) => {
          grads[v.name] = tf.addN([
            local.grads[v.name],
            ...results.map((r) => tf.tensor(r.grads[i], v.shape)),
          ]);
        });
        optimizer.applyGradients(grads);
      });
      let loss = (await local.loss.data())[0] * (sizes[0] / n);
      let hits = (await local.hits.data())[0];
      results.forEach((r, k) => {
        loss += r.loss * (sizes[k + 1] / n);
        hits += r.hits;
      });
      return [loss, hits];
    } finally {
      tf.dispose([local.loss, local.hits, local.grads]);
    }
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
