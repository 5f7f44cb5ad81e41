/**
 * Conv2D and its gradients for the WASM backend, on the project's GEMM (`wasm-gemm.ts`; NHWC,
 * float32). The products run there at about twice XNNPACK's rate; im2col writes the GEMM's packed
 * operands directly (`wasm-conv-pack.ts`), chunk by chunk of output pixels so that a chunk stays
 * near the cache (a whole-batch colsᵀ is ~40 MB for the seeds' conv 32->64).
 *
 * Conv2D (stock: XNNPACK, which re-packs the changed filter every step):
 *   out[m, co] = Σ cols[m, (ky,kx,ci)] · W[(ky,kx,ci), co],   m = (n, oy, ox)
 *   for inputs with channels in fours; others (a first layer) stay with the stock kernel.
 *
 * Conv2DBackpropFilter (missing from the stock backend):
 *   dW[(ky,kx,ci), co] = Σ_m colsᵀ[(ky,kx,ci), m] · dy[m, co], each chunk's product added into dW.
 *   With channels in fours, colsᵀ goes straight into packed A (four channels are one vector);
 *   otherwise x is first made channel-major ([Ci,N,H,W]) so that each row of colsᵀ is built from
 *   runs of contiguous pixels, then packed.
 *
 * Conv2DBackpropInput (stock one is a scalar loop, ~10x slower than the forward convolution):
 *   stride 1: the "full" convolution of dy with the filter rotated by 180° and in/out channels
 *     swapped, run by the registered Conv2D with pads k-1-p.
 *   otherwise: col2im. cols = dy · Wᵀ ([m, Co]·[Co, KH·KW·Ci], chunked), then each row of cols is
 *     added into the input pixels it came from.
 */
import { backend_util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

import {
  alloc,
  asWasmBackend,
  f32Index,
  heapF32,
  release,
  runWasmKernel,
  sizeOf,
  type WasmBackend,
} from './wasm-kernels-heap.ts';
import { packedASize, packedBSize, type ConvGeometry } from './wasm-gemm.ts';
import { gemmInto, withGemmScratch } from './wasm-kernels-matmul.ts';

/**
 * Columns (output pixels) per im2col / col2im chunk. About 4k keeps a chunk of colsᵀ for a
 * 3x3x32 filter (~4.5 MB) near the cache and a chunk of dy (64 channels: 1 MB) cheap to pack.
 */
export const CONV_CHUNK_COLUMNS = 4096;

/** Runs shorter than this are copied by a loop: copyWithin has a fixed cost per call. */
const MIN_COPY_WITHIN = 24;

type Conv2DInfo = backend_util.Conv2DInfo;

/** Rejects what these kernels do not implement, naming the attribute. */
export function checkConvAttrs(kernelName: string, attrs: NamedAttrMap, inputs: TensorInfo[]): void {
  const dataFormat = attrs.dataFormat;
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new Error(
      `Expected dataFormat 'NHWC' for ${kernelName} but received ${JSON.stringify(dataFormat)}`,
    );
  }
  const dilations = attrs.dilations;
  if (dilations != null) {
    const d = typeof dilations === 'number' ? [dilations, dilations] : (dilations as number[]);
    if (d.some((v) => v !== 1)) {
      throw new Error(`Expected dilations 1 for ${kernelName} but received ${JSON.stringify(dilations)}`);
    }
  }
  for (const t of inputs) {
    if (t.dtype !== 'float32') {
      throw new Error(`Expected dtype float32 for ${kernelName} inputs but received ${t.dtype}`);
    }
    if (t.shape.length !== 4) {
      throw new Error(`Expected rank-4 inputs for ${kernelName} but received shape [${t.shape.join(', ')}]`);
    }
  }
}

function checkShape(kernelName: string, what: string, actual: number[], expected: number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new Error(
      `Expected ${what} of shape [${expected.join(', ')}] for ${kernelName} but received [${actual.join(', ')}]`,
    );
  }
}

function convInfoOf(
  xShape: number[],
  filterShape: number[],
  attrs: NamedAttrMap,
  depthwise = false,
): Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    (attrs.dilations as number | [number, number] | undefined) ?? 1,
    attrs.pad as 'valid' | 'same' | number | backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
    'channelsLast',
  );
}

/** The geometry `packConv` takes. */
function geometryOf(info: Conv2DInfo): ConvGeometry {
  return {
    h: info.inHeight,
    w: info.inWidth,
    ci: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
  };
}

/**
 * Whether a Conv2D call is one `makeConv2D` runs itself, else the stock kernel does. Inputs with
 * channels in fours only: with fewer (a first layer, 1 channel) the packing goes element by
 * element and XNNPACK is faster (1.4 against 1.9 ms for the seeds' first layer, 32 digits).
 */
