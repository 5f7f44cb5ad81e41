/**
 * Picks the fastest TensorFlow.js backend the browser has: WebGPU -> WebGL -> WASM -> CPU.
 * Each backend's package is imported only when its rung is tried, so a phone that gets WebGL never
 * downloads the WebGPU kernels. The ladder always ends in cpu, which cannot fail. `auto` passes over
 * a WebGL or WebGPU that renders in software (see SOFTWARE_RENDERER); a chosen backend is always tried.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, type BackendChoice, type BackendName } from '../lib/constants.ts';
import type { BackendAttempt } from '../lib/protocol.ts';

export interface LadderOptions {
  choice: BackendChoice;
  /** tfjs-backend-wasm binaries by file name (bundled with hashed names, so prefixes do not work). */
  wasmPaths: Record<string, string>;
}

/** The rungs to try: the whole ladder, or the chosen backend and the rungs below it. */
export function ladderFor(choice: BackendChoice): BackendName[] {
  if (choice === 'auto') return [...BACKENDS];
  const at = BACKENDS.indexOf(choice);
  if (at < 0)
    throw new Error(`Expected auto or one of ${BACKENDS.join(', ')} for backend but received ${choice}`);
  return BACKENDS.slice(at);
}

/**
 * Renderers that rasterise in software (SwiftShader, Mesa's llvmpipe, Windows' Basic Render Driver).
 * On them WebGL and WebGPU emulate a GPU on the CPU: a 5-digit camera frame took 1.4 s (WebGL) and
 * 5.4 s (WebGPU) against 32 ms on WASM (`npx tsx bench/app.ts`, no GPU), so `auto` skips them.
 */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render driver/i;

export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE_RENDERER.test(renderer);
}

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(): Promise<{ info?: AdapterInfoLike; isFallbackAdapter?: boolean } | null>;
}

/** What the browser says renders for `name`: WebGL's renderer string, WebGPU's adapter info. */
async function rendererOf(name: 'webgl' | 'webgpu'): Promise<string> {
  if (name === 'webgpu') {
    if (!('gpu' in navigator)) throw new Error('this browser has no WebGPU (navigator.gpu)');
    const adapter = await (navigator as unknown as { gpu: GpuLike }).gpu.requestAdapter();
    if (!adapter) throw new Error('WebGPU has no adapter here');
    const info = adapter.info ?? {};
    const fallback = info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
    const names = [info.vendor, info.architecture, info.device, info.description].filter(Boolean);
    return `${names.join(' ')}${fallback ? ' (fallback adapter, software)' : ''}`;
  }
  const canvas = new OffscreenCanvas(1, 1);
  const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
  if (!gl) throw new Error('this browser cannot create a WebGL context');
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

async function register(name: BackendName, wasmPaths: Record<string, string>): Promise<void> {
  switch (name) {
    case 'webgpu':
      if (!('gpu' in navigator)) throw new Error('this browser has no WebGPU (navigator.gpu)');
      await import('@tensorflow/tfjs-backend-webgpu');
      return;
    case 'webgl':
      await import('@tensorflow/tfjs-backend-webgl');
      return;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // Threads need cross-origin isolation, which a static host cannot promise; SIMD is enough here.
      // Tried for issue 6 (COOP/COEP headers, blob: workers in the CSP): tfjs 4.22 caps XNNPACK's pool
      // at hardwareConcurrency / 2, so a 2-core machine computes on one thread anyway, and forcing two
      // was slower. The minified build also breaks its pthreads: they run the Emscripten factory's
      // toString(), which then reads a closure variable the minifier renamed.
      wasm.setWasmPaths(wasmPaths);
      return;
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
  }
}

/** Runs the ladder; throws only if even cpu fails. */
export async function selectBackend(options: LadderOptions): Promise<{
  backend: BackendName;
  attempts: BackendAttempt[];
}> {
  const attempts: BackendAttempt[] = [];
  for (const name of ladderFor(options.choice)) {
    const t0 = performance.now();
    try {
      if (options.choice === 'auto' && (name === 'webgl' || name === 'webgpu')) {
        const renderer = await rendererOf(name);
        if (isSoftwareRenderer(renderer)) {
          throw new Error(`${renderer} renders in software, where WASM is faster`);
        }
      }
      await register(name, options.wasmPaths);
      // setBackend returns false on failure while getBackend may still name the failed backend.
      const ok = await tf.setBackend(name);
      if (!ok || tf.getBackend() !== name) throw new Error(`tf.setBackend('${name}') returned false`);
      // A tiny op proves the backend computes (a WebGL context can be created and still be lost).
      const probe = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)));
      const value = (await probe.data())[0];
      probe.dispose();
      if (value !== 2) throw new Error(`1 + 1 gave ${value}`);
      attempts.push({ backend: name, ok: true, ms: performance.now() - t0 });
      return { backend: name, attempts };
    } catch (error) {
      attempts.push({
        backend: name,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
        ms: performance.now() - t0,
      });
      // Leave no half-initialised backend behind: the next rung must not fall back to it.
      if (tf.findBackend(name)) tf.removeBackend(name);
    }
  }
  throw new Error(
    `No TensorFlow.js backend works here: ${attempts.map((a) => `${a.backend}: ${a.error}`).join('; ')}`,
  );
}
