/**
 * Training kernels for the TensorFlow.js WASM backend (XNNPACK, SIMD).
 *
 * Stock `@tensorflow/tfjs-backend-wasm` 4.22 cannot train a convolutional net, and trains a dense one
 * slowly:
 *   - Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter and -Input are not registered;
 *   - Conv2DBackpropInput is a scalar loop (~10x the forward convolution);
 *   - BatchMatMul / _FusedMatMul with transposeA/transposeB (what dense-layer backprop asks for) or
 *     with batch > 1 bypass XNNPACK for a scalar loop (10-20x slower);
 *   - MaxPoolGrad and AvgPoolGrad are scalar loops over every input pixel and window tap;
 *   - Sum and Mean over leading axes (every bias gradient, batch norm's statistics) transpose
 *     their whole input first;
 *   - Identity (the engine's clone of every tensor a gradient keeps) and float32-to-float32 Cast copy
 *     their input;
 *   - XNNPACK's products (Conv2D, plain BatchMatMul) have no fused multiply-add in WASM SIMD and
 *     re-pack weights that change every step: the project's GEMM (`wasm-gemm.ts`) runs them at
 *     about twice the rate.
 *   - FusedConv2D (how tfjs-layers runs a bias-free, linear convolution before batch norm) is
 *     XNNPACK too; FusedBatchNorm's gradient (tfjs-core's, for every backend) tiles a tensor the
 *     size of its input, and WASM's Tile is a scalar loop: `batchnorm-grad.ts` broadcasts instead.
 * Everything else a conv-BN-ReLU-pool-dense-dropout-softmax net trained with Adam needs
 * (FusedBatchNorm, Softmax, the element-wise ops) is registered, correct and not a bottleneck.
 *
 * `registerWasmTrainingKernels()` registers the missing kernels and wraps the slow ones; the
 * originals stay inside the wrappers and come back with `unregisterWasmTrainingKernels()`.
 *
 * Usage:
 *   import { registerWasmTrainingKernels } from './wasm-kernels.ts';
 *   registerWasmTrainingKernels();   // before or after tf.setBackend('wasm')
 */
import '@tensorflow/tfjs-backend-wasm';
import {
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';

import { registerBatchNormGradient, unregisterBatchNormGradient } from './batchnorm-grad.ts';
import { makeCast, makeIdentity } from './wasm-kernels-alias.ts';
import {
  conv2DBackpropFilter,
  conv2DBackpropInput,
  makeConv2D,
  makeFusedConv2D,
} from './wasm-kernels-conv.ts';
import {
  depthwiseConv2dNativeBackpropFilter,
  depthwiseConv2dNativeBackpropInput,
} from './wasm-kernels-depthwise.ts';
import { makeBatchMatMul, makeFusedMatMul } from './wasm-kernels-matmul.ts';
import { avgPoolGrad, maxPoolGrad } from './wasm-kernels-pool.ts';
import { makeLeadingReduce } from './wasm-kernels-reduce.ts';

/** Kernels this module registers on 'wasm', in registration order. */
export const WASM_TRAINING_KERNEL_NAMES = [
  'Conv2D',
  'FusedConv2D',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'BatchMatMul',
  '_FusedMatMul',
  'MaxPoolGrad',
  'AvgPoolGrad',
  'Sum',
  'Mean',
  'Identity',
  'Cast',
] as const;

export type WasmTrainingKernelName = (typeof WASM_TRAINING_KERNEL_NAMES)[number];

/** Marks our kernel functions and keeps the stock config each one replaced (if any). */
const REPLACED = Symbol.for('digitlens.wasmTrainingKernel.replaced');

type TaggedKernelFunc = KernelFunc & { [REPLACED]?: KernelConfig | null };

/** Kernels that wrap the stock one, which keeps the calls they do not handle. */
const WRAPPERS: Partial<Record<WasmTrainingKernelName, (stock: KernelFunc) => KernelFunc>> = {
  Conv2D: (stock) => makeConv2D(stock),
  FusedConv2D: (stock) => makeFusedConv2D(stock),
  BatchMatMul: makeBatchMatMul,
  _FusedMatMul: makeFusedMatMul,
  Sum: (stock) => makeLeadingReduce(stock, 'Sum'),
  Mean: (stock) => makeLeadingReduce(stock, 'Mean'),
  Identity: makeIdentity,
  Cast: makeCast,
};

function build(name: WasmTrainingKernelName, stock: KernelConfig | undefined): KernelFunc {
  const wrap = WRAPPERS[name];
  if (wrap != null) {
    if (stock == null) {
      throw new Error(
        `Expected the stock ${name} kernel on 'wasm' (import '@tensorflow/tfjs-backend-wasm') but found none`,
      );
    }
    return wrap(stock.kernelFunc);
  }
  switch (name) {
    case 'Conv2DBackpropFilter':
      return (args) => conv2DBackpropFilter(args);
    case 'Conv2DBackpropInput':
      return (args) => conv2DBackpropInput(args);
    case 'DepthwiseConv2dNativeBackpropFilter':
      return depthwiseConv2dNativeBackpropFilter;
    case 'DepthwiseConv2dNativeBackpropInput':
      return depthwiseConv2dNativeBackpropInput;
    case 'MaxPoolGrad':
      return maxPoolGrad;
    case 'AvgPoolGrad':
      return avgPoolGrad;
    default:
      throw new Error(`Expected a training kernel name but received ${JSON.stringify(name)}`);
  }
}

function isOurs(config: KernelConfig | undefined): boolean {
  return config != null && REPLACED in (config.kernelFunc as TaggedKernelFunc);
}

/**
 * Registers fast, correct training kernels on the 'wasm' backend. Idempotent; safe before or after
 * the backend is initialised (a replaced kernel's setup and dispose hooks are kept).
 */
export function registerWasmTrainingKernels(): void {
  registerBatchNormGradient();
  for (const name of WASM_TRAINING_KERNEL_NAMES) {
    const current = getKernel(name, 'wasm');
    if (isOurs(current)) continue;
    const kernelFunc = build(name, current) as TaggedKernelFunc;
    kernelFunc[REPLACED] = current ?? null;
    if (current != null) unregisterKernel(name, 'wasm');
    registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc,
      setupFunc: current?.setupFunc,
      disposeFunc: current?.disposeFunc,
    });
  }
}

/** Puts the stock kernels back (and removes the ones the stock backend lacks). For benchmarks. */
export function unregisterWasmTrainingKernels(): void {
  unregisterBatchNormGradient();
  for (const name of WASM_TRAINING_KERNEL_NAMES) {
    const current = getKernel(name, 'wasm');
    if (current == null || !isOurs(current)) continue;
    const stock = (current.kernelFunc as TaggedKernelFunc)[REPLACED];
    unregisterKernel(name, 'wasm');
    if (stock != null) registerKernel(stock);
  }
}

/** Whether `registerWasmTrainingKernels()` is in effect for every kernel it handles. */
export function wasmTrainingKernelsRegistered(): boolean {
  return WASM_TRAINING_KERNEL_NAMES.every((name) => isOurs(getKernel(name, 'wasm')));
}
