// Bootstrap for worker threads that run TypeScript modules. On Node 20 a worker's entry is loaded
// before --import hooks apply, so it cannot be a .ts file: this plain module registers tsx's loader
// in the worker, then imports the real script named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.script);
