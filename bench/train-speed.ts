/**
 * Training throughput per backend and architecture: images per second of whole optimisation steps
 * (forward, backward, Adam), and the epoch time that implies for 55,000 images.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { ARCHS, createModel, type Arch } from '../trainer/models.ts';
import { Replicas } from '../trainer/replicas.ts';
import { registerWasmTrainingKernels } from '../trainer/wasm-kernels.ts';
import { median, type BenchRow } from './bench-row.ts';

const EPOCH_IMAGES = 55_000;

async function stepTimes(
  arch: Arch,
  batch: number,
  runs: number,
  jobs: number,
  backend: 'wasm' | 'cpu',
): Promise<number[]> {
  const model = createModel(arch);
  const optimizer = tf.train.adam(0.001);
  const replicas = new Replicas(jobs, {
    arch,
    modelSeed: 42,
    dropout: 0.4,
    orientations: 1,
    backend,
    seed: 1,
  });
  const x = new Float32Array(batch * 784).map((_, i) => ((i * 7919) % 255) / 255);
  const y = new Float32Array(batch * 10);
  for (let b = 0; b < batch; b++) y[b * 10 + (b % 10)] = 1;
  try {
    await replicas.step(model, optimizer, x, y, batch); // warm-up: kernels compiled, weights allocated
    const samples: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      await replicas.step(model, optimizer, x, y, batch);
      samples.push(performance.now() - t0);
    }
    return samples;
  } finally {
    await replicas.close();
    model.dispose();
    optimizer.dispose();
  }
}

function row(backend: string, arch: Arch, batch: number, jobs: number, samples: number[]): BenchRow {
  const ms = median(samples);
  const ips = (batch * 1000) / ms;
  return {
    name: `train step ${backend} ${arch} (batch ${batch}, ${jobs} thread${jobs > 1 ? 's' : ''})`,
    medianMs: ms,
    runs: samples.length,
    note: `${Math.round(ips)} img/s, ${(EPOCH_IMAGES / ips).toFixed(0)} s per 55k epoch`,
  };
}

export interface TrainBenchOptions {
  archs: readonly Arch[];
  batch: number;
  runs: number;
  /** The stock cpu backend is ~100x slower: a few steps suffice, and only for the seeds' CNN; 0 skips it. */
  cpuRuns: number;
  /** Thread counts to compare (data-parallel replicas). */
  jobs: number[];
}

export const defaultTrainBenchOptions: TrainBenchOptions = {
  archs: ARCHS,
  batch: 64,
  runs: 10,
  cpuRuns: 1,
  jobs: [1, 2],
};

export async function runTrainBench(options: Partial<TrainBenchOptions> = {}): Promise<BenchRow[]> {
  const opts = { ...defaultTrainBenchOptions, ...options };
  const rows: BenchRow[] = [];
  await tf.setBackend('wasm');
  // Stock tfjs-backend-wasm has no Conv2DBackpropFilter: show that before the project's kernels go in.
  try {
    await stepTimes('cnn', 8, 1, 1, 'wasm');
    rows.push({ name: 'train step wasm stock cnn', medianMs: NaN, runs: 0, note: 'ran (unexpected)' });
  } catch (err) {
    rows.push({
      name: 'train step wasm stock cnn',
      medianMs: NaN,
      runs: 0,
      note: `fails: ${(err as Error).message.split('\n')[0].slice(0, 80)}`,
    });
  }
  registerWasmTrainingKernels();
  for (const arch of opts.archs) {
    for (const jobs of opts.jobs) {
      rows.push(
        row('wasm', arch, opts.batch, jobs, await stepTimes(arch, opts.batch, opts.runs, jobs, 'wasm')),
      );
    }
  }
  if (opts.cpuRuns > 0) {
    await tf.setBackend('cpu');
    rows.push(row('cpu', 'cnn', opts.batch, 1, await stepTimes('cnn', opts.batch, opts.cpuRuns, 1, 'cpu')));
  }
  return rows;
}
