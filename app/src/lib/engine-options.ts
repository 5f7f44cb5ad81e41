/** Where the worker, the model and tfjs's WASM binaries are: URLs the bundler resolves and hashes. */
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import type { BackendChoice } from './constants.ts';
import type { EngineOptions } from './protocol.ts';

export function createInferenceWorker(): Worker {
  return new Worker(new URL('../worker/inference.worker.ts', import.meta.url), {
    type: 'module',
    name: 'digitlens-inference',
  });
}

/** The worker resolves URLs against its own script, so everything it fetches goes as an absolute URL. */
export function engineOptions(backend: BackendChoice, modelUrl: string, base: string): EngineOptions {
  const abs = (u: string) => new URL(u, base).href;
  return {
    backend,
    modelUrl: abs(modelUrl),
    wasmPaths: {
      'tfjs-backend-wasm.wasm': abs(wasmPlain),
      'tfjs-backend-wasm-simd.wasm': abs(wasmSimd),
      'tfjs-backend-wasm-threaded-simd.wasm': abs(wasmThreaded),
    },
  };
}
