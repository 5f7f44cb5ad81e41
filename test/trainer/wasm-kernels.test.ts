import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers registers the gradient functions that tf.grads needs.
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import {
  conv2DBackpropFilter,
  conv2DBackpropInput,
  makeConv2D,
  makeFusedConv2D,
} from '../../trainer/wasm-kernels-conv.ts';
import { createModel } from '../../trainer/models.ts';
import { shardGradients } from '../../trainer/replicas.ts';
import {
  WASM_TRAINING_KERNEL_NAMES,
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  wasmTrainingKernelsRegistered,
} from '../../trainer/wasm-kernels.ts';
import { relativeError } from './relative-error.ts';

type Backend = 'wasm' | 'cpu';
type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

const RTOL = 1e-4;

/** Runs `f` on each backend and returns the values of the tensors it returns, by backend. */
function onBackends(f: () => tf.Tensor[]): Record<Backend, Float32Array[]> {
  const out = {} as Record<Backend, Float32Array[]>;
  for (const backend of ['wasm', 'cpu'] as const) {
    tf.setBackend(backend);
    out[backend] = tf.tidy(f).map((t) => {
      const values = t.dataSync() as Float32Array;
      t.dispose();
      return values;
    });
  }
  tf.setBackend('wasm');
  return out;
}

function expectClose(result: Record<Backend, Float32Array[]>, rtol = RTOL): void {
  expect(result.wasm.length).toBe(result.cpu.length);
  result.wasm.forEach((values, i) => {
    expect(relativeError(values, result.cpu[i])).toBeLessThan(rtol);
  });
}

const uniform = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

function wasmBackend(): { numDataIds(): number; wasm: { HEAPU8: Uint8Array } } {
  return tf.findBackend('wasm') as unknown as { numDataIds(): number; wasm: { HEAPU8: Uint8Array } };
}

beforeAll(async () => {
  registerWasmTrainingKernels();
  expect(await tf.setBackend('cpu')).toBe(true);
  expect(await tf.setBackend('wasm')).toBe(true);
});

afterAll(() => {
  tf.setBackend('wasm');
});

describe('registration', () => {
  test('is idempotent and reversible', () => {
    registerWasmTrainingKernels();
    const first = WASM_TRAINING_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    registerWasmTrainingKernels();
    const second = WASM_TRAINING_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    expect(second).toEqual(first);
    expect(wasmTrainingKernelsRegistered()).toBe(true);

    unregisterWasmTrainingKernels();
    expect(wasmTrainingKernelsRegistered()).toBe(false);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBeDefined();
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).not.toBe(
      first[WASM_TRAINING_KERNEL_NAMES.indexOf('BatchMatMul')],
    );

    registerWasmTrainingKernels();
    expect(wasmTrainingKernelsRegistered()).toBe(true);
  });
});

