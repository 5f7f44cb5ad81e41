/** The inference engine as the UI sees it: which backend runs, whether the model is loading or failed. */
import { WORKER_IDLE_MS } from '../constants.ts';
import { createInferenceWorker, engineOptions } from '../engine-options.ts';
import type { EngineInfo } from '../protocol.ts';
import { WorkerBridge } from '../worker-bridge.ts';
import type { Settings } from './settings.svelte.ts';

export type EngineStatus = 'idle' | 'loading' | 'ready' | 'error';

export class EngineState {
  status = $state<EngineStatus>('idle');
  info = $state.raw<EngineInfo | null>(null);
  error = $state('');
  readonly bridge: WorkerBridge;

  constructor(
    private readonly settings: Settings,
    modelUrl: string,
  ) {
    this.bridge = new WorkerBridge({
      createWorker: createInferenceWorker,
      engine: () => engineOptions(this.settings.backend, modelUrl, location.href),
      idleMs: WORKER_IDLE_MS,
      onStart: () => {
        this.status = 'loading';
        this.error = '';
      },
      onEngine: (info, error) => {
        if (info) {
          this.info = info;
          this.status = 'ready';
        } else {
          this.status = 'error';
          this.error = error?.message ?? 'The model could not be loaded';
        }
      },
    });
  }

  /** Loads the model now; errors land in `error` (the UI shows them with a retry). */
  async warm(): Promise<void> {
    try {
      await this.bridge.warm();
    } catch {
      // Reported through onEngine.
    }
  }

  /** Starts over with the current settings (a backend chosen on the model page). */
  async restart(): Promise<void> {
    this.info = null;
    try {
      await this.bridge.restart();
    } catch {
      // Reported through onEngine.
    }
  }
}
