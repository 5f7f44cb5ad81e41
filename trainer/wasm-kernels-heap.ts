/**
 * Low-level access to the TensorFlow.js WASM backend for the training kernels in `wasm-kernels.ts`:
 * tensor memory on the wasm heap, temporary tensors and direct calls into the backend's own kernels.
 *
 * Why this exists: a kernel must not call tf ops (they would re-enter the engine, record tapes and
 * allocate tracked tensors), so kernels here compose the backend's kernel functions and read or
 * write the heap themselves. Every temporary is released with `release`.
 */
import { getKernel, type DataType, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of the emscripten module that the kernels use. */
interface WasmModule {
  HEAPU8: Uint8Array;
  /** The emscripten module's exports; `memory` is the heap as a WebAssembly.Memory. */
  asm: { memory: WebAssembly.Memory };
}

interface TensorData {
  memoryOffset: number;
  shape: number[];
}

/** The parts of `BackendWasm` that the kernels use. */
export interface WasmBackend {
  wasm: WasmModule;
  dataIdMap: { get(dataId: object): TensorData };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

/** Checks that `backend` is the WASM backend and exposes what the kernels rely on. */
export function asWasmBackend(backend: unknown, kernelName: string): WasmBackend {
  const b = backend as Partial<WasmBackend> | null;
  if (b == null || b.wasm == null || b.dataIdMap == null || typeof b.makeOutput !== 'function') {
    const received = backend == null ? String(backend) : (backend.constructor?.name ?? typeof backend);
    throw new Error(`Expected the 'wasm' backend (BackendWasm) for ${kernelName} but received ${received}`);
  }
  return b as WasmBackend;
}

/** The heap itself, for modules of our own that work on tensors in place (`wasm-gemm.ts`). */
export function wasmMemory(backend: WasmBackend): WebAssembly.Memory {
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error('Expected the WASM backend to expose its heap as wasm.asm.memory but it does not');
  }
  return memory;
}

/** A Float32Array over the whole heap. Take a fresh one after any allocation: the heap may grow. */
export function heapF32(backend: WasmBackend): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer);
}

/** Index of the first element of `t` in `heapF32(backend)`. */
export function f32Index(backend: WasmBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset >>> 2;
}

/** A new float32 tensor on the heap, contents undefined. Release with `release`. */
export function alloc(backend: WasmBackend, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

export function release(backend: WasmBackend, t: TensorInfo): void {
  backend.disposeData(t.dataId);
}

/** The same data seen with another shape (no copy, no new reference). */
export function withShape(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/**
 * Fixes the shape recorded for a kernel output whose TensorInfo shape differs from the one it was
 * made with, so that kernels reading `dataIdMap` see the true shape.
 */
export function setStoredShape(backend: WasmBackend, t: TensorInfo, shape: number[]): TensorInfo {
  backend.dataIdMap.get(t.dataId).shape = shape;
  return withShape(t, shape);
}

/** Runs the kernel currently registered on 'wasm' under `name`. */
export function runWasmKernel(
  backend: WasmBackend,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (kernel == null) {
    throw new Error(`Expected kernel ${name} to be registered on 'wasm' but it is not`);
  }
  const out = kernel.kernelFunc({ inputs, backend: backend as never, attrs });
  if (Array.isArray(out)) {
    throw new Error(`Expected one output from ${name} but received ${out.length}`);
  }
  return out;
}

/** Explicit transpose of the last two dimensions (a copy, by the backend's Transpose kernel). */
export function transposeLast2(backend: WasmBackend, t: TensorInfo): TensorInfo {
  const r = t.shape.length;
  const shape = t.shape.slice();
  [shape[r - 2], shape[r - 1]] = [shape[r - 1], shape[r - 2]];
  if (t.shape[r - 1] === 1 || t.shape[r - 2] === 1) {
    // Same memory order: a new reference instead of a copy, released like any temporary.
    backend.incRef(t.dataId);
    return withShape(t, shape);
  }
  const perm = t.shape.map((_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return runWasmKernel(backend, 'Transpose', { x: t }, { perm });
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