function isPlainConv(attrs: NamedAttrMap, x: TensorInfo, filter: TensorInfo): boolean {
  const d = attrs.dilations;
  const dilations = d == null ? [1, 1] : typeof d === 'number' ? [d, d] : (d as number[]);
  return (
    (attrs.dataFormat == null || attrs.dataFormat === 'NHWC') &&
    dilations.every((v) => v === 1) &&
    [x, filter].every((t) => t.dtype === 'float32' && t.shape.length === 4) &&
    x.shape[3] % 4 === 0
  );
}

/**
 * out[p, co] = Σ_t cols[p, t]·W[t, co] over chunks of output pixels: im2col writes each chunk
 * straight into the GEMM's packed layout, and the filter is packed once.
 */
function convForward(
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: Conv2DInfo,
  columns: number,
): TensorInfo {
  const out = alloc(backend, info.outShape);
  const pixels = info.batchSize * info.outHeight * info.outWidth;
  const taps = info.filterHeight * info.filterWidth * info.inChannels;
  const co = info.outChannels;
  if (pixels * co === 0) return out;
  const chunk = Math.min(pixels, Math.max(4, columns - (columns % 4)));
  const geometry = geometryOf(info);
  try {
    withGemmScratch(backend, packedASize(chunk, taps), packedBSize(taps, co), (kernels, ap, bp, tmp) => {
      const xAddr = f32Index(backend, x) * 4;
      const outAddr = f32Index(backend, out) * 4;
      kernels.packB(f32Index(backend, filter) * 4, bp, taps, co, co, 1);
      for (let p0 = 0; p0 < pixels; p0 += chunk) {
        const p1 = Math.min(pixels, p0 + chunk);
        kernels.packConv('rows', xAddr, ap, geometry, p0, p1);
        kernels.gemm(ap, bp, outAddr + p0 * co * 4, p1 - p0, taps, co, co, false, tmp);
      }
    });
  } catch (e) {
    release(backend, out);
    throw e;
  }
  return out;
}

/** Wraps the stock Conv2D: NHWC, undilated float32 convolutions run on the GEMM. */
export function makeConv2D(stock: KernelFunc, columns = CONV_CHUNK_COLUMNS): KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs ?? {};
    if (!isPlainConv(attrs, x, filter)) return stock(args);
    const backend = asWasmBackend(args.backend, 'Conv2D');
    return convForward(backend, x, filter, convInfoOf(x.shape, filter.shape, attrs), columns);
  };
}

/**
 * Wraps the stock FusedConv2D: the calls that are a plain convolution (no bias, linear activation:
 * a convolution followed by batch normalisation, which tfjs-layers fuses even while training) run
 * on the GEMM like Conv2D; the rest stay on XNNPACK.
 */
export function makeFusedConv2D(stock: KernelFunc, columns = CONV_CHUNK_COLUMNS): KernelFunc {
  return (args) => {
    const { x, filter, bias } = args.inputs as { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo };
    const attrs = args.attrs ?? {};
    const linear = attrs.activation == null || attrs.activation === 'linear';
    if (bias != null || !linear || !isPlainConv(attrs, x, filter)) return stock(args);
    const backend = asWasmBackend(args.backend, 'FusedConv2D');
    return convForward(backend, x, filter, convInfoOf(x.shape, filter.shape, attrs), columns);
  };
}

/** Output pixel range [lo, hi) of one row whose input column ox*sw + kx - pl lies inside [0, w). */
function validRange(
  outSize: number,
  inSize: number,
  stride: number,
  k: number,
  pad: number,
): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - k) / stride));
  const hi = Math.min(outSize, Math.floor((inSize - 1 + pad - k) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Fills colsᵀ[(ky,kx,ci), (g - g0)·OW + ox] for output rows g = n·OH + oy in [g0, g1) from the
 * channel-major input xc[ci, n, iy, ix].
 */
function fillColumnsT(
  heap: Float32Array,
  xc: number,
  dst: number,
  info: Conv2DInfo,
  g0: number,
  g1: number,
): void {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const plane = nb * h * w;
  let d = dst;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const [lo, hi] = validRange(ow, w, sw, kx, pl);
      const copy = sw === 1 && hi - lo >= MIN_COPY_WITHIN;
      for (let c = 0; c < ci; c++) {
        const base = xc + c * plane;
        let n = Math.floor(g0 / oh);
        let oy = g0 - n * oh;
        for (let g = g0; g < g1; g++) {
          const iy = oy * sh + ky - pt;
          // Loops, not fill(): zero runs are short (padding) and fill() costs more per call.
          if (iy < 0 || iy >= h || hi <= lo) {
            for (let ox = 0; ox < ow; ox++) heap[d + ox] = 0;
          } else {
            const src = base + (n * h + iy) * w + kx - pl;
            for (let ox = 0; ox < lo; ox++) heap[d + ox] = 0;
            if (copy) {
              heap.copyWithin(d + lo, src + lo, src + hi);
            } else {
              for (let ox = lo; ox < hi; ox++) heap[d + ox] = heap[src + ox * sw];
            }
            for (let ox = hi; ox < ow; ox++) heap[d + ox] = 0;
          }
          d += ow;
          if (++oy === oh) {
            oy = 0;
            n++;
          }
        }
      }
    }
  }
}

