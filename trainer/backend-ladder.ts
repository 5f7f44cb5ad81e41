/**
 * Picks the fastest TensorFlow.js backend this machine has, and says why.
 *
 * The ladder: tfjs-node-gpu (CUDA) -> tfjs-node (libtensorflow on the CPU) -> WebGPU through the npm
 * package `webgpu` (Dawn) -> WASM (XNNPACK, with the project's training kernels) -> plain JS cpu.
 * The accelerators are optional packages: each rung is tried only if it is installed, and the ladder
 * always ends in rungs that install from the npm registry alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from './wasm-kernels.ts';
import { defaultJobs } from './worker-pool.ts';

export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number] | 'auto';

export interface BackendResult {
  /** Name tfjs reports for the active backend. */
  backend: string;
  /** The rung of the ladder that won. */
  choice: (typeof BACKENDS)[number];
  /** One line for the user: what was chosen and why the rungs above it were skipped. */
  reason: string;
}

export function checkBackendChoice(value: unknown): BackendChoice {
  const all = ['auto', ...BACKENDS] as const;
  if (typeof value !== 'string' || !(all as readonly string[]).includes(value)) {
    throw new Error(`Expected one of ${all.join(', ')} for --backend but received ${JSON.stringify(value)}`);
  }
  return value as BackendChoice;
}

type Attempt = { ok: true; note?: string } | { ok: false; why: string };

async function importOptional(name: string): Promise<unknown> {
  // A variable specifier keeps bundlers and tsc from resolving packages that are not installed.
  const specifier = name;
  return import(/* @vite-ignore */ specifier);
}

function missing(err: unknown, pkg: string): string {
  const code = (err as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
    ? `${pkg} is not installed`
    : `${pkg} failed to load: ${(err as Error).message.split('\n')[0]}`;
}

async function activate(name: string): Promise<boolean> {
  // setBackend returns false on failure while getBackend may still name the failed backend.
  const ok = await tf.setBackend(name);
  await tf.ready();
  return ok && tf.getBackend() === name;
}

async function tryTensorflow(gpu: boolean): Promise<Attempt> {
  const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  try {
    await importOptional(pkg);
  } catch (err) {
    return { ok: false, why: missing(err, pkg) };
  }
  if (!(await activate('tensorflow')))
    return { ok: false, why: `${pkg} loaded but its backend did not start` };
  if (gpu) {
    const usingGpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
    if (!usingGpu) {
      // tfjs-node-gpu 4.22 is built for CUDA 11.2 + cuDNN 8.1; with anything else it silently uses the CPU.
      return {
        ok: true,
        note: `${pkg} found no usable CUDA device (it needs CUDA 11.2 and cuDNN 8.1): libtensorflow runs on the CPU`,
      };
    }
  }
  return { ok: true };
}

interface WebGpu {
  requestAdapter(): Promise<{
    info?: { vendor?: string; architecture?: string; description?: string };
  } | null>;
}

/** Which adapter Dawn found: a software one (SwiftShader) trains on the CPU, and the user should know. */
async function adapterNote(gpu: WebGpu): Promise<string | undefined> {
  const info = (await gpu.requestAdapter())?.info;
  if (!info) return undefined;
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  return /swiftshader|llvmpipe|lavapipe/i.test(name)
    ? `adapter ${name}: a software adapter, so WebGPU runs on the CPU`
    : `adapter ${name}`;
}

async function tryWebgpu(): Promise<Attempt> {
  let webgpu: { create?: (flags: string[]) => unknown; globals?: object };
  try {
    webgpu = (await importOptional('webgpu')) as typeof webgpu;
  } catch (err) {
    return { ok: false, why: missing(err, 'webgpu (Dawn for Node)') };
  }
  try {
    if (webgpu.globals) Object.assign(globalThis, webgpu.globals);
    const gpu = webgpu.create?.([]);
    if (!gpu) return { ok: false, why: 'the webgpu package exposes no create()' };
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await activate('webgpu'))) return { ok: false, why: 'no WebGPU adapter' };
    return { ok: true, note: await adapterNote(gpu as WebGpu) };
  } catch (err) {
    return { ok: false, why: `WebGPU failed: ${(err as Error).message.split('\n')[0]}` };
  }
}

async function tryWasm(): Promise<Attempt> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await activate('wasm'))) return { ok: false, why: 'the WASM backend did not start' };
  registerWasmTrainingKernels();
  return { ok: true };
}

async function tryCpu(): Promise<Attempt> {
  await import('@tensorflow/tfjs-backend-cpu');
  return (await activate('cpu')) ? { ok: true } : { ok: false, why: 'the cpu backend did not start' };
}

const RUNGS: Record<(typeof BACKENDS)[number], () => Promise<Attempt>> = {
  'tensorflow-gpu': () => tryTensorflow(true),
  tensorflow: () => tryTensorflow(false),
  webgpu: tryWebgpu,
  wasm: tryWasm,
  cpu: tryCpu,
};

export interface SelectOptions {
  /**
   * The caller reads tensors with dataSync() (the page reader's classifier is synchronous). WebGPU in
   * Node cannot read synchronously (its dataSync needs OffscreenCanvas), so its rung is skipped.
   */
  synchronous: boolean;
}

const NO_SYNC_READS = 'WebGPU in Node cannot read results synchronously, as this command does';

/**
 * Activates a backend: the requested one, or the first rung that works.
 * A requested backend that fails is an error, not a silent fallback: the user asked for it.
 */
export async function selectBackend(
  choice: BackendChoice = 'auto',
  options: Partial<SelectOptions> = {},
): Promise<BackendResult> {
  checkBackendChoice(choice);
  const usable = (rung: (typeof BACKENDS)[number]) => !(options.synchronous && rung === 'webgpu');
  if (choice !== 'auto') {
    if (!usable(choice))
      throw new Error(`Backend ${choice} was requested with --backend but ${NO_SYNC_READS}`);
    const attempt = await RUNGS[choice]();
    if (!attempt.ok) throw new Error(`Backend ${choice} was requested with --backend but ${attempt.why}`);
    const note = attempt.note ? ` (${attempt.note})` : '';
    return { backend: tf.getBackend(), choice, reason: `${choice}, as requested with --backend${note}` };
  }
  const skipped: string[] = [];
  for (const rung of BACKENDS) {
    if (!usable(rung)) {
      skipped.push(`webgpu skipped: ${NO_SYNC_READS}`);
      continue;
    }
    const attempt = await RUNGS[rung]();
    if (attempt.ok) {
      const parts = [attempt.note, ...skipped].filter(Boolean);
      return {
        backend: tf.getBackend(),
        choice: rung,
        reason: `${rung}: the fastest that works here${parts.length ? ` (${parts.join('; ')})` : ''}`,
      };
    }
    skipped.push(attempt.why);
  }
  throw new Error(`No TensorFlow.js backend could start: ${skipped.join('; ')}`);
}

/**
 * How many threads to split work across by default: WASM and cpu run one core per backend, so one per
 * core; libtensorflow already uses every core, and a GPU backend would only get a device per thread.
 */
export function threadsFor(choice: BackendResult['choice']): number {
  return choice === 'wasm' || choice === 'cpu' ? defaultJobs() : 1;
}