describe('Conv2D and its gradients match the cpu backend', () => {
  const cases: {
    name: string;
    x: number[];
    filter: number[];
    strides: number | [number, number];
    pad: Pad;
  }[] = [
    { name: '3x3 valid', x: [2, 8, 8, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'valid' },
    { name: '3x3 same', x: [2, 8, 8, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'same' },
    { name: '5x5 same stride 2', x: [2, 9, 9, 4], filter: [5, 5, 4, 6], strides: 2, pad: 'same' },
    { name: 'one input channel stride 2', x: [3, 28, 28, 1], filter: [3, 3, 1, 8], strides: 2, pad: 'valid' },
    { name: 'stride [2,1] explicit pads', x: [2, 7, 6, 2], filter: [3, 2, 2, 3], strides: [2, 1], pad: [[0, 0], [1, 2], [0, 3], [0, 0]] }, // prettier-ignore
    { name: 'pads wider than the kernel', x: [1, 5, 5, 2], filter: [3, 3, 2, 2], strides: 1, pad: [[0, 0], [3, 3], [3, 3], [0, 0]] }, // prettier-ignore
    { name: '1x1', x: [2, 5, 5, 4], filter: [1, 1, 4, 3], strides: 1, pad: 'valid' },
    { name: 'even kernel same', x: [2, 7, 7, 3], filter: [2, 2, 3, 4], strides: 1, pad: 'same' },
    { name: 'even kernel same stride 2', x: [2, 8, 9, 3], filter: [4, 4, 3, 2], strides: 2, pad: 'same' },
    { name: "the seeds' conv 32->64", x: [1, 26, 26, 32], filter: [3, 3, 32, 64], strides: 1, pad: 'valid' },
    { name: "the seeds' first conv", x: [4, 28, 28, 1], filter: [3, 3, 1, 32], strides: 1, pad: 'valid' },
    { name: '8 channels stride [2,1] explicit pads', x: [2, 7, 6, 8], filter: [3, 2, 8, 3], strides: [2, 1], pad: [[0, 0], [1, 2], [0, 3], [0, 0]] }, // prettier-ignore
    { name: '4 channels pads wider than the kernel', x: [1, 5, 5, 4], filter: [3, 3, 4, 2], strides: 1, pad: [[0, 0], [3, 3], [3, 3], [0, 0]] }, // prettier-ignore
    {
      name: '12 channels even kernel same stride 2',
      x: [3, 8, 9, 12],
      filter: [4, 4, 12, 5],
      strides: 2,
      pad: 'same',
    },
  ];
  test.each(cases)('$name', ({ x, filter, strides, pad }) => {
    const result = onBackends(() => {
      // A non-uniform dy: the output weighted by a fixed random tensor.
      const conv = (xs: tf.Tensor, f: tf.Tensor) =>
        tf.conv2d(xs as tf.Tensor4D, f as tf.Tensor4D, strides, pad);
      const grad = tf.grads((xs: tf.Tensor, f: tf.Tensor) => {
        const y = conv(xs, f);
        return tf.sum(tf.mul(y, uniform(y.shape, 3)));
      });
      return [conv(uniform(x, 1), uniform(filter, 2)), ...grad([uniform(x, 1), uniform(filter, 2)])];
    });
    expectClose(result);
  });

  test.each([
    { name: 'no bias, linear (a convolution before batch norm)', bias: false, activation: 'linear' as const },
    { name: 'bias and relu (stock XNNPACK)', bias: true, activation: 'relu' as const },
  ])('fused convolution: $name', ({ bias, activation }) => {
    const result = onBackends(() => {
      const conv = (x: tf.Tensor, filter: tf.Tensor, b?: tf.Tensor) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: filter as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: b,
          activation,
        });
      const inputs = [
        uniform([2, 6, 5, 8], 1),
        uniform([3, 3, 8, 12], 2),
        ...(bias ? [uniform([12], 3)] : []),
      ];
      const grad = tf.grads((...xs: tf.Tensor[]) => {
        const y = conv(xs[0], xs[1], xs[2]);
        return tf.sum(tf.mul(y, uniform(y.shape, 4)));
      });
      return [conv(inputs[0], inputs[1], inputs[2]), ...grad(inputs)];
    });
    expectClose(result);
  });

  test.each([
    { name: 'stride 1', strides: 1 as const, pad: 'same' as const },
    { name: 'stride 2', strides: 2 as const, pad: 'valid' as const },
  ])('chunked products agree with one product ($name)', ({ strides, pad }) => {
    const x = uniform([3, 11, 9, 4], 4);
    const dy = uniform(tf.conv2d(x as tf.Tensor4D, tf.zeros([3, 3, 4, 6]), strides, pad).shape, 5);
    const filter = uniform([3, 3, 4, 6], 6);
    const backend = tf.backend();
    const attrs = { strides, pad, dataFormat: 'NHWC', filterShape: [3, 3, 4, 6], inputShape: x.shape };
    const read = (info: tf.TensorInfo) => {
      const t = tf.engine().makeTensorFromTensorInfo(info);
      const values = t.dataSync() as Float32Array;
      t.dispose();
      return values;
    };
    const whole = read(conv2DBackpropFilter({ inputs: { x, dy }, backend, attrs }, 1 << 20));
    const forward = (columns: number) => {
      const noStock = () => {
        throw new Error('the stock Conv2D should not run');
      };
      return read(makeConv2D(noStock, columns)({ inputs: { x, filter }, backend, attrs }) as tf.TensorInfo);
    };
    const forwardWhole = forward(1 << 20);
    const noStock = () => {
      throw new Error('the stock FusedConv2D should not run');
    };
    const fusedAttrs = { ...attrs, activation: 'linear' };
    const fused = makeFusedConv2D(noStock)({ inputs: { x, filter }, backend, attrs: fusedAttrs });
    expect(read(fused as tf.TensorInfo)).toEqual(forwardWhole);
    for (const columns of [7, 20, 1 << 20]) {
      expect(relativeError(forward(columns), forwardWhole)).toBeLessThan(1e-6);
      const chunked = read(conv2DBackpropFilter({ inputs: { x, dy }, backend, attrs }, columns));
      expect(relativeError(chunked, whole)).toBeLessThan(1e-6);
      const viaConv = read(conv2DBackpropInput({ inputs: { dy, filter }, backend, attrs }));
      const viaCols = read(
        conv2DBackpropInput({ inputs: { dy, filter }, backend, attrs }, { columns, method: 'col2im' }),
      );
      expect(relativeError(viaCols, viaConv)).toBeLessThan(1e-6);
    }
    tf.dispose([x, dy, filter]);
  });
});

