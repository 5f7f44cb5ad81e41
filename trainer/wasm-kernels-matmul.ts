/**
 * Matrix products for the WASM backend, by the project's own GEMM (`wasm-gemm.ts`).
 *
 * The stock WASM BatchMatMul / _FusedMatMul hand a product to XNNPACK only when neither operand is
 * transposed and both have batch 1; anything else runs a scalar blocked loop that is 10-20x
 * slower. Backprop through a dense layer asks for exactly those transposed products
 * (dy·Wᵀ and xᵀ·dy). The GEMM here packs either operand from any layout as it goes, so transposed
 * and batched products cost what plain ones do, and runs about twice as fast as XNNPACK's
 * (fused multiply-adds, and no re-packing of weights that change every step).
 */
import { broadcast_util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

import { gemmKernels, packedASize, packedBSize, type GemmKernels } from './wasm-gemm.ts';
import {
  alloc,
  asWasmBackend,
  f32Index,
  release,
  setStoredShape,
  sizeOf,
  transposeLast2,
  wasmMemory,
  type WasmBackend,
} from './wasm-kernels-heap.ts';

export interface ProductDims {
  m: number;
  k: number;
  n: number;
  /** `a` holds [k,m] instead of [m,k]. */
  transposeA: boolean;
  /** `b` holds [n,k] instead of [k,n]. */
  transposeB: boolean;
}

/**
 * Runs `fn` with the GEMM's kernels and heap scratch for a packed A of `sizeA` floats, a packed B
 * of `sizeB` and the 32-float tile scratch (byte addresses ap, bp, tmp), released afterwards.
 */
export function withGemmScratch(
  backend: WasmBackend,
  sizeA: number,
  sizeB: number,
  fn: (kernels: GemmKernels, ap: number, bp: number, tmp: number) => void,
): void {
  const scratch = alloc(backend, [sizeA + sizeB + 32]);
  try {
    const ap = f32Index(backend, scratch) * 4;
    fn(gemmKernels(wasmMemory(backend)), ap, ap + sizeA * 4, ap + (sizeA + sizeB) * 4);
  } finally {
    release(backend, scratch);
  }
}

/**
 * C[m,n] = op(A)·op(B) (or C += with `accumulate`), operands and result given as float32 element
 * indices into the heap; C is row-major with row stride n.
 */
export function gemmInto(
  backend: WasmBackend,
  dims: ProductDims,
  a: number,
  b: number,
  c: number,
  accumulate = false,
): void {
  const { m, k, n, transposeA, transposeB } = dims;
  withGemmScratch(backend, packedASize(m, k), packedBSize(k, n), (kernels, ap, bp, tmp) => {
    kernels.packA(a * 4, ap, m, k, transposeA ? 1 : k, transposeA ? m : 1);
    kernels.packB(b * 4, bp, k, n, transposeB ? 1 : n, transposeB ? k : 1);
    kernels.gemm(ap, bp, c * 4, m, k, n, n, accumulate, tmp);
  });
}

/**
 * C = op(A)·op(B) for single matrices: `a` holds [m,k] (or [k,m] when transposeA), `b` holds
 * [k,n] (or [n,k] when transposeB). Returns a new tensor holding [m,n] row-major (shape [1,m,n]).
 */
export function product2D(backend: WasmBackend, a: TensorInfo, b: TensorInfo, dims: ProductDims): TensorInfo {
  const out = alloc(backend, [1, dims.m, dims.n]);
  gemmInto(backend, dims, f32Index(backend, a), f32Index(backend, b), f32Index(backend, out));
  return out;
}

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

function attrFlags(attrs: NamedAttrMap | undefined): MatMulAttrs {
  return { transposeA: Boolean(attrs?.transposeA), transposeB: Boolean(attrs?.transposeB) };
}

/** Wraps the stock BatchMatMul: float32 products of any layout and batch go to the GEMM. */
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
    const batchShape = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
    const outShape = [...batchShape, m, n];
    const batch = sizeOf(batchShape);
    const backend = asWasmBackend(args.backend, 'BatchMatMul');
    const dims: ProductDims = { m, k, n, transposeA, transposeB };

    if (batchB === 1 && batch === batchA && !transposeA) {
      // One weight matrix for every batch entry: the entries stacked are the rows of one product.
      return setStoredShape(backend, product2D(backend, a, b, { ...dims, m: batchA * m }), outShape);
    }
    if ((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1)) {
      const out = alloc(backend, outShape);
      const [ai, bi, ci] = [a, b, out].map((t) => f32Index(backend, t));
      for (let i = 0; i < batch; i++) {
        const aEntry = ai + (batchA === 1 ? 0 : i * m * k);
        const bEntry = bi + (batchB === 1 ? 0 : i * k * n);
        gemmInto(backend, dims, aEntry, bEntry, ci + i * m * n);
      }
      return out;
    }
    return stock(args);
  };
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