/** Output rows per chunk so that a chunk has about CONV_CHUNK_COLUMNS output pixels. */
function rowsPerChunk(info: Conv2DInfo, columns: number): number {
  return Math.max(1, Math.min(info.batchSize * info.outHeight, Math.floor(columns / info.outWidth)));
}

export function conv2DBackpropFilter(
  args: Parameters<KernelFunc>[0],
  columns = CONV_CHUNK_COLUMNS,
): TensorInfo {
  const name = 'Conv2DBackpropFilter';
  const backend = asWasmBackend(args.backend, name);
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs ?? {};
  checkConvAttrs(name, attrs, [x, dy]);
  const filterShape = attrs.filterShape as number[];
  const info = convInfoOf(x.shape, filterShape, attrs);
  checkShape(name, 'dy', dy.shape, info.outShape);
  const { inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow } = info;
  const taps = info.filterHeight * info.filterWidth * ci;
  const totalRows = info.batchSize * oh;

  if (sizeOf(x.shape) === 0 || sizeOf(dy.shape) === 0) {
    const out = alloc(backend, filterShape);
    heapF32(backend).fill(0, f32Index(backend, out), f32Index(backend, out) + sizeOf(filterShape));
    return out;
  }

  if (ci % 4 === 0) return filterGradientPacked(backend, x, dy, info, columns);
  // Channel-major copy of x; with one channel NHWC already is.
  const xc = ci === 1 ? x : runWasmKernel(backend, 'Transpose', { x }, { perm: [3, 0, 1, 2] });
  const chunkRows = rowsPerChunk(info, columns);
  const cols = alloc(backend, [taps * chunkRows * ow]);
  const result = alloc(backend, filterShape);
  try {
    for (let g0 = 0; g0 < totalRows; g0 += chunkRows) {
      const g1 = Math.min(totalRows, g0 + chunkRows);
      const kc = (g1 - g0) * ow;
      fillColumnsT(heapF32(backend), f32Index(backend, xc), f32Index(backend, cols), info, g0, g1);
      const dims = { m: taps, k: kc, n: co, transposeA: false, transposeB: false };
      const dyRows = f32Index(backend, dy) + g0 * ow * co;
      gemmInto(backend, dims, f32Index(backend, cols), dyRows, f32Index(backend, result), g0 > 0);
    }
  } catch (e) {
    release(backend, result);
    throw e;
  } finally {
    release(backend, cols);
    if (xc !== x) release(backend, xc);
  }
  return result;
}

/**
 * dW = colsᵀ·dy with colsᵀ written straight into packed A, chunk by chunk of output rows, each
 * chunk's product added into dW. Four channels are one vector in NHWC, so this needs ci % 4 = 0.
 */
function filterGradientPacked(
  backend: WasmBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: Conv2DInfo,
  columns: number,
): TensorInfo {
  const { inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow } = info;
  const taps = info.filterHeight * info.filterWidth * ci;
  const totalRows = info.batchSize * oh;
  const chunkRows = rowsPerChunk(info, columns);
  const result = alloc(backend, [info.filterHeight, info.filterWidth, ci, co]);
  const geometry = geometryOf(info);
  try {
    const sizeB = packedBSize(chunkRows * ow, co);
    withGemmScratch(backend, packedASize(taps, chunkRows * ow), sizeB, (kernels, ap, bp, tmp) => {
      for (let g0 = 0; g0 < totalRows; g0 += chunkRows) {
        const g1 = Math.min(totalRows, g0 + chunkRows);
        const kc = (g1 - g0) * ow;
        kernels.packConv('taps', f32Index(backend, x) * 4, ap, geometry, g0, g1);
        kernels.packB((f32Index(backend, dy) + g0 * ow * co) * 4, bp, kc, co, co, 1);
        kernels.gemm(ap, bp, f32Index(backend, result) * 4, taps, kc, co, co, g0 > 0, tmp);
      }
    });
  } catch (e) {
    release(backend, result);
    throw e;
  }
  return result;
}