describe('MatMul gradients match the cpu backend', () => {
  const shapes: { name: string; a: number[]; b: number[] }[] = [
    { name: 'small', a: [5, 7], b: [7, 3] },
    { name: "the seeds' dense 9216->128 (scaled)", a: [16, 1152], b: [1152, 128] },
    { name: 'dense 128->10', a: [64, 128], b: [128, 10] },
    { name: 'batched', a: [3, 64, 100], b: [3, 100, 50] },
    { name: 'batched, tiny', a: [2, 5, 7], b: [2, 7, 3] },
  ];
  const cases = shapes.flatMap((s) =>
    [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ].map(([transposeA, transposeB]) => ({ ...s, transposeA, transposeB })),
  );
  const stored = (shape: number[], transposed: boolean) =>
    transposed ? [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]] : shape;

  test.each(cases)(
    '$name transposeA=$transposeA transposeB=$transposeB',
    ({ a, b, transposeA, transposeB }) => {
      const result = onBackends(() => {
        const at = uniform(stored(a, transposeA), 1);
        const bt = uniform(stored(b, transposeB), 2);
        const grad = tf.grads((x: tf.Tensor, y: tf.Tensor) => {
          const c = tf.matMul(x, y, transposeA, transposeB);
          return tf.sum(tf.mul(c, uniform(c.shape, 3)));
        });
        return [tf.matMul(at, bt, transposeA, transposeB), ...grad([at, bt])];
      });
      expectClose(result);
    },
  );

  test.each([
    { name: 'batch of a times one b', a: [2, 5, 7], b: [7, 3] },
    { name: 'one a times a batch of b', a: [40, 70], b: [3, 70, 30] },
  ])('broadcast product: $name', ({ a, b }) => {
    for (const [transposeA, transposeB] of [
      [false, false],
      [true, true],
    ]) {
      const result = onBackends(() => [
        tf.matMul(
          uniform(stored(a, transposeA), 1),
          uniform(stored(b, transposeB), 2),
          transposeA,
          transposeB,
        ),
      ]);
      expectClose(result);
    }
  });

  test('fused matMul with transposes, bias and relu', () => {
    const result = onBackends(() => [
      tf.fused.matMul({
        a: uniform([30, 20], 1),
        b: uniform([40, 30], 2),
        transposeA: true,
        transposeB: true,
        bias: uniform([40], 3),
        activation: 'relu',
      }),
    ]);
    expectClose(result);
  });
});

