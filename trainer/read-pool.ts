/**
 * Running the batch reader over many files: in this thread alone (`--jobs 1`), or in this thread and
 * N - 1 worker threads (`--jobs N`), each with its own TensorFlow.js backend and copy of the model. This
 * thread takes a share of the files because it is reading within a second, while a worker needs a few
 * to load its modules: on a batch of a dozen pages that start-up is most of the time.
 *
 * Output stays in input order whatever the pool does: each file gets the index of its place in the walk,
 * its records wait in a reorder buffer until every earlier file is out, and the head file's pages stream
 * as they are read. Memory is bounded: a reader reads one file at a time (one page in memory), files are
 * handed out at most `window` places ahead of the oldest unfinished one, and nothing is read while the
 * consumer is not taking records (a slow pipe slows the pool instead of filling memory).
 *
 * A worker that dies (a crash in a native decoder, out of memory) costs the file it was reading, which
 * gets an error record, and is replaced. Aborting (Ctrl-C) stops handing out files, stops the workers
 * and then yields everything already read, in input order, so that what was read is not lost.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PageRecord } from '../preprocess/records.ts';
import { errorRecord } from './read.ts';
import type { LocalReader, ReaderSetup } from './read-local.ts';
import type { InputItem } from './read-walk.ts';

export type { ReaderSetup } from './read-local.ts';

export interface BatchOptions {
  setup: ReaderSetup;
  /** Files read at once: 1 reads in this thread only; N > 1 reads in this thread and N - 1 workers. */
  jobs: number;
  /** How far ahead of the oldest unfinished file work is handed out (default 4 per job). */
  window?: number;
  signal?: AbortSignal;
  /** Called once the readers are up, with the backend they use. */
  onReady?: (backend: string) => void;
}

/** One record and the place of its file in the walk (0-based). */
export interface BatchRecord {
  index: number;
  record: PageRecord;
  /** True on the last record of its file. */
  last: boolean;
}

/** The default --jobs: one per core. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

function itemError(item: Extract<InputItem, { kind: 'error' }>): PageRecord {
  return { file: item.path, error: item.error, errorCode: item.code };
}

/** Reads every input in order; see the file comment. */
export async function* readBatch(
  items: AsyncIterable<InputItem>,
  options: BatchOptions,
): AsyncGenerator<BatchRecord> {
  if (!Number.isInteger(options.jobs) || options.jobs < 1) {
    throw new Error(`Expected an integer >= 1 for jobs but received ${options.jobs}`);
  }
  if (options.jobs === 1) yield* readInThread(items, options);
  else yield* readInWorkers(items, options);
}

async function* readInThread(
  items: AsyncIterable<InputItem>,
  options: BatchOptions,
): AsyncGenerator<BatchRecord> {
  // Loaded here, not at the top: with workers, this thread never needs TensorFlow.js.
  const { createLocalReader } = await import('./read-local.ts');
  const reader = await createLocalReader(options.setup);
  options.onReady?.(reader.backend);
  let index = 0;
  try {
    for await (const item of items) {
      if (options.signal?.aborted) return;
      if (item.kind === 'error') {
        yield { index: index++, record: itemError(item), last: true };
        continue;
      }
      let held: PageRecord | undefined;
      for await (const record of reader.readFile(item.path, options.signal)) {
        if (held) yield { index, record: held, last: false };
        held = record;
      }
      if (held) yield { index, record: held, last: true };
      index++;
    }
  } finally {
    reader.dispose();
  }
}

