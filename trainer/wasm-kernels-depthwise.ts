/**
 * Depthwise Conv2D gradients for the WASM backend, which has neither. Depthwise layers do little
 * arithmetic per element, so straight loops over the wasm heap (channels innermost, contiguous in
 * NHWC) are enough; filter sums are accumulated in float64.
 */
import { backend_util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

import { alloc, asWasmBackend, f32Index, heapF32 } from './wasm-kernels-heap.ts';

function depthwiseInfo(
  xShape: number[],
  filterShape: number[],
  attrs: NamedAttrMap,
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    (attrs.dilations as number | [number, number] | undefined) ?? 1,
    attrs.pad as 'valid' | 'same' | number | backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    true,
    'channelsLast',
  );
}

function checkDepthwise(kernelName: string, attrs: NamedAttrMap, inputs: TensorInfo[]): void {
  const dataFormat = attrs.dataFormat;
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new Error(
      `Expected dataFormat 'NHWC' for ${kernelName} but received ${JSON.stringify(dataFormat)}`,
    );
  }
  for (const t of inputs) {
    if (t.dtype !== 'float32') {
      throw new Error(`Expected dtype float32 for ${kernelName} inputs but received ${t.dtype}`);
    }
  }
}

function checkDy(kernelName: string, dy: TensorInfo, info: backend_util.Conv2DInfo): void {
  if (dy.shape.some((d, i) => d !== info.outShape[i])) {
    throw new Error(
      `Expected dy of shape [${info.outShape.join(', ')}] for ${kernelName} but received [${dy.shape.join(', ')}]`,
    );
  }
}

/** Visits every (output pixel, filter tap) pair whose input pixel lies inside the image. */
function forEachTap(
  info: backend_util.Conv2DInfo,
  visit: (dyIndex: number, xIndex: number, tapIndex: number) => void,
): void {
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { filterHeight: kh, filterWidth: kw, outChannels: co } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  let dyIndex = 0;
  for (let n = 0; n < nb; n++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, dyIndex += co) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky * dh - pt;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw + kx * dw - pl;
            if (ix < 0 || ix >= w) continue;
            visit(dyIndex, ((n * h + iy) * w + ix) * ci, (ky * kw + kx) * co);
          }
        }
      }
    }
  }
}

export function depthwiseConv2dNativeBackpropInput(args: Parameters<KernelFunc>[0]): TensorInfo {
  const name = 'DepthwiseConv2dNativeBackpropInput';
  const backend = asWasmBackend(args.backend, name);
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs ?? {};
  checkDepthwise(name, attrs, [dy, filter]);
  const inputShape = attrs.inputShape as number[];
  const info = depthwiseInfo(inputShape, filter.shape, attrs);
  checkDy(name, dy, info);
  const ci = info.inChannels;
  const mult = info.outChannels / ci;
  const dx = alloc(backend, inputShape);
  const size = inputShape.reduce((a, b) => a * b, 1);
  const heap = heapF32(backend);
  const dxBase = f32Index(backend, dx);
  const dyBase = f32Index(backend, dy);
  const wBase = f32Index(backend, filter);
  heap.fill(0, dxBase, dxBase + size);
  forEachTap(info, (dyi, xi, tap) => {
    const d = dxBase + xi;
    const s = dyBase + dyi;
    const f = wBase + tap;
    if (mult === 1) {
      for (let c = 0; c < ci; c++) heap[d + c] += heap[s + c] * heap[f + c];
    } else {
      for (let c = 0; c < ci; c++) {
        let acc = 0;
        for (let q = 0; q < mult; q++) acc += heap[s + c * mult + q] * heap[f + c * mult + q];
        heap[d + c] += acc;
      }
    }
  });
  return dx;
}

export function depthwiseConv2dNativeBackpropFilter(args: Parameters<KernelFunc>[0]): TensorInfo {
  const name = 'DepthwiseConv2dNativeBackpropFilter';
  const backend = asWasmBackend(args.backend, name);
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs ?? {};
  checkDepthwise(name, attrs, [x, dy]);
  const filterShape = attrs.filterShape as number[];
  const info = depthwiseInfo(x.shape, filterShape, attrs);
  checkDy(name, dy, info);
  const ci = info.inChannels;
  const mult = info.outChannels / ci;
  const acc = new Float64Array(filterShape.reduce((a, b) => a * b, 1));
  const heap = heapF32(backend);
  const xBase = f32Index(backend, x);
  const dyBase = f32Index(backend, dy);
  forEachTap(info, (dyi, xi, tap) => {
    const s = xBase + xi;
    const g = dyBase + dyi;
    for (let c = 0; c < ci; c++) {
      const xv = heap[s + c];
      for (let q = 0; q < mult; q++) acc[tap + c * mult + q] += xv * heap[g + c * mult + q];
    }
  });
  const out = alloc(backend, filterShape);
  heapF32(backend).set(acc, f32Index(backend, out));
  return out;
}