describe('other training kernels match the cpu backend', () => {
  test.each([
    { name: '3x3 same', x: [2, 8, 8, 3], filter: [3, 3, 3, 1], strides: 1, pad: 'same' as const },
    {
      name: 'multiplier 2 stride 2',
      x: [2, 9, 9, 3],
      filter: [3, 3, 3, 2],
      strides: 2,
      pad: 'valid' as const,
    },
  ])('depthwise conv2d gradients: $name', ({ x, filter, strides, pad }) => {
    const result = onBackends(() => {
      const grad = tf.grads((xs: tf.Tensor, f: tf.Tensor) => {
        const y = tf.depthwiseConv2d(xs as tf.Tensor4D, f as tf.Tensor4D, strides, pad);
        return tf.sum(tf.mul(y, uniform(y.shape, 3)));
      });
      return grad([uniform(x, 1), uniform(filter, 2)]);
    });
    expectClose(result);
  });

  test.each([
    { name: '2x2 valid', x: [2, 8, 8, 3], size: 2, strides: 2, pad: 'valid' as const },
    { name: '3x3 stride 2 same', x: [2, 9, 9, 3], size: 3, strides: 2, pad: 'same' as const },
    { name: '3x3 stride 1 same (overlapping)', x: [2, 7, 7, 5], size: 3, strides: 1, pad: 'same' as const },
    { name: "the seeds' pool", x: [4, 24, 24, 64], size: 2, strides: 2, pad: 'valid' as const },
  ])('pooling gradients with ties: $name', ({ x, size, strides, pad }) => {
    const result = onBackends(() => {
      // Rounded, rectified inputs: many equal values in a window, as after ReLU.
      const input = tf.relu(tf.round(tf.mul(uniform(x, 1), 3)));
      const maxGrad = tf.grads((xs: tf.Tensor) => {
        const y = tf.maxPool(xs as tf.Tensor4D, size, strides, pad);
        return tf.sum(tf.mul(y, uniform(y.shape, 5)));
      });
      const avgGrad = tf.grads((xs: tf.Tensor) => {
        const y = tf.avgPool(xs as tf.Tensor4D, size, strides, pad);
        return tf.sum(tf.mul(y, uniform(y.shape, 5)));
      });
      return [...maxGrad([input]), ...avgGrad([input])];
    });
    expectClose(result);
  });

  test.each([
    { name: 'bias gradient of a conv', x: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: false },
    { name: 'unordered axes, keepDims', x: [4, 5, 6, 7], axis: [2, 0, 1], keepDims: true },
    { name: 'bias gradient of a dense layer', x: [64, 10], axis: 0, keepDims: false },
    { name: 'innermost axis (stock kernel)', x: [4, 5, 6], axis: -1, keepDims: false },
    { name: 'non-leading axes (stock kernel)', x: [4, 5, 6], axis: [0, 2], keepDims: false },
    { name: 'all axes (stock kernel)', x: [3, 4], axis: [0, 1], keepDims: false },
  ])('sum and mean: $name', ({ x, axis, keepDims }) => {
    for (const reduce of [tf.sum, tf.mean]) {
      const result = onBackends(() => [reduce(uniform(x, 7), axis, keepDims)]);
      expectClose(result);
      const wasmShape = tf.tidy(() => reduce(uniform(x, 7), axis, keepDims).shape);
      tf.setBackend('cpu');
      const cpuShape = tf.tidy(() => reduce(uniform(x, 7), axis, keepDims).shape);
      tf.setBackend('wasm');
      expect(wasmShape).toEqual(cpuShape);
    }
  });
});

describe('Identity and same-type Cast', () => {
  test('share the data of their input, which stays readable after the input is disposed', () => {
    tf.setBackend('wasm');
    const backend = wasmBackend();
    const x = uniform([3, 4], 1);
    const values = Array.from(x.dataSync());
    const ids = backend.numDataIds();
    const copies = [tf.clone(x), tf.cast(x, 'float32')];
    expect(backend.numDataIds()).toBe(ids);
    x.dispose();
    for (const copy of copies) expect(Array.from(copy.dataSync())).toEqual(values);
    const ints = tf.cast(copies[0], 'int32');
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.dataSync())).toEqual(values.map((v) => Math.trunc(v) || 0));
    tf.dispose([...copies, ints]);
    expect(backend.numDataIds()).toBe(ids - 1);
  });
});

