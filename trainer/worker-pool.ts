/**
 * A small pool of worker threads for CPU-bound batches (robustness suites, page reading): each worker
 * initialises once (backend, models), then takes tasks; results come back in task order.
 * TensorFlow.js WASM runs one thread per backend in Node, so a worker per core is how to use them all.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

type FromWorker<R> =
  { ready: true } | { initError: string } | { id: number; result: R } | { id: number; error: string };

/** Plain-JS entry that registers tsx in the worker and then imports the TypeScript script. */
const BOOTSTRAP = new URL('./ts-worker.mjs', import.meta.url);

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

export class WorkerPool<Task, Result> {
  private readonly workers: Worker[] = [];
  private readonly ready: Promise<void>[] = [];

  /** `initFor(i)` gives worker i its own init data (e.g. its own seed); default: `init` for all. */
  constructor(script: URL, init: unknown, size: number, initFor: (index: number) => unknown = () => init) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`Expected an integer >= 1 for --jobs but received ${size}`);
    for (let i = 0; i < size; i++) {
      const w = new Worker(BOOTSTRAP, { workerData: { script: script.href, init: initFor(i) } });
      this.workers.push(w);
      this.ready.push(
        new Promise((resolve, reject) => {
          const onMessage = (m: FromWorker<Result>) => {
            if ('ready' in m) resolve();
            else if ('initError' in m) reject(new Error(m.initError));
            else return;
            w.off('message', onMessage);
          };
          w.on('message', onMessage);
          w.once('error', reject);
        }),
      );
    }
  }

  private started = false;

  /**
   * Runs every task on the first free worker; resolves with results in the order of `tasks`. Once the
   * workers are up, the first tasks are posted before run() returns, so a caller that then computes on
   * its own thread (a training step's local shard) works alongside them rather than before them.
   */
  run(tasks: Task[], onResult?: (result: Result, index: number) => void): Promise<Result[]> {
    if (this.started) return this.dispatch(tasks, onResult);
    return Promise.all(this.ready).then(() => {
      this.started = true;
      return this.dispatch(tasks, onResult);
    });
  }

  private async dispatch(
    tasks: Task[],
    onResult?: (result: Result, index: number) => void,
  ): Promise<Result[]> {
    const results = new Array<Result>(tasks.length);
    let next = 0;
    const drive = (w: Worker) =>
      new Promise<void>((resolve, reject) => {
        // Listeners are removed when this run ends: run() is called once per training step.
        const finish = (err?: Error) => {
          w.off('message', onMessage);
          w.off('error', finish);
          if (err) reject(err);
          else resolve();
        };
        const give = () => {
          if (next >= tasks.length) {
            finish();
            return;
          }
          const id = next++;
          w.postMessage({ id, task: tasks[id] });
        };
        const onMessage = (m: FromWorker<Result>) => {
          if (!('id' in m)) return;
          if ('error' in m) {
            finish(new Error(m.error));
            return;
          }
          results[m.id] = m.result;
          onResult?.(m.result, m.id);
          give();
        };
        w.on('message', onMessage);
        w.on('error', finish);
        give();
      });
    await Promise.all(this.workers.map(drive));
    return results;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
