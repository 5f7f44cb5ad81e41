/**
 * The messages between the page and the inference worker. Both sides import these types, so a change
 * to the protocol is a type error on both sides at once.
 */
import type { Box } from '../../../preprocess/locate.ts';
import type { Polarity } from '../../../preprocess/image.ts';
import type { BackendChoice, BackendName, Layout, PageLayout } from './constants.ts';

export type { Box };

export interface EngineOptions {
  /** 'auto' walks the ladder WebGPU -> WebGL -> WASM -> CPU; a name tries that one first. */
  backend: BackendChoice;
  /** Absolute URL of the layers model's model.json. */
  modelUrl: string;
  /** Absolute URLs of tfjs-backend-wasm's binaries by file name. */
  wasmPaths: Record<string, string>;
}

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** Why it failed, for the settings page. */
  error?: string;
  ms: number;
}

export interface EngineInfo {
  backend: BackendName;
  attempts: BackendAttempt[];
  /** Model load and first (warm-up) inference, ms. */
  loadMs: number;
  warmupMs: number;
}

/** One digit as read: where it is, what the model thinks, and how digit-like the blob was. */
export interface DigitResult {
  box: Box;
  /** 10 probabilities, digits 0-9. */
  probs: Float32Array;
  digit: number;
  probability: number;
  quality: number;
  /** Index into the strings (reading order). */
  string: number;
  /** The 28x28 input the model saw, when asked for (parity tests, "what the model saw"). */
  pixels?: Float32Array;
}

export interface StringResult {
  box: Box;
  text: string;
}

export interface FieldResult extends StringResult {
  cells: Box[];
}

export interface Timings {
  decode: number;
  locate: number;
  infer: number;
  total: number;
}

/** What was read in one frame or page. */
export interface PageResult {
  width: number;
  height: number;
  layout: PageLayout | 'draw';
  /** With layout auto: what was decided and why. */
  decision?: string;
  polarity: Polarity;
  digits: DigitResult[];
  strings: StringResult[];
  fields?: FieldResult[];
  timings: Timings;
}

export interface ReadOptions {
  layout: Layout | 'draw';
  /** Frames are shrunk to this longer side before reading (0: as they are). */
  maxSide: number;
  includePixels: boolean;
}

/** A page of an uploaded file, read; or the error that stopped it. */
export interface UploadPage {
  page: number;
  pages: number;
  result?: PageResult;
  /** Small JPEG of the page for the results list. */
  thumbnail?: Blob;
  error?: string;
}

export interface MemoryInfo {
  numTensors: number;
  numBytes: number;
  /** WASM heap size, bytes (wasm backend only). */
  wasmHeap?: number;
  /** JS heap used by the worker, bytes, where the browser says. */
  jsHeap?: number;
  backend: string;
}

/** The worker's methods: name -> [arguments, result]. */
export interface WorkerApi {
  init: [[EngineOptions], EngineInfo];
  classify: [[Float32Array, number], Float32Array];
  readBitmap: [[ImageBitmap, ReadOptions], PageResult];
  readFile: [[Blob, string, ReadOptions], UploadPage[]];
  memory: [[], MemoryInfo];
}
export type WorkerMethod = keyof WorkerApi;

export interface WorkerRequest<M extends WorkerMethod = WorkerMethod> {
  id: number;
  method: M;
  args: WorkerApi[M][0];
}

export type WorkerResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string } };
