/**
 * Kernel benchmark: the WASM training kernels of `trainer/wasm-kernels.ts` against the stock
 * `@tensorflow/tfjs-backend-wasm` kernels, on the shapes of the seeds' CNN at batch 64, and whole
 * training steps of that CNN (Adam) on wasm at several batch sizes and on cpu.
 *
 *   npx tsx bench/kernels.ts          # prints the table
 *   import { runKernelBench } from './kernels.ts'   # rows for `npm run bench`
 *
 * Figures are medians of timed runs after warm-up runs, wall-clock, in one process. Machines here
 * are shared 2-core boxes: each row's note carries the 1-minute load average when it was taken.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';

import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../trainer/wasm-kernels.ts';

export interface BenchRow {
  name: string;
  medianMs: number;
  runs: number;
  note?: string;
}

export interface KernelBenchOptions {
  /** Timed runs per kernel (after `warmup` untimed ones). */
  kernelRuns: number;
  warmup: number;
  /** Batch sizes for the wasm training step. */
  stepBatches: number[];
  /** Timed training steps per batch size on wasm. */
  stepRuns: number;
  /**
   * Timed training steps on cpu; 0 skips cpu. The stock cpu kernels take minutes per batch-64 step
   * of this CNN (292 s measured), so cpu runs a small batch once, without warm-up.
   */
  cpuStepRuns: number;
  cpuStepBatch: number;
}

export const defaultKernelBenchOptions: KernelBenchOptions = {
  kernelRuns: 7,
  warmup: 2,
  stepBatches: [64, 128, 256],
  stepRuns: 8,
  cpuStepRuns: 1,
  cpuStepBatch: 8,
};

/** Images in one epoch of the MNIST training split as the trainer uses it. */
const EPOCH_IMAGES = 55_000;
const BATCH = 64;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function load(): string {
  return `load ${loadavg()[0].toFixed(1)}`;
}

interface Timing {
  median: number;
  min: number;
}

function summary(times: number[]): Timing {
  return { median: median(times), min: Math.min(...times) };
}

interface KernelCase {
  name: string;
  kernel: string;
  inputs: () => Record<string, tf.Tensor>;
  attrs: Record<string, unknown>;
  /** Runs for the stock kernel when it is much slower than ours. */
  stockRuns?: number;
  /** An input that changes every training step (weights after an update), copied before each run. */
  fresh?: string;
}

const conv = (x: number[], filter: number[]) => ({
  strides: [1, 1],
  pad: 'valid',
  dataFormat: 'NHWC',
  dilations: [1, 1],
  inputShape: x,
  filterShape: filter,
});