describe('unsupported attributes fail with a message naming them', () => {
  test.each([
    {
      name: 'Conv2DBackpropFilter NCHW',
      run: () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.zeros([1, 2, 5, 5]), dy: tf.zeros([1, 2, 3, 3]) },
            { strides: 1, pad: 'valid', dataFormat: 'NCHW', filterShape: [3, 3, 2, 2] },
          ),
      message: /Expected dataFormat 'NHWC' for Conv2DBackpropFilter but received "NCHW"/,
    },
    {
      name: 'Conv2DBackpropInput NCHW',
      run: () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            { dy: tf.zeros([1, 2, 3, 3]), filter: tf.zeros([3, 3, 2, 2]) },
            { strides: 1, pad: 'valid', dataFormat: 'NCHW', inputShape: [1, 2, 5, 5] },
          ),
      message: /Expected dataFormat 'NHWC' for Conv2DBackpropInput but received "NCHW"/,
    },
    {
      name: 'Conv2DBackpropInput dilations',
      run: () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            { dy: tf.zeros([1, 3, 3, 2]), filter: tf.zeros([3, 3, 2, 2]) },
            { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: [1, 5, 5, 2], dilations: 2 },
          ),
      message: /Expected dilations 1 for Conv2DBackpropInput but received 2/,
    },
    {
      name: 'Conv2DBackpropFilter dy shape',
      run: () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.zeros([1, 5, 5, 2]), dy: tf.zeros([1, 4, 4, 2]) },
            { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 2, 2] },
          ),
      message: /Expected dy of shape \[1, 3, 3, 2\] for Conv2DBackpropFilter but received \[1, 4, 4, 2\]/,
    },
    {
      name: 'a kernel handed another backend',
      run: () =>
        conv2DBackpropFilter({
          inputs: { x: tf.zeros([1, 5, 5, 2]), dy: tf.zeros([1, 3, 3, 2]) },
          backend: tf.findBackend('cpu'),
          attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 2, 2] },
        }),
      message:
        /Expected the 'wasm' backend \(BackendWasm\) for Conv2DBackpropFilter but received MathBackendCPU/,
    },
  ])('$name', ({ run, message }) => {
    expect(() => tf.tidy(() => run() as tf.Tensor)).toThrow(message);
  });
});

/** conv-BN-ReLU-pool x2, dense, dropout, softmax: every gradient kernel a small CNN needs. */
function smallCnn(): tfl.LayersModel {
  let seed = 7;
  const init = () => tfl.initializers.glorotUniform({ seed: seed++ });
  const model = tfl.sequential();
  // No conv bias before batch normalisation: its gradient is zero up to rounding, and Adam would
  // turn that rounding noise into full-size steps that differ between backends.
  model.add(tfl.layers.conv2d({ inputShape: [12, 12, 1], filters: 6, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init() })); // prettier-ignore
  model.add(tfl.layers.batchNormalization());
  model.add(tfl.layers.activation({ activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, useBias: false, kernelInitializer: init() }));
  model.add(tfl.layers.batchNormalization());
  model.add(tfl.layers.activation({ activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init() }));
  model.add(tfl.layers.dropout({ rate: 0.25, seed: 11 }));
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init() }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

function batch(n: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => ({
    x: tf.randomUniform([n, 12, 12, 1], 0, 1, 'float32', 21),
    y: tf.oneHot(
      tf.tensor1d(
        Array.from({ length: n }, (_, i) => (i * 7) % 10),
        'int32',
      ),
      10,
    ),
  }));
}

