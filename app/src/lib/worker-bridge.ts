/**
 * The page's handle on the inference worker, after squoosh's worker bridge: the worker starts on the
 * first call (and loads the model then), calls are queued in order, an aborted call is dropped before
 * it is sent or, when already running, ends the worker (so no stale work goes on), and a worker left
 * idle is terminated to give its memory back. The next call starts a new one transparently.
 */
import { abortable, abortError } from './abort.ts';
import type {
  EngineInfo,
  EngineOptions,
  WorkerApi,
  WorkerMethod,
  WorkerRequest,
  WorkerResponse,
} from './protocol.ts';

export interface WorkerBridgeOptions {
  createWorker: () => Worker;
  /** Engine options sent as the first message to every new worker. */
  engine: () => EngineOptions;
  /** Terminate the worker after this long without a call; 0 never. */
  idleMs: number;
  /** Told when a worker starts loading its model, and when it has (or failed to). */
  onStart?: () => void;
  onEngine?: (info: EngineInfo | null, error?: Error) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

class WorkerError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export class WorkerBridge {
  private worker: Worker | null = null;
  private engine: Promise<EngineInfo> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private busy = 0;

  constructor(private readonly options: WorkerBridgeOptions) {}

  /** True while a call is queued or running (the camera skips frames meanwhile). */
  get isBusy(): boolean {
    return this.busy > 0;
  }

  /** Starts the worker now (e.g. when the camera opens) instead of on the first frame. */
  warm(signal?: AbortSignal): Promise<EngineInfo> {
    return abortable(signal, this.start());
  }

  /** Ends the worker and fails its pending calls; the next call starts a fresh one. */
  terminate(reason = 'The worker was stopped'): void {
    clearTimeout(this.idleTimer);
    this.worker?.terminate();
    this.worker = null;
    this.engine = null;
    for (const p of this.pending.values()) p.reject(new WorkerError('AbortError', reason));
    this.pending.clear();
  }

  /** Restarts the engine with new options (a backend chosen in the settings). */
  async restart(): Promise<EngineInfo> {
    this.terminate('The engine was restarted');
    return this.start();
  }

  call<M extends WorkerMethod>(
    signal: AbortSignal | undefined,
    method: M,
    args: WorkerApi[M][0],
    transfer: Transferable[] = [],
  ): Promise<WorkerApi[M][1]> {
    this.busy++;
    const run = this.queue
      .catch(() => undefined)
      .then(async () => {
        if (signal?.aborted) {
          closeTransfers(transfer);
          throw abortError();
        }
        clearTimeout(this.idleTimer);
        await this.start();
        const onAbort = () => this.terminate('Cancelled');
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          return await abortable(signal, this.send(method, args, transfer));
        } finally {
          signal?.removeEventListener('abort', onAbort);
        }
      })
      .finally(() => {
        this.busy--;
        this.scheduleIdle();
      });
    this.queue = run;
    return run as Promise<WorkerApi[M][1]>;
  }

  private scheduleIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.options.idleMs > 0 && this.busy === 0 && this.worker) {
      this.idleTimer = setTimeout(() => this.terminate('The worker idled out'), this.options.idleMs);
    }
  }

  private start(): Promise<EngineInfo> {
    if (this.engine) return this.engine;
    this.options.onStart?.();
    const worker = this.options.createWorker();
    this.worker = worker;
    worker.addEventListener('message', (event: MessageEvent<WorkerResponse>) => {
      const msg = event.data;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new WorkerError(msg.error.name, msg.error.message));
    });
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      if (this.worker === worker)
        this.terminate(`The worker failed: ${event.message || 'it could not start'}`);
    });
    const engine = this.send('init', [this.options.engine()]).then(
      (info) => {
        this.options.onEngine?.(info);
        return info;
      },
      (error: Error) => {
        if (this.worker === worker) {
          this.worker.terminate();
          this.worker = null;
          this.engine = null;
        }
        this.options.onEngine?.(null, error);
        throw error;
      },
    );
    this.engine = engine;
    return engine;
  }

  private send<M extends WorkerMethod>(
    method: M,
    args: WorkerApi[M][0],
    transfer: Transferable[] = [],
  ): Promise<WorkerApi[M][1]> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new WorkerError('AbortError', 'The worker is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const request: WorkerRequest<M> = { id, method, args };
      worker.postMessage(request, transfer);
    });
  }
}

function closeTransfers(transfer: Transferable[]): void {
  for (const t of transfer) if (t instanceof ImageBitmap) t.close();
}