/** The seeds' CNN at batch 64: conv 1->32 and 32->64 (3x3 valid), 2x2 max pool, dense 9216->128->10. */
function kernelCases(): KernelCase[] {
  const r = (shape: number[]) => tf.randomUniform(shape, -1, 1);
  const convCases = (
    label: string,
    x: number[],
    filter: number[],
    y: number[],
    stockRuns: number,
  ): KernelCase[] => [
    {
      name: `${label} forward`,
      kernel: 'Conv2D',
      inputs: () => ({ x: r(x), filter: r(filter) }),
      attrs: conv(x, filter),
    },
    {
      name: `${label} dx`,
      kernel: 'Conv2DBackpropInput',
      inputs: () => ({ dy: r(y), filter: r(filter) }),
      attrs: conv(x, filter),
      stockRuns,
    },
    {
      name: `${label} dW`,
      kernel: 'Conv2DBackpropFilter',
      inputs: () => ({ x: r(x), dy: r(y) }),
      attrs: conv(x, filter),
    },
  ];
  const dense = (label: string, n: number, k: number, m: number): KernelCase[] => [
    {
      name: `${label} forward x·W`,
      kernel: 'BatchMatMul',
      inputs: () => ({ a: r([1, n, k]), b: r([1, k, m]) }),
      attrs: { transposeA: false, transposeB: false },
      fresh: 'b',
    },
    {
      name: `${label} dx = dy·Wᵀ`,
      kernel: 'BatchMatMul',
      inputs: () => ({ a: r([1, n, m]), b: r([1, k, m]) }),
      attrs: { transposeA: false, transposeB: true },
      stockRuns: 3,
    },
    {
      name: `${label} dW = xᵀ·dy`,
      kernel: 'BatchMatMul',
      inputs: () => ({ a: r([1, n, k]), b: r([1, n, m]) }),
      attrs: { transposeA: true, transposeB: false },
      stockRuns: 3,
    },
  ];
  return [
    ...convCases('conv 1->32 3x3 28x28', [BATCH, 28, 28, 1], [3, 3, 1, 32], [BATCH, 26, 26, 32], 3),
    ...convCases('conv 32->64 3x3 26x26', [BATCH, 26, 26, 32], [3, 3, 32, 64], [BATCH, 24, 24, 64], 1),
    ...dense('dense 9216->128', BATCH, 9216, 128),
    ...dense('dense 128->10', BATCH, 128, 10),
    {
      name: 'maxpool 2x2 grad [64,24,24,64]',
      kernel: 'MaxPoolGrad',
      inputs: () => {
        const input = r([BATCH, 24, 24, 64]);
        return { dy: r([BATCH, 12, 12, 64]), input, output: tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid') };
      },
      attrs: { filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
      stockRuns: 3,
    },
    {
      name: 'bias grad: sum [64,24,24,64] over N,H,W',
      kernel: 'Sum',
      inputs: () => ({ x: r([BATCH, 24, 24, 64]) }),
      attrs: { axis: [0, 1, 2], keepDims: false },
    },
    {
      name: 'batch norm statistics: mean [64,28,28,32] over N,H,W',
      kernel: 'Mean',
      inputs: () => ({ x: r([BATCH, 28, 28, 32]) }),
      attrs: { axis: [0, 1, 2], keepDims: true },
    },
    {
      name: 'clone (Identity) [64,28,28,32]',
      kernel: 'Identity',
      inputs: () => ({ x: r([BATCH, 28, 28, 32]) }),
      attrs: {},
    },
  ];
}

/**
 * Batch norm's forward and backward pass as dlnet2 trains it ([64,28,28,32], per-channel statistics): tfjs-core's
 * gradient with the stock kernels against `trainer/batchnorm-grad.ts` with the project's.
 */
function batchNormGradRows(opts: KernelBenchOptions): BenchRow[] {
  const shape = [BATCH, 28, 28, 32];
  const r = (dims: number[]) => tf.randomUniform(dims, -1, 1);
  const time = () => {
    const inputs = [r(shape), r([32]), tf.add(r([32]), 2), r([32]), r([32])];
    const weight = r(shape);
    const grads = tf.grads((x, mean, variance, scale, offset) =>
      tf.sum(tf.mul(tf.batchNorm(x, mean, variance, offset, scale), weight)),
    );
    const times: number[] = [];
    for (let i = 0; i < opts.warmup + opts.kernelRuns; i++) {
      const t0 = performance.now();
      tf.dispose(grads(inputs));
      if (i >= opts.warmup) times.push(performance.now() - t0);
    }
    tf.dispose([...inputs, weight]);
    return summary(times);
  };
  unregisterWasmTrainingKernels();
  const stock = time();
  registerWasmTrainingKernels();
  const ours = time();
  const name = `batch norm forward + backward [64,28,28,32]`;
  return [
    { name: `wasm stock: ${name}`, medianMs: stock.median, runs: opts.kernelRuns, note: `tile, ${load()}` },
    {
      name: `wasm digitlens: ${name}`,
      medianMs: ours.median,
      runs: opts.kernelRuns,
      note: `broadcast: ${(stock.median / ours.median).toFixed(1)}x stock, ${load()}`,
    },
  ];
}

function timeKernel(c: KernelCase, warmup: number, runs: number): Timing {
  const inputs = c.inputs();
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    // A fresh copy gets a new id, so XNNPACK re-packs it as it must for weights that change each step.
    const fresh = c.fresh == null ? null : tf.clone(inputs[c.fresh]);
    const run = fresh == null ? inputs : { ...inputs, [c.fresh as string]: fresh };
    const t0 = performance.now();
    const out = tf.engine().runKernel(c.kernel, run as never, c.attrs as never) as tf.Tensor;
    const ms = performance.now() - t0;
    out.dispose();
    fresh?.dispose();
    if (i >= warmup) times.push(ms);
  }
  tf.dispose(Object.values(inputs));
  return summary(times);
}

async function kernelRows(opts: KernelBenchOptions): Promise<BenchRow[]> {
  await tf.setBackend('wasm');
  const rows: BenchRow[] = [];
  for (const c of kernelCases()) {
    unregisterWasmTrainingKernels();
    const stockMissing = tf.getKernel(c.kernel, 'wasm') == null;
    const stockRuns = Math.min(opts.kernelRuns, c.stockRuns ?? opts.kernelRuns);
    const stock = stockMissing ? null : timeKernel(c, 1, stockRuns);
    registerWasmTrainingKernels();
    const ours = timeKernel(c, opts.warmup, opts.kernelRuns);
    if (stock != null) {
      rows.push({
        name: `wasm stock: ${c.name}`,
        medianMs: stock.median,
        runs: stockRuns,
        note: `${c.kernel}, min ${stock.min.toFixed(1)} ms, ${load()}`,
      });
    }
    const versus =
      stock == null
        ? 'not registered in stock tfjs-backend-wasm'
        : `${(stock.median / ours.median).toFixed(1)}x stock`;
    rows.push({
      name: `wasm digitlens: ${c.name}`,
      medianMs: ours.median,
      runs: opts.kernelRuns,
      note: `${c.kernel}: ${versus}, min ${ours.min.toFixed(1)} ms, ${load()}`,
    });
  }
  return rows;
}

/**
 * The seeds' CNN as in the classic Keras MNIST example: conv32-conv64 (3x3 valid, ReLU), 2x2 max
 * pool, dropout 0.25, flatten, dense 128 (ReLU), dropout 0.5, dense 10 softmax; Adam, cross-entropy.
 * Input [N,28,28,1]; output [N,10].
 */
export function createSeedsCnn(seed = 1): tfl.LayersModel {
  let s = seed;
  const init = () => tfl.initializers.glorotUniform({ seed: s++ });
  const model = tfl.sequential();
  model.add(
    tfl.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 32,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: init(),
    }),
  );
  model.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: init() }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.dropout({ rate: 0.25 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init() }));
  model.add(tfl.layers.dropout({ rate: 0.5 }));
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }));
  model.compile({ optimizer: tf.train.adam(), loss: 'categoricalCrossentropy' });
  return model;
}