/** W[kh,kw,ci,co] -> Wrot[kh,kw,co,ci] = W[KH-1-kh, KW-1-kw, ci, co]. */
function rotateFilter(backend: WasmBackend, filter: TensorInfo): TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const out = alloc(backend, [kh, kw, co, ci]);
  const heap = heapF32(backend);
  const src = f32Index(backend, filter);
  let d = f32Index(backend, out);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const tap = src + ((kh - 1 - y) * kw + (kw - 1 - x)) * ci * co;
      for (let o = 0; o < co; o++) {
        for (let i = 0; i < ci; i++) heap[d++] = heap[tap + i * co + o];
      }
    }
  }
  return out;
}

export function conv2DBackpropInput(
  args: Parameters<KernelFunc>[0],
  options: { columns?: number; method?: 'auto' | 'col2im' } = {},
): TensorInfo {
  const name = 'Conv2DBackpropInput';
  const backend = asWasmBackend(args.backend, name);
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs ?? {};
  checkConvAttrs(name, attrs, [dy, filter]);
  const inputShape = attrs.inputShape as number[];
  const info = convInfoOf(inputShape, filter.shape, attrs);
  checkShape(name, 'dy', dy.shape, info.outShape);
  const { inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;

  if (sizeOf(inputShape) === 0 || sizeOf(dy.shape) === 0) {
    const out = alloc(backend, inputShape);
    heapF32(backend).fill(0, f32Index(backend, out), f32Index(backend, out) + sizeOf(inputShape));
    return out;
  }

  if (info.strideHeight === 1 && info.strideWidth === 1 && options.method !== 'col2im') {
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const bottom = h - oh - top + kh - 1;
    const right = w - ow - left + kw - 1;
    if (top >= 0 && left >= 0 && bottom >= 0 && right >= 0) {
      const rotated = rotateFilter(backend, filter);
      try {
        return runWasmKernel(
          backend,
          'Conv2D',
          { x: dy, filter: rotated },
          {
            strides: [1, 1],
            pad: [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ],
            dilations: [1, 1],
            dataFormat: 'NHWC',
          },
        );
      } finally {
        release(backend, rotated);
      }
    }
  }
  return conv2DBackpropInputCol2Im(backend, dy, filter, info, options.columns ?? CONV_CHUNK_COLUMNS);
}

function conv2DBackpropInputCol2Im(
  backend: WasmBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: Conv2DInfo,
  columns: number,
): TensorInfo {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const rows = kh * kw * ci;
  const totalRows = nb * oh;
  const chunkRows = rowsPerChunk(info, columns);

  const dx = alloc(backend, [nb, h, w, ci]);
  heapF32(backend).fill(0, f32Index(backend, dx), f32Index(backend, dx) + nb * h * w * ci);
  const xRanges = Array.from({ length: kw }, (_, kx) => validRange(ow, w, sw, kx, pl));
  const cols = alloc(backend, [chunkRows * ow * rows]);
  try {
    for (let g0 = 0; g0 < totalRows; g0 += chunkRows) {
      const g1 = Math.min(totalRows, g0 + chunkRows);
      const kc = (g1 - g0) * ow;
      // cols[m, (ky,kx,ci)] = dy[m, co] · Wᵀ: the filter [(ky,kx,ci), co] is Wᵀ's transpose as stored.
      const dims = { m: kc, k: co, n: rows, transposeA: false, transposeB: true };
      const dyRows = f32Index(backend, dy) + g0 * ow * co;
      gemmInto(backend, dims, dyRows, f32Index(backend, filter), f32Index(backend, cols));
      const heap = heapF32(backend);
      const dxBase = f32Index(backend, dx);
      let src = f32Index(backend, cols);
      for (let g = g0; g < g1; g++) {
        const n = Math.floor(g / oh);
        const oy = g - n * oh;
        for (let ox = 0; ox < ow; ox++, src += rows) {
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh + ky - pt;
            if (iy < 0 || iy >= h) continue;
            const rowBase = dxBase + (n * h + iy) * w * ci;
            for (let kx = 0; kx < kw; kx++) {
              const [lo, hi] = xRanges[kx];
              if (ox < lo || ox >= hi) continue;
              const d = rowBase + (ox * sw + kx - pl) * ci;
              const s = src + (ky * kw + kx) * ci;
              for (let c = 0; c < ci; c++) heap[d + c] += heap[s + c];
            }
          }
        }
      }
    }
  } catch (e) {
    release(backend, dx);
    throw e;
  } finally {
    release(backend, cols);
  }
  return dx;
}
