/**
 * window.digitlens: a small console API for support and the browser tests, on top of the same worker
 * the UI uses. It reads what it is given and reports the engine's memory; it changes nothing.
 */
import type { Layout } from './constants.ts';
import type { MemoryInfo, PageResult } from './protocol.ts';
import type { AppServices } from './services.ts';

export interface DebugApi {
  /** Reads an image (Blob) as upload mode does, with the 28x28 inputs the model saw. */
  read(blob: Blob, layout?: Layout): Promise<PageResult | null>;
  /** tfjs tensor count and bytes, WASM heap and JS heap of the worker. */
  memory(): Promise<MemoryInfo>;
  /** Frames the camera has read since it started. */
  framesRead(): number;
  backend(): string | null;
}

export function debugApi(services: AppServices): DebugApi {
  const { engine, camera } = services;
  return {
    async read(blob, layout = 'auto') {
      const pages = await engine.bridge.call(undefined, 'readFile', [
        blob,
        'debug',
        { layout, maxSide: 0, includePixels: true },
      ]);
      if (pages[0]?.error) throw new Error(pages[0].error);
      return pages[0]?.result ?? null;
    },
    memory: () => engine.bridge.call(undefined, 'memory', []),
    framesRead: () => camera.framesRead,
    backend: () => engine.info?.backend ?? null,
  };
}