interface StepTiming extends Timing {
  /** Median CPU time (user + system) of this process per step: what a step costs when it is not
   *  waiting for a core, so a figure for an otherwise idle machine. */
  cpuMedian: number;
}

async function timeTrainingStep(batch: number, warmup: number, runs: number): Promise<StepTiming> {
  const model = createSeedsCnn();
  const x = tf.randomUniform([batch, 28, 28, 1]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await model.trainOnBatch(x, y);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (i >= warmup) {
      times.push(ms);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
    }
  }
  model.optimizer.dispose();
  model.dispose();
  tf.dispose([x, y]);
  return { ...summary(times), cpuMedian: median(cpuTimes) };
}

function stepRow(backend: string, batch: number, t: StepTiming, runs: number): BenchRow {
  const rate = (ms: number) => (batch * 1000) / ms;
  const digits = rate(t.median) < 10 ? 2 : 0;
  const epoch = (ms: number) => `${(EPOCH_IMAGES / rate(ms)).toFixed(0)} s/epoch`;
  return {
    name: `train step ${backend} (seeds' CNN, Adam) batch ${batch}`,
    medianMs: t.median,
    runs,
    note:
      `${rate(t.median).toFixed(digits)} images/s (${epoch(t.median)} of ${EPOCH_IMAGES}); ` +
      `best step ${rate(t.min).toFixed(digits)} images/s; ` +
      `per CPU-second ${rate(t.cpuMedian).toFixed(digits)} images/s (${epoch(t.cpuMedian)}); ${load()}`,
  };
}

async function trainingRows(opts: KernelBenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
  for (const batch of opts.stepBatches) {
    rows.push(
      stepRow('wasm', batch, await timeTrainingStep(batch, opts.warmup, opts.stepRuns), opts.stepRuns),
    );
  }
  if (opts.cpuStepRuns > 0) {
    await tf.setBackend('cpu');
    const t = await timeTrainingStep(opts.cpuStepBatch, 0, opts.cpuStepRuns);
    rows.push(stepRow('cpu', opts.cpuStepBatch, t, opts.cpuStepRuns));
    await tf.setBackend('wasm');
  }
  return rows;
}

/** Runs every benchmark and returns its rows; leaves the training kernels registered on 'wasm'. */
export async function runKernelBench(options: Partial<KernelBenchOptions> = {}): Promise<BenchRow[]> {
  const opts = { ...defaultKernelBenchOptions, ...options };
  for (const [key, value] of Object.entries(opts)) {
    const ok = Array.isArray(value)
      ? value.length > 0 && value.every((v) => Number.isInteger(v) && v > 0)
      : Number.isInteger(value) && (value as number) >= 0;
    if (!ok)
      throw new Error(`Expected non-negative integers for ${key} but received ${JSON.stringify(value)}`);
  }
  if (opts.kernelRuns < 1 || opts.stepRuns < 1) {
    throw new Error(
      `Expected at least one run for kernelRuns and stepRuns but received ${opts.kernelRuns}, ${opts.stepRuns}`,
    );
  }
  return [...(await kernelRows(opts)), ...batchNormGradRows(opts), ...(await trainingRows(opts))];
}

function formatRows(rows: BenchRow[]): string {
  const width = Math.max(...rows.map((r) => r.name.length));
  return rows
    .map(
      (r) => `${r.name.padEnd(width)}  ${r.medianMs.toFixed(1).padStart(9)} ms  x${r.runs}  ${r.note ?? ''}`,
    )
    .join('\n');
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runKernelBench()
    .then((rows) => console.log(formatRows(rows)))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    });
}
