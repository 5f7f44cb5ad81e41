/**
 * The gradient of FusedBatchNorm without `tile`.
 *
 * tfjs-core 4.22 computes dL/dx of a per-channel batch norm as dy * tile(rsqrt(variance + eps))
 * * scale: the tile materialises a second [N, H, W, C] tensor, and the WASM backend's Tile is a
 * scalar loop that took 45% of a batch-normalised net's training step. Broadcasting the
 * per-channel factor does the same arithmetic with one multiply, and the four per-channel
 * gradients share two reductions (Σ dy and Σ dy·(x - mean)) instead of four.
 */
import {
  add,
  getGradient,
  mul,
  neg,
  registerGradient,
  reshape,
  rsqrt,
  scalar,
  sub,
  sum,
  backend_util,
  type GradConfig,
  type NamedAttrMap,
  type Tensor,
} from '@tensorflow/tfjs-core';

export const fusedBatchNormGradConfig: GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const grad = dy as Tensor;
    const [x, mean, variance, scale] = saved;
    const eps = (attrs.varianceEpsilon as number | undefined) ?? 0.001;
    // Axes over which mean (hence every per-channel quantity) is broadcast: [0, 1, 2] for [C].
    const axes = backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: Tensor) => reshape(axes.length > 0 ? sum(t, axes) : t, mean.shape);
    const inv = rsqrt(add(variance, scalar(eps)));
    const scaled = scale == null ? inv : mul(inv, scale);
    const sumDy = reduce(grad);
    const sumDyCentred = reduce(mul(grad, sub(x, mean)));
    return {
      x: () => mul(grad, scaled),
      mean: () => neg(mul(sumDy, scaled)),
      // d/dvar of (x - mean) * (var + eps)^-1/2 * scale = -1/2 (x - mean) * (var + eps)^-3/2 * scale
      variance: () => mul(mul(sumDyCentred, scaled), mul(mul(inv, inv), scalar(-0.5))),
      scale: () => mul(sumDyCentred, inv),
      offset: () => sumDy,
    };
  },
};

let stockConfig: GradConfig | undefined;

/** Replaces tfjs-core's FusedBatchNorm gradient with the one above (idempotent; all backends). */
export function registerBatchNormGradient(): void {
  const current = getGradient('FusedBatchNorm');
  if (current === fusedBatchNormGradConfig) return;
  stockConfig = current;
  registerGradient(fusedBatchNormGradConfig);
}

/** Puts tfjs-core's own gradient back (for tests and benchmarks that compare the two). */
export function unregisterBatchNormGradient(): void {
  if (stockConfig != null && getGradient('FusedBatchNorm') === fusedBatchNormGradConfig) {
    registerGradient(stockConfig);
  }
}
