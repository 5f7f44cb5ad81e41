/** Worker thread of `npm run eval`: loads the backend, the models and the test set once, then scores units. */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendChoice } from './backend-ladder.ts';
import { evaluateUnit, type EvalUnit } from './eval.ts';
import { loadMnist, sliceSet } from './mnist.ts';
import { loadModel } from './model-io.ts';

export interface EvalWorkerInit {
  models: { name: string; dir: string }[];
  backend: BackendChoice;
  seed: number;
  limit: number | null;
}

async function start(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('eval-worker.ts must run as a worker thread');
  const init = (workerData as { init: EvalWorkerInit }).init;
  try {
    await selectBackend(init.backend);
    const models = await Promise.all(
      init.models.map(async (m) => ({ name: m.name, model: await loadModel(m.dir) })),
    );
    const { test } = await loadMnist();
    const set = sliceSet(test, 0, init.limit ?? test.count);
    port.on('message', async ({ id, task }: { id: number; task: EvalUnit }) => {
      try {
        port.postMessage({ id, result: await evaluateUnit(task, models, set, init.seed) });
      } catch (err) {
        port.postMessage({ id, error: `${task.suite}/${task.severity}: ${(err as Error).message}` });
      }
    });
    port.postMessage({ ready: true });
  } catch (err) {
    port.postMessage({ initError: (err as Error).message });
  }
}

void start();