/** tsx's ESM loader, registered inside each worker so that it can run this project's TypeScript. */
function workerBootstrap(): string {
  const require = createRequire(import.meta.url);
  const api = pathToFileURL(
    join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
  ).href;
  const entry = new URL('./read-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
}

/** Messages from read-worker.ts. */
export type WorkerMessage =
  | { type: 'ready'; backend: string }
  | { type: 'fatal'; message: string }
  | { type: 'record'; index: number; record: PageRecord }
  | { type: 'done'; index: number };

/** Messages to read-worker.ts. */
export type WorkerRequest = { type: 'file'; index: number; path: string };

type PoolEvent =
  | { kind: 'message'; worker: Worker; message: WorkerMessage }
  | { kind: 'crash'; worker: Worker; message: string }
  | { kind: 'local'; message: WorkerMessage }
  | { kind: 'abort' };

class EventQueue<T> {
  private items: T[] = [];
  private waiting: ((item: T) => void)[] = [];
  push(item: T): void {
    const w = this.waiting.shift();
    if (w) w(item);
    else this.items.push(item);
  }
  next(): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift() as T);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

interface Pending {
  records: PageRecord[];
  done: boolean;
}

async function* readInWorkers(
  items: AsyncIterable<InputItem>,
  options: BatchOptions,
): AsyncGenerator<BatchRecord> {
  const { jobs, signal } = options;
  const window = options.window ?? jobs * 4;
  const events = new EventQueue<PoolEvent>();
  const code = workerBootstrap();
  // This thread reads too, as one of the jobs: it is up long before a worker has loaded its modules,
  // which is most of a small batch's time, and it saves a worker's memory.
  const workers = jobs - 1;
  let local: LocalReader | null = null;
  let localBusy = false;
  let localTask: Promise<void> | null = null;
  const localInit = import('./read-local.ts')
    .then((m) => m.createLocalReader(options.setup))
    .then(
      (reader) => {
        local = reader;
        events.push({ kind: 'local', message: { type: 'ready', backend: reader.backend } });
      },
      (error: Error) => events.push({ kind: 'local', message: { type: 'fatal', message: error.message } }),
    );
  const runLocal = async (reader: LocalReader, index: number, path: string) => {
    try {
      for await (const record of reader.readFile(path, signal)) {
        events.push({ kind: 'local', message: { type: 'record', index, record } });
      }
    } catch (error) {
      events.push({ kind: 'local', message: { type: 'record', index, record: errorRecord(path, error) } });
    }
    events.push({ kind: 'local', message: { type: 'done', index } });
  };
  const busy = new Map<Worker, { index: number; path: string }>();
  const idle: Worker[] = [];
  const all = new Set<Worker>();
  let readyCount = 0;

  const spawn = (): void => {
    const worker = new Worker(code, { eval: true, workerData: options.setup });
    all.add(worker);
    // 'error' is followed by 'exit': report the first; a worker this pool terminates is not a crash.
    let reported = false;
    const crash = (message: string) => {
      if (reported || !all.has(worker)) return;
      reported = true;
      events.push({ kind: 'crash', worker, message });
    };
    worker.on('message', (message: WorkerMessage) => events.push({ kind: 'message', worker, message }));
    worker.on('error', (error) => crash(error.message));
    worker.on('exit', (exitCode) => crash(`the worker exited with code ${exitCode}`));
    idle.push(worker);
  };
  const stopAll = async () => {
    const workers = [...all];
    all.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  };
  const onAbort = () => events.push({ kind: 'abort' });
  signal?.addEventListener('abort', onAbort, { once: true });

  const pending = new Map<number, Pending>();
  const it = items[Symbol.asyncIterator]();
  let inputDone = false;
  let nextIndex = 0;
  let nextEmit = 0;
  let aborted = signal?.aborted ?? false;

  try {
    for (;;) {
      // Hand out work while a worker is free and the window allows.
      // Workers start on first need, so a batch of one file starts one.
      const free = () => (local !== null && !localBusy) || idle.length > 0 || all.size < workers;
      while (!aborted && !inputDone && free() && nextIndex - nextEmit < window) {
        const r = await it.next();
        if (r.done) {
          inputDone = true;
          break;
        }
        const index = nextIndex++;
        if (r.value.kind === 'error') {
          pending.set(index, { records: [itemError(r.value)], done: true });
          continue;
        }
        pending.set(index, { records: [], done: false });
        if (local !== null && !localBusy) {
          localBusy = true;
          localTask = runLocal(local, index, r.value.path);
          continue;
        }
        if (idle.length === 0) spawn();
        const worker = idle.pop() as Worker;
        busy.set(worker, { index, path: r.value.path });
        worker.postMessage({ type: 'file', index, path: r.value.path } satisfies WorkerRequest);
      }
      // Everything that is next in order goes out.
      for (let p = pending.get(nextEmit); p; p = pending.get(nextEmit)) {
        // An unfinished file keeps its latest record back, so that its last record can say it is the last.
        const records = p.done ? p.records : p.records.slice(0, -1);
        p.records = p.done ? [] : p.records.slice(-1);
        for (let k = 0; k < records.length; k++) {
          yield { index: nextEmit, record: records[k], last: p.done && k === records.length - 1 };
        }
        if (!p.done) break;
        pending.delete(nextEmit);
        nextEmit++;
      }
      if (aborted || (inputDone && pending.size === 0)) break;
      // Emitting may have opened the window: hand out more work before waiting.
      if (!inputDone && free() && nextIndex - nextEmit < window) continue;
      const event = await events.next();
      if (event.kind === 'abort') {
        aborted = true;
        break;
      }
      if (event.kind === 'crash') {
        const job = busy.get(event.worker);
        busy.delete(event.worker);
        const at = idle.indexOf(event.worker);
        if (at >= 0) idle.splice(at, 1);
        all.delete(event.worker);
        void event.worker.terminate();
        if (readyCount === 0) throw new Error(`The reader's worker failed to start: ${event.message}`);
        if (job) {
          const p = pending.get(job.index) as Pending;
          p.records.push({
            file: job.path,
            error: `Cannot read "${job.path}": the reader stopped while reading it (${event.message}).`,
            errorCode: 'failed',
          });
          p.done = true;
        }
        continue;
      }
      const m = event.message;
      if (m.type === 'fatal') throw new Error(m.message);
      if (m.type === 'ready') {
        if (readyCount++ === 0) options.onReady?.(m.backend);
      } else if (m.type === 'record') {
        pending.get(m.index)?.records.push(m.record);
      } else if (m.type === 'done') {
        const p = pending.get(m.index);
        if (p) p.done = true;
        if (event.kind === 'local') localBusy = false;
        else {
          busy.delete(event.worker);
          idle.push(event.worker);
        }
      }
    }
    if (aborted) {
      // Ctrl-C: what was read comes out, in order; files cut short keep the pages they got.
      await stopAll();
      const left = [...pending.keys()].sort((a, b) => a - b);
      for (const index of left) {
        const p = pending.get(index) as Pending;
        for (let k = 0; k < p.records.length; k++) {
          yield { index, record: p.records[k], last: k === p.records.length - 1 };
        }
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await stopAll();
    // The local reader stops at its next page once aborted; wait for it before freeing its model.
    await localInit;
    await localTask;
    (local as LocalReader | null)?.dispose();
  }
}
