/**
 * Matrix products for the WASM backend that always reach XNNPACK's fast path.
 *
 * The stock WASM BatchMatMul / _FusedMatMul hand a product to XNNPACK only when neither operand is
 * transposed and both have batch 1; anything else runs a scalar blocked loop that is 10-20x
 * slower. Backprop through a dense layer asks for exactly those transposed products
 * (dy·Wᵀ and xᵀ·dy), so the kernels here materialise the transposes first, and pick between
 * computing C or Cᵀ by how many elements each way has to move.
 */
import { broadcast_util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

import {
  asWasmBackend,
  f32Index,
  heapF32,
  release,
  runWasmKernel,
  setStoredShape,
  sizeOf,
  transposeLast2,
  view,
  dropView,
  withShape,
  alloc,
  type WasmBackend,
} from './wasm-kernels-heap.ts';

/**
 * XNNPACK packs the right-hand operand of every product it has not seen (weights change every
 * step, so that is every product here) at ~5 ns per element, about twice a transpose's cost per
 * element (measured: fresh 9216x128 weights add ~8 ms to a 6 ms product).
 */
const PACK_COST = 2;

/**
 * Below this many multiply-adds per batch entry, per-entry XNNPACK set-up eats the gain over the
 * stock scalar loop (measured per batch of 8-16: 32³ entries 1.4x faster, 64³ 4.5x, 256³ 38x).
 */
const PER_BATCH_GEMM_MIN_MACS = 32 * 1024;

/** Which product to run for C = op(A)·op(B): C directly, or Cᵀ = op(B)ᵀ·op(A)ᵀ and transpose. */
export function chooseOrientation(
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): 'direct' | 'swapped' {
  const direct = (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + PACK_COST * k * n;
  const swapped = (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + PACK_COST * m * k + m * n;
  return swapped < direct ? 'swapped' : 'direct';
}

/**
 * XNNPACK product of row-major [m,k]·[k,n] operands; returns a new [1,m,n] tensor.
 *
 * The operands go in as views with ids of their own. The stock kernel caches XNNPACK operators by
 * tensor id, and an id can come back with other dimensions (a reshape or a size-1 transpose keeps
 * it): the dense layers' weight gradients of a one-digit shard came out NaN, and 16 replicas of a
 * 64-digit batch make such shards (test/trainer/wasm-kernels.test.ts). A view's id, and whatever
 * was cached under it, dies with the view.
 */
function fastProduct(
  backend: WasmBackend,
  stock: KernelFunc,
  a: TensorInfo,
  b: TensorInfo,
  m: number,
  k: number,
  n: number,
): TensorInfo {
  const av = view(backend, a, 0, [1, m, k]);
  const bv = view(backend, b, 0, [1, k, n]);
  try {
    return stock({
      inputs: { a: av, b: bv },
      backend: backend as never,
      attrs: { transposeA: false, transposeB: false },
    }) as TensorInfo;
  } finally {
    dropView(backend, av);
    dropView(backend, bv);
  }
}

/**
 * C = op(A)·op(B) for single matrices: `a` holds [m,k] (or [k,m] when transposeA), `b` holds
 * [k,n] (or [n,k] when transposeB). Returns a new tensor holding [m,n] row-major (shape [1,m,n]).
 */
export function product2D(
  backend: WasmBackend,
  stock: KernelFunc,
  a: TensorInfo,
  b: TensorInfo,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo {
  if (!transposeA && !transposeB) return fastProduct(backend, stock, a, b, m, k, n);
  if (chooseOrientation(m, k, n, transposeA, transposeB) === 'direct') {
    const a2 = transposeA ? transposeLast2(backend, withShape(a, [k, m])) : a;
    const b2 = transposeB ? transposeLast2(backend, withShape(b, [n, k])) : b;
    const out = fastProduct(backend, stock, a2, b2, m, k, n);
    if (a2 !== a) release(backend, a2);
    if (b2 !== b) release(backend, b2);
    return out;
  }
  // Cᵀ[n,m] = op(B)ᵀ[n,k] · op(A)ᵀ[k,m]; a transposed operand is already in the layout needed.
  const bt = transposeB ? b : transposeLast2(backend, withShape(b, [k, n]));
  const at = transposeA ? a : transposeLast2(backend, withShape(a, [m, k]));
  const ct = fastProduct(backend, stock, bt, at, n, k, m);
  if (bt !== b) release(backend, bt);
  if (at !== a) release(backend, at);
  const c = transposeLast2(backend, withShape(ct, [1, n, m]));
  release(backend, ct);
  return c;
}

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

function attrFlags(attrs: NamedAttrMap | undefined): MatMulAttrs {
  return { transposeA: Boolean(attrs?.transposeA), transposeB: Boolean(attrs?.transposeB) };
}

/** Wraps the stock BatchMatMul so that transposed and batched products use XNNPACK too. */
export function makeBatchMatMul(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrFlags(args.attrs);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
      return stock(args);
    }
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = sizeOf(outerA);
    const batchB = sizeOf(outerB);
    // Mismatched or empty operands: the stock kernel reports or handles them.
    if (k !== kb || m * n * k === 0) return stock(args);
    if (!transposeA && !transposeB && batchA === 1 && batchB === 1) return stock(args);
    const batchShape = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
    const outShape = [...batchShape, m, n];
    const batch = sizeOf(batchShape);
    const backend = asWasmBackend(args.backend, 'BatchMatMul');

    if (batchA === 1 && batchB === 1) {
      const c = product2D(backend, stock, a, b, m, k, n, transposeA, transposeB);
      return setStoredShape(backend, c, outShape);
    }
    if (batchB === 1 && batch === batchA) {
      // One weight matrix for every batch entry: stack the entries into the rows of one product.
      const a2 = transposeA ? transposeLast2(backend, a) : a;
      const c = product2D(backend, stock, a2, b, batchA * m, k, n, false, transposeB);
      if (a2 !== a) release(backend, a2);
      return setStoredShape(backend, c, outShape);
    }
    if ((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1)) {
      if (m * k * n < PER_BATCH_GEMM_MIN_MACS) return stock(args);
      return perEntryProducts(backend, stock, a, b, { m, k, n, batch, transposeA, transposeB }, outShape, {
        a: batchA === 1 ? 0 : m * k,
        b: batchB === 1 ? 0 : k * n,
      });
    }
    return stock(args);
  };
}

function perEntryProducts(
  backend: WasmBackend,
  stock: KernelFunc,
  a: TensorInfo,
  b: TensorInfo,
  dims: { m: number; k: number; n: number; batch: number } & MatMulAttrs,
  outShape: number[],
  strides: { a: number; b: number },
): TensorInfo {
  const { m, k, n, batch, transposeA, transposeB } = dims;
  const out = alloc(backend, outShape);
  for (let i = 0; i < batch; i++) {
    const av = view(backend, a, i * strides.a, transposeA ? [k, m] : [m, k]);
    const bv = view(backend, b, i * strides.b, transposeB ? [n, k] : [k, n]);
    const c = product2D(backend, stock, av, bv, m, k, n, transposeA, transposeB);
    dropView(backend, av);
    dropView(backend, bv);
    const heap = heapF32(backend);
    const src = f32Index(backend, c);
    heap.copyWithin(f32Index(backend, out) + i * m * n, src, src + m * n);
    release(backend, c);
  }
  return out;
}

/** Wraps the stock _FusedMatMul so that transposed operands are materialised before XNNPACK. */
export function makeFusedMatMul(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrFlags(args.attrs);
    if (
      (!transposeA && !transposeB) ||
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      a.shape.length !== 3 ||
      b.shape.length !== 3 ||
      a.shape[0] !== 1 ||
      b.shape[0] !== 1
    ) {
      return stock(args);
    }
    const backend = asWasmBackend(args.backend, '_FusedMatMul');
    // Bias and activation apply to C as it is, so only the direct orientation fits here.
    const a2 = transposeA ? transposeLast2(backend, a) : a;
    const b2 = transposeB ? transposeLast2(backend, b) : b;
    try {
      return stock({
        inputs: { ...args.inputs, a: a2, b: b2 },
        backend: args.backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      if (a2 !== a) release(backend, a2);
      if (b2 !== b) release(backend, b2);
    }
  };
}

/** Runs the registered BatchMatMul on row-major operands (used by the convolution kernels). */
export function matMulKernel(
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  m: number,
  k: number,
  n: number,
): TensorInfo {
  return runWasmKernel(
    backend,
    'BatchMatMul',
    { a: withShape(a, [1, m, k]), b: withShape(b, [1, k, n]) },
    { transposeA: false, transposeB: false },
  );
}
