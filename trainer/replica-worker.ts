/**
 * A training replica in a worker thread: holds a copy of the model, takes the current weights and a
 * shard of the batch, and returns the shard's gradients. The optimizer lives in the main thread only,
 * so replicas never drift apart.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../preprocess/random.ts';
import { selectBackend } from './backend-ladder.ts';
import { createModel } from './models.ts';
import { shardGradients, type ReplicaInit, type ShardTask } from './replicas.ts';

async function start(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('replica-worker.ts must run as a worker thread');
  const init = (workerData as { init: ReplicaInit }).init;
  try {
    // Dropout draws from Math.random: seed it per replica so that --seed reproduces a run.
    const rng = createRng(init.seed);
    Math.random = () => rng.next();
    await selectBackend(init.backend);
    const model = createModel(init.arch, {
      seed: init.modelSeed,
      dropout: init.dropout,
      orientations: init.orientations,
    });
    port.on('message', async ({ id, task }: { id: number; task: ShardTask }) => {
      try {
        const vars = model.trainableWeights;
        task.weights.forEach((w, i) => {
          const t = tf.tensor(w, vars[i].shape as number[]);
          vars[i].write(t);
          t.dispose();
        });
        const out = await shardGradients(model, task.x, task.y, task.n, task.scale);
        port.postMessage({ id, result: out }, [...out.grads.map((g) => g.buffer as ArrayBuffer)]);
      } catch (err) {
        port.postMessage({ id, error: (err as Error).message });
      }
    });
    port.postMessage({ ready: true });
  } catch (err) {
    port.postMessage({ initError: (err as Error).message });
  }
}

void start();