describe('training a small CNN with Adam', () => {
  test('gives the same losses and weights on wasm as on cpu', async () => {
    const run = async (backend: Backend) => {
      tf.setBackend(backend);
      const model = smallCnn();
      const { x, y } = batch(8);
      const losses: number[] = [];
      for (let i = 0; i < 3; i++) losses.push((await model.trainOnBatch(x, y)) as number);
      const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
      model.optimizer.dispose();
      model.dispose();
      tf.dispose([x, y]);
      return { losses, weights };
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(wasm.losses[0]).toBeGreaterThan(0);
    wasm.losses.forEach((loss, i) =>
      expect(Math.abs(loss - cpu.losses[i]) / cpu.losses[i]).toBeLessThan(1e-4),
    );
    wasm.weights.forEach((w, i) =>
      expect(relativeError(w, cpu.weights[i]), `weight ${i}`).toBeLessThan(1e-3),
    );
  });

  test.each([{ arch: 'dlnet' as const }, { arch: 'dlnet2' as const }])(
    'gives $arch the same gradients on wasm as on cpu for shards of 1 and 3 digits',
    async ({ arch }) => {
      // Data-parallel training on many cores splits a batch into shards this small; on one digit the
      // dense layers' weight gradients once came out NaN on wasm (a cached XNNPACK operator reused).
      // dlnet2 adds batch norm (fused bias-free convolutions, FusedBatchNorm's gradient).
      const grads = async (backend: Backend, n: number) => {
        tf.setBackend(backend);
        const model = createModel(arch, { seed: 3, dropout: 0 });
        const x = Float32Array.from({ length: n * 784 }, (_, i) => ((i * 2654435761) % 1000) / 1000);
        const y = new Float32Array(n * 10);
        for (let b = 0; b < n; b++) y[b * 10 + ((b * 3) % 10)] = 1;
        const out = await shardGradients(model, x, y, n);
        model.dispose();
        return out.grads;
      };
      for (const n of [1, 3]) {
        const cpu = await grads('cpu', n);
        const wasm = await grads('wasm', n);
        wasm.forEach((g, i) => {
          expect(g.some(Number.isNaN), `n ${n}, weight ${i}: NaN`).toBe(false);
          expect(relativeError(g, cpu[i]), `n ${n}, weight ${i}`).toBeLessThan(1e-3);
        });
      }
    },
  );

  test('leaks no tensors and no wasm memory over repeated steps', async () => {
    tf.setBackend('wasm');
    const model = smallCnn();
    const { x, y } = batch(16);
    // The first steps create the optimizer's slots and warm XNNPACK's caches.
    for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
    const backend = wasmBackend();
    const before = { tensors: tf.memory().numTensors, dataIds: backend.numDataIds() };
    const heapBefore = backend.wasm.HEAPU8.length;
    for (let i = 0; i < 10; i++) await model.trainOnBatch(x, y);
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(backend.numDataIds()).toBe(before.dataIds);
    expect(backend.wasm.HEAPU8.length).toBe(heapBefore);
    model.dispose();
    tf.dispose([x, y]);
  });

  test('the convolution kernels free what they allocate, XNNPACK operators included', () => {
    tf.setBackend('wasm');
    // dW of this shape packs ~1 MB of dy per chunk into a new XNNPACK operator: 40 leaked calls
    // would grow the heap by tens of MB.
    const x = uniform([8, 26, 26, 32], 1);
    const f = uniform([3, 3, 32, 64], 2);
    const grad = tf.grads((xs: tf.Tensor, w: tf.Tensor) =>
      tf.sum(tf.conv2d(xs as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')),
    );
    const step = () => tf.dispose(grad([x, f]));
    for (let i = 0; i < 3; i++) step();
    const backend = wasmBackend();
    const tensors = tf.memory().numTensors;
    const dataIds = backend.numDataIds();
    const heap = backend.wasm.HEAPU8.length;
    for (let i = 0; i < 40; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
    expect(backend.wasm.HEAPU8.length).toBe(heap);
    tf.dispose([x, f]);
  });
});
