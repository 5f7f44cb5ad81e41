/**
 * Identity and same-type Cast without a copy, for the WASM backend.
 *
 * The engine clones every tensor a gradient needs (`saveTensorsForBackwardMode`), and
 * `tf.moments` casts its float32 input to float32; the stock WASM kernels copy the whole tensor
 * each time (about 5% of a batch-normalised net's training step). Tensor memory is never written
 * after a kernel returns, so, like the stock Reshape, these return a new reference to the same
 * data.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import { asWasmBackend } from './wasm-kernels-heap.ts';

function alias(backend: unknown, x: TensorInfo, kernelName: string): TensorInfo {
  asWasmBackend(backend, kernelName).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Identity: a reference to the input's data (strings, which live off the heap, go to `stock`). */
export function makeIdentity(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    return x.dtype === 'string' ? stock(args) : alias(args.backend, x, 'Identity');
  };
}

/** Cast: a reference when the type does not change; real conversions go to `stock`. */
export function makeCast(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const same = args.attrs?.dtype === x.dtype && x.dtype !== 'string';
    return same ? alias(args.backend, x, 'Cast') : stock(args);
  };
}
