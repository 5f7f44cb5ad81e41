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
  /**
   * Reads one picture `runs` times as the camera does (an ImageBitmap transferred to the worker), after
   * `warmup` untimed reads; per run: the worker's timings and the round trip, ms.
   */
  benchFrame(blob: Blob, runs: number, warmup?: number): Promise<FrameBench>;
}

export interface FrameBench {
  width: number;
  height: number;
  digits: number;
  decode: number[];
  locate: number[];
  infer: number[];
  total: number[];
  roundTrip: number[];
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
    async benchFrame(blob, runs, warmup = 3) {
      const out: FrameBench = {
        width: 0,
        height: 0,
        digits: 0,
        decode: [],
        locate: [],
        infer: [],
        total: [],
        roundTrip: [],
      };
      for (let i = 0; i < warmup + runs; i++) {
        const bitmap = await createImageBitmap(blob);
        const t0 = performance.now();
        const r = await engine.bridge.call(
          undefined,
          'readBitmap',
          [bitmap, { layout: 'string', maxSide: 0, includePixels: false }],
          [bitmap],
        );
        const roundTrip = performance.now() - t0;
        if (i < warmup) continue;
        out.width = r.width;
        out.height = r.height;
        out.digits = r.digits.length;
        out.decode.push(r.timings.decode);
        out.locate.push(r.timings.locate);
        out.infer.push(r.timings.infer);
        out.total.push(r.timings.total);
        out.roundTrip.push(roundTrip);
      }
      return out;
    },
  };
}
