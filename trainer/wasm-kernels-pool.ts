/**
 * Pooling gradients for the WASM backend. The stock MaxPoolGrad is registered but walks every input
 * pixel and channel with a scalar loop over the window (84 ms for the seeds' [64,24,24,64] 2x2 pool,
 * 30x its forward pass); these loops visit each window once with channels innermost, as NHWC
 * stores them. Semantics follow the reference CPU kernels: the gradient of a max window goes to
 * its first maximum in row-major scan order; an average window spreads dy / (filter area) over its
 * in-image pixels.
 */
import { backend_util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

import { alloc, asWasmBackend, f32Index, heapF32, sizeOf } from './wasm-kernels-heap.ts';

function poolInfo(kernelName: string, xShape: number[], attrs: NamedAttrMap): backend_util.Conv2DInfo {
  if (xShape.length !== 4) {
    throw new Error(`Expected a rank-4 input for ${kernelName} but received shape [${xShape.join(', ')}]`);
  }
  return backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as number | [number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'valid' | 'same' | number | backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
}

function checkInputs(
  kernelName: string,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
  others: TensorInfo[],
): void {
  for (const t of [dy, ...others]) {
    if (t.dtype !== 'float32') {
      throw new Error(`Expected dtype float32 for ${kernelName} inputs but received ${t.dtype}`);
    }
  }
  if (dy.shape.some((d, i) => d !== info.outShape[i])) {
    throw new Error(
      `Expected dy of shape [${info.outShape.join(', ')}] for ${kernelName} but received [${dy.shape.join(', ')}]`,
    );
  }
}

/** Calls visit(dyPixelIndex, y0, y1, x0, x1, n) for each output pixel's in-image window. */
function forEachWindow(
  info: backend_util.Conv2DInfo,
  visit: (dyIndex: number, n: number, y0: number, y1: number, x0: number, x1: number) => void,
): void {
  const { batchSize: nb, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, inChannels: c } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  let dyIndex = 0;
  for (let n = 0; n < nb; n++) {
    for (let oy = 0; oy < oh; oy++) {
      const ys = oy * sh - pt;
      const y0 = Math.max(0, ys);
      const y1 = Math.min(h, ys + fh);
      for (let ox = 0; ox < ow; ox++, dyIndex += c) {
        const xs = ox * sw - pl;
        visit(dyIndex, n, y0, y1, Math.max(0, xs), Math.min(w, xs + fw));
      }
    }
  }
}

export function maxPoolGrad(args: Parameters<KernelFunc>[0]): TensorInfo {
  const name = 'MaxPoolGrad';
  const backend = asWasmBackend(args.backend, name);
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const info = poolInfo(name, input.shape, args.attrs ?? {});
  checkInputs(name, dy, info, [input]);
  const { inHeight: h, inWidth: w, inChannels: c, filterHeight: fh, filterWidth: fw } = info;
  const dx = alloc(backend, input.shape);
  const heap = heapF32(backend);
  const dxBase = f32Index(backend, dx);
  const xBase = f32Index(backend, input);
  const dyBase = f32Index(backend, dy);
  heap.fill(0, dxBase, dxBase + sizeOf(input.shape));
  // dx and x share a layout: a position found in x is moved to dx by a constant shift.
  const shift = dxBase - xBase;
  const row = w * c;
  forEachWindow(info, (dyIndex, n, y0, y1, x0, x1) => {
    const g = dyBase + dyIndex;
    const p0 = xBase + ((n * h + y0) * w + x0) * c;
    if (fh === 2 && fw === 2 && y1 - y0 === 2 && x1 - x0 === 2) {
      // The seeds' 2x2 pool, unrolled and branch-free (random winners defeat branch prediction).
      for (let k = 0; k < c; k++) {
        const a = p0 + k;
        const b = a + c;
        const d = a + row;
        const e = d + c;
        const va = heap[a];
        const vb = heap[b];
        const vd = heap[d];
        const i1 = vb > va ? b : a;
        const m1 = vb > va ? vb : va;
        const i2 = vd > m1 ? d : i1;
        const m2 = vd > m1 ? vd : m1;
        const i3 = heap[e] > m2 ? e : i2;
        heap[i3 + shift] += heap[g + k];
      }
      return;
    }
    if (y0 >= y1 || x0 >= x1) return;
    for (let k = 0; k < c; k++) {
      let bestAt = p0 + k;
      let best = heap[bestAt];
      for (let iy = y0; iy < y1; iy++) {
        let p = xBase + ((n * h + iy) * w + x0) * c + k;
        for (let ix = x0; ix < x1; ix++, p += c) {
          const v = heap[p];
          const better = v > best;
          bestAt = better ? p : bestAt;
          best = better ? v : best;
        }
      }
      heap[bestAt + shift] += heap[g + k];
    }
  });
  return dx;
}

export function avgPoolGrad(args: Parameters<KernelFunc>[0]): TensorInfo {
  const name = 'AvgPoolGrad';
  const backend = asWasmBackend(args.backend, name);
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const info = poolInfo(name, input.shape, args.attrs ?? {});
  checkInputs(name, dy, info, [input]);
  const { inHeight: h, inWidth: w, inChannels: c } = info;
  const scale = 1 / (info.filterHeight * info.filterWidth);
  const dx = alloc(backend, input.shape);
  const heap = heapF32(backend);
  const dxBase = f32Index(backend, dx);
  const dyBase = f32Index(backend, dy);
  heap.fill(0, dxBase, dxBase + sizeOf(input.shape));
  const share = new Float32Array(c);
  forEachWindow(info, (dyIndex, n, y0, y1, x0, x1) => {
    const g = dyBase + dyIndex;
    for (let k = 0; k < c; k++) share[k] = heap[g + k] * scale;
    for (let iy = y0; iy < y1; iy++) {
      for (let ix = x0; ix < x1; ix++) {
        const p = dxBase + ((n * h + iy) * w + ix) * c;
        for (let k = 0; k < c; k++) heap[p + k] += share[k];
      }
    }
  });
  return dx;
}
