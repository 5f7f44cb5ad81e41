/**
 * One worker thread of the batch reader's pool (read-pool.ts): its own backend and model, one file at a
 * time, each page's record posted as soon as it is read. Started by the pool only; it has no command line.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorRecord } from './read.ts';
import { createLocalReader, type LocalReader, type ReaderSetup } from './read-local.ts';
import type { WorkerMessage, WorkerRequest } from './read-pool.ts';

async function serve(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('read-worker.ts runs inside the reader pool only (no parentPort)');
  const post = (m: WorkerMessage) => port.postMessage(m);
  let reader: LocalReader;
  try {
    reader = await createLocalReader(workerData as ReaderSetup);
  } catch (error) {
    post({ type: 'fatal', message: (error as Error).message });
    return;
  }
  post({ type: 'ready', backend: reader.backend });
  // Requests are handled one after the other (the pool sends one file at a time anyway).
  let chain = Promise.resolve();
  port.on('message', (req: WorkerRequest) => {
    chain = chain.then(async () => {
      try {
        for await (const record of reader.readFile(req.path))
          post({ type: 'record', index: req.index, record });
      } catch (error) {
        post({ type: 'record', index: req.index, record: errorRecord(req.path, error) });
      }
      post({ type: 'done', index: req.index });
    });
  });
}

void serve();
