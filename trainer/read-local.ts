/**
 * One reader: a TensorFlow.js backend, the model and the page reader, in the thread that creates it
 * (the main thread with --jobs 1, each worker of the pool otherwise). Kept apart from read-pool.ts so
 * that the pool's own thread never loads TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend, type BackendChoice } from './backend-ladder.ts';
import { loadModel } from './model-io.ts';
import { predictProbabilities } from './models.ts';
import type { Classifier } from '../preprocess/read-classify.ts';
import type { PageRecord } from '../preprocess/records.ts';
import { readFile, resolveReadOptions, type ReadOptions } from './read.ts';
import { writeAnnotation } from './read-annotate.ts';

/** Most digits sent to the model at once: bounds the activations of a page with hundreds of digits. */
const MAX_BATCH = 256;

/** A Classifier backed by a TensorFlow.js layers model (models/<name>/). */
export function modelClassifier(model: tfl.LayersModel): Classifier {
  return (digits, count) => {
    const out = new Float32Array(count * 10);
    for (let start = 0; start < count; start += MAX_BATCH) {
      const n = Math.min(MAX_BATCH, count - start);
      const chunk = digits.subarray(start * 784, (start + n) * 784);
      out.set(predictProbabilities(model, chunk, n), start * 10);
    }
    return out;
  };
}

/** What every reader (this thread's or a worker's) is set up with; plain data, so it crosses threads. */
export interface ReaderSetup {
  modelDir: string;
  backend: BackendChoice;
  read: Partial<ReadOptions>;
  /** Write each page's annotated PNG here. */
  annotateDir?: string;
}

export interface LocalReader {
  /** The TensorFlow.js backend in use. */
  backend: string;
  readFile(path: string, signal?: AbortSignal): AsyncGenerator<PageRecord>;
  dispose(): void;
}

/** Starts the backend and loads the model (once per thread). */
export async function createLocalReader(setup: ReaderSetup): Promise<LocalReader> {
  const read = resolveReadOptions(setup.read);
  const { backend } = await selectBackend(setup.backend, { synchronous: true });
  const model = await loadModel(setup.modelDir);
  const classify = modelClassifier(model);
  return {
    backend,
    async *readFile(path: string, signal?: AbortSignal) {
      for await (const { record, image } of readFile(path, classify, read, signal)) {
        if (setup.annotateDir && image && !record.error) {
          try {
            await writeAnnotation(setup.annotateDir, image, record);
          } catch (error) {
            record.warnings = [
              ...(record.warnings ?? []),
              `annotation not written: ${(error as Error).message}`,
            ];
          }
        }
        yield record;
      }
    },
    dispose() {
      model.dispose();
      tf.disposeVariables();
    },
  };
}
