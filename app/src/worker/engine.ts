/**
 * The model on the chosen backend: load, warm up, classify batches of normalised digits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import type { BackendName } from '../lib/constants.ts';
import type { EngineInfo, EngineOptions, MemoryInfo } from '../lib/protocol.ts';
import { selectBackend } from './backend-ladder.ts';

const DIGIT_SIZE = 784;
/**
 * On GPU backends batches are padded up to one of these sizes: they compile a program per input shape,
 * so a camera whose digit count changes every frame would otherwise compile all the time. WASM and CPU
 * compile nothing, and padding would only add work.
 */
const BATCH_BUCKETS = [1, 4, 16, 64, 256];
const MAX_BATCH = BATCH_BUCKETS[BATCH_BUCKETS.length - 1];
const COMPILING_BACKENDS: readonly BackendName[] = ['webgl', 'webgpu'];

function bucketFor(count: number): number {
  return BATCH_BUCKETS.find((b) => b >= count) ?? MAX_BATCH;
}

export class Engine {
  private constructor(
    readonly model: LayersModel,
    readonly info: EngineInfo,
  ) {}

  static async create(options: EngineOptions): Promise<Engine> {
    const { backend, attempts } = await selectBackend({
      choice: options.backend,
      wasmPaths: options.wasmPaths,
    });
    const t0 = performance.now();
    const model = await loadLayersModel(options.modelUrl);
    const shape = model.inputs[0]?.shape;
    if (!shape || shape.length !== 4 || shape[1] !== 28 || shape[2] !== 28 || shape[3] !== 1) {
      model.dispose();
      throw new Error(`Expected a model with input [null,28,28,1] but received ${JSON.stringify(shape)}`);
    }
    const t1 = performance.now();
    const engine = new Engine(model, { backend, attempts, loadMs: t1 - t0, warmupMs: 0 });
    // Warm up the batch sizes a camera frame uses, so that the first frames do not stall on compiling.
    const warm = COMPILING_BACKENDS.includes(backend) ? BATCH_BUCKETS.slice(0, 3) : [1];
    for (const n of warm) await engine.classify(new Float32Array(n * DIGIT_SIZE), n);
    engine.info.warmupMs = performance.now() - t1;
    return engine;
  }

  get backend(): BackendName {
    return this.info.backend;
  }

  /** count normalised digits (count * 784 floats) -> count * 10 probabilities. */
  async classify(digits: Float32Array, count: number): Promise<Float32Array> {
    if (!Number.isInteger(count) || count < 0)
      throw new Error(`Expected an integer >= 0 for count but received ${count}`);
    if (digits.length !== count * DIGIT_SIZE) {
      throw new Error(
        `Expected ${count * DIGIT_SIZE} floats (count * 784) for digits but received ${digits.length}`,
      );
    }
    const out = new Float32Array(count * 10);
    const pad = COMPILING_BACKENDS.includes(this.backend);
    for (let start = 0; start < count; start += MAX_BATCH) {
      const n = Math.min(MAX_BATCH, count - start);
      const size = pad ? bucketFor(n) : n;
      const chunk = digits.subarray(start * DIGIT_SIZE, (start + n) * DIGIT_SIZE);
      const input = size === n ? chunk : new Float32Array(size * DIGIT_SIZE);
      if (input !== chunk) input.set(chunk);
      const probs = tf.tidy(() => this.model.predict(tf.tensor4d(input, [size, 28, 28, 1])) as tf.Tensor);
      try {
        const data = (await probs.data()) as Float32Array;
        out.set(data.subarray(0, n * 10), start * 10);
      } finally {
        probs.dispose();
      }
    }
    return out;
  }

  memory(): MemoryInfo {
    const m = tf.memory();
    const info: MemoryInfo = { numTensors: m.numTensors, numBytes: m.numBytes, backend: tf.getBackend() };
    const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
    if (wasm?.HEAPU8) info.wasmHeap = wasm.HEAPU8.byteLength;
    const heap = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
    if (heap) info.jsHeap = heap.usedJSHeapSize;
    return info;
  }

  dispose(): void {
    this.model.dispose();
  }
}
