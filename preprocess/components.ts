/**
 * Connected components of a binary image: two-pass scanline labelling with union-find.
 * 8-connectivity by default, since a diagonal step is still one pen stroke.
 */
import type { BinaryImage } from './binarize.ts';
import { checkInteger, fail } from './validate.ts';

export interface Component {
  /** Label in Labeling.labels (1-based; 0 is paper). */
  readonly id: number;
  /** Bounding box, x1 and y1 exclusive. */
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  /** Ink pixels. */
  readonly area: number;
}

export interface Labeling {
  readonly width: number;
  readonly height: number;
  /** Per pixel: the component id, 0 for paper. */
  readonly labels: Int32Array;
  /** components[k] has id k + 1. */
  readonly components: Component[];
  /** With weights: the sum of the weights of each component's pixels, indexed by id (0: paper). */
  readonly weightSums: Float64Array | null;
}

export type Connectivity = 4 | 8;

export function checkBinaryImage(mask: unknown, name = 'mask'): BinaryImage {
  if (typeof mask !== 'object' || mask === null) fail('a BinaryImage {width, height, data}', name, mask);
  const { width, height, data } = mask as BinaryImage;
  checkInteger(width, `${name}.width`, 1);
  checkInteger(height, `${name}.height`, 1);
  if (!(data instanceof Uint8Array)) fail('a Uint8Array', `${name}.data`, data);
  if (data.length !== width * height) {
    fail(`length ${width * height} (width * height)`, `${name}.data.length`, data.length);
  }
  return mask as BinaryImage;
}

function find(parent: Int32Array, a: number): number {
  let r = a;
  while (parent[r] !== r) r = parent[r];
  // Path compression keeps later finds O(1) in practice.
  while (parent[a] !== r) {
    const next = parent[a];
    parent[a] = r;
    a = next;
  }
  return r;
}

function union(parent: Int32Array, a: number, b: number): number {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra === rb) return ra;
  // The smaller label becomes the root, so roots stay in scan order.
  if (ra < rb) {
    parent[rb] = ra;
    return ra;
  }
  parent[ra] = rb;
  return rb;
}

/**
 * Labels the ink (non-zero) pixels of a binary image. `weights` (one per pixel, e.g. the ink contrast)
 * are summed per component on the way.
 */
export function labelComponents(
  mask: BinaryImage,
  connectivity: Connectivity = 8,
  weights: Float32Array | null = null,
): Labeling {
  checkBinaryImage(mask);
  if (connectivity !== 4 && connectivity !== 8) fail('4 or 8', 'connectivity', connectivity);
  if (weights !== null && (!(weights instanceof Float32Array) || weights.length !== mask.data.length)) {
    fail(`a Float32Array of length ${mask.data.length} or null`, 'weights', weights);
  }
  const { width, height, data } = mask;
  const labels = new Int32Array(width * height);
  // Provisional labels: at most one per run of ink, so half the pixels (+1) bounds them.
  let parent = new Int32Array(1024);
  let next = 1;
  const eight = connectivity === 8;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const up = row - width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (data[i] === 0) continue;
      let l = 0;
      if (x > 0 && labels[i - 1] !== 0) l = labels[i - 1];
      if (y > 0) {
        const n = labels[up + x];
        if (n !== 0) l = l === 0 ? n : union(parent, l, n);
        if (eight) {
          if (x > 0) {
            const nw = labels[up + x - 1];
            if (nw !== 0) l = l === 0 ? nw : union(parent, l, nw);
          }
          if (x < width - 1) {
            const ne = labels[up + x + 1];
            if (ne !== 0) l = l === 0 ? ne : union(parent, l, ne);
          }
        }
      }
      if (l === 0) {
        if (next >= parent.length) {
          const grown = new Int32Array(parent.length * 2);
          grown.set(parent);
          parent = grown;
        }
        parent[next] = next;
        l = next++;
      }
      labels[i] = l;
    }
  }
  // Resolve roots to consecutive ids in scan order and gather the statistics.
  const finalId = new Int32Array(next);
  let count = 0;
  for (let l = 1; l < next; l++) {
    const r = find(parent, l);
    finalId[l] = r === l ? ++count : finalId[r];
  }
  const x0 = new Int32Array(count + 1).fill(width);
  const y0 = new Int32Array(count + 1).fill(height);
  const x1 = new Int32Array(count + 1);
  const y1 = new Int32Array(count + 1);
  const area = new Int32Array(count + 1);
  const weightSums = weights ? new Float64Array(count + 1) : null;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const l = labels[row + x];
      if (l === 0) continue;
      const id = finalId[l];
      labels[row + x] = id;
      area[id]++;
      if (weightSums) weightSums[id] += weights![row + x];
      if (x < x0[id]) x0[id] = x;
      if (x >= x1[id]) x1[id] = x + 1;
      if (y < y0[id]) y0[id] = y;
      y1[id] = y + 1;
    }
  }
  const components: Component[] = [];
  for (let id = 1; id <= count; id++) {
    components.push({ id, x0: x0[id], y0: y0[id], x1: x1[id], y1: y1[id], area: area[id] });
  }
  return { width, height, labels, components, weightSums };
}
