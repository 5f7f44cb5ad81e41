/**
 * Resumable training state in one file: [uint32 header length][JSON header][float32 data].
 * One file written atomically means a kill at any moment leaves either the old or the new checkpoint.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic } from './atomic-write.ts';

interface TensorSpec {
  name: string;
  shape: number[];
}

export interface CheckpointState<H> {
  /** Epochs finished (the next run starts at this index). */
  epoch: number;
  history: H[];
  bestEpoch: number;
  bestValAccuracy: number;
  epochsWithoutImprovement: number;
  /** Seconds spent training so far, summed over runs. */
  trainSeconds: number;
}

interface Header<H> extends CheckpointState<H> {
  format: 'digitlens-checkpoint-1';
  weights: TensorSpec[];
  optimizer: TensorSpec[];
}

export async function saveCheckpoint<H>(
  path: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  state: CheckpointState<H>,
): Promise<void> {
  const weights = model.getWeights();
  const optWeights = await optimizer.getWeights();
  const tensors = [...weights, ...optWeights.map((w) => w.tensor)];
  const header: Header<H> = {
    format: 'digitlens-checkpoint-1',
    ...state,
    weights: weights.map((t, i) => ({ name: `w${i}`, shape: t.shape })),
    optimizer: optWeights.map((w) => ({ name: w.name, shape: w.tensor.shape })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const floats = tensors.reduce((n, t) => n + t.size, 0);
  const buf = new Uint8Array(4 + json.length + floats * 4 + ((4 - ((4 + json.length) % 4)) % 4));
  const dataStart = buf.length - floats * 4;
  new DataView(buf.buffer).setUint32(0, json.length, true);
  buf.set(json, 4);
  const data = new Float32Array(buf.buffer, dataStart, floats);
  let o = 0;
  for (const t of tensors) {
    data.set((await t.data()) as Float32Array, o);
    o += t.size;
  }
  // getWeights() makes a fresh scalar for the iteration count; the moments are the optimizer's own.
  optWeights.filter((w) => w.name === 'iter').forEach((w) => w.tensor.dispose());
  await writeFileAtomic(path, buf);
}

/** Restores weights and optimizer state; returns the saved training state, or null without a checkpoint. */
export async function loadCheckpoint<H>(
  path: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
): Promise<CheckpointState<H> | null> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch {
    return null;
  }
  const len = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + len).toString('utf8')) as Header<H>;
  if (header.format !== 'digitlens-checkpoint-1') {
    throw new Error(
      `Expected a digitlens checkpoint in ${path} but received format ${JSON.stringify(header.format)}`,
    );
  }
  const specs = [...header.weights, ...header.optimizer];
  const floats = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const dataStart = buf.length - floats * 4;
  const aligned = new Float32Array(buf.buffer.slice(buf.byteOffset + dataStart, buf.byteOffset + buf.length));
  let o = 0;
  const take = (s: TensorSpec) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(aligned.subarray(o, o + n), s.shape);
    o += n;
    return t;
  };
  const current = model.getWeights();
  if (current.length !== header.weights.length) {
    throw new Error(
      `Expected a checkpoint with ${current.length} weight tensors (same --arch) in ${path} but received ${header.weights.length}`,
    );
  }
  const weights = header.weights.map(take);
  model.setWeights(weights);
  tf.dispose(weights);
  const opt = header.optimizer.map((s) => ({ name: s.name, tensor: take(s) }));
  await optimizer.setWeights(opt);
  // setWeights copies into new variables; the tensors read from the file are ours to free.
  tf.dispose(opt.map((w) => w.tensor));
  const { epoch, history, bestEpoch, bestValAccuracy, epochsWithoutImprovement, trainSeconds } = header;
  return { epoch, history, bestEpoch, bestValAccuracy, epochsWithoutImprovement, trainSeconds };
}
