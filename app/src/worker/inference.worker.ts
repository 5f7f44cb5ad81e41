/**
 * The inference worker: tfjs, the model, decoding and preprocess/ all live here, so the page's main
 * thread only draws. It answers the requests of lib/worker-bridge.ts (protocol in lib/protocol.ts).
 */
import type {
  EngineOptions,
  PageResult,
  ReadOptions,
  UploadPage,
  WorkerApi,
  WorkerMethod,
  WorkerRequest,
  WorkerResponse,
} from '../lib/protocol.ts';
import { THUMB_SIDE } from '../lib/constants.ts';
import { Engine } from './engine.ts';
import { Rasterizer, sniffFormat, thumbnail } from './decode.ts';
import { readPage } from './read-page.ts';
import { decodeDocument } from './decode-document.ts';

/** The parts of DedicatedWorkerGlobalScope used here (the app is type-checked with the DOM library). */
interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerRequest>) => void): void;
}

type Handlers = { [M in WorkerMethod]: (...args: WorkerApi[M][0]) => Promise<WorkerApi[M][1]> };

class InferenceHost {
  private engine: Promise<Engine> | null = null;
  private engineKey = '';
  private readonly raster = new Rasterizer();

  private ready(): Promise<Engine> {
    if (!this.engine) throw new Error('The model is not loaded yet (init was not called)');
    return this.engine;
  }

  private async classifier() {
    const engine = await this.ready();
    return (digits: Float32Array, count: number) => engine.classify(digits, count);
  }

  readonly handlers: Handlers = {
    init: async (options: EngineOptions) => {
      const key = JSON.stringify(options);
      if (!this.engine || key !== this.engineKey) {
        const previous = this.engine;
        this.engineKey = key;
        this.engine = (async () => {
          (await previous?.catch(() => null))?.dispose();
          return Engine.create(options);
        })();
        this.engine.catch(() => {
          this.engine = null;
        });
      }
      return (await this.engine).info;
    },
    classify: async (digits: Float32Array, count: number) => (await this.ready()).classify(digits, count),
    readBitmap: async (bitmap: ImageBitmap, options: ReadOptions): Promise<PageResult> => {
      const classify = await this.classifier();
      const t0 = performance.now();
      let image;
      try {
        image = this.raster.toGray(bitmap, options.maxSide);
      } finally {
        bitmap.close();
      }
      return readPage(image, classify, options, performance.now() - t0);
    },
    readFile: async (blob: Blob, name: string, options: ReadOptions): Promise<UploadPage[]> => {
      const classify = await this.classifier();
      const format = await sniffFormat(blob);
      if (format === 'tiff' || format === 'pdf') {
        const pages: UploadPage[] = [];
        for await (const page of decodeDocument(blob, format)) {
          if (page.error !== undefined || !page.bitmap) {
            pages.push({ page: page.page, pages: page.pages, error: page.error ?? 'cannot be rendered' });
            continue;
          }
          pages.push(await this.readOne(page.bitmap, classify, options, page.page, page.pages));
        }
        return pages;
      }
      if (format === 'unknown') {
        throw new Error(
          `"${name}" is not an image this app reads (JPEG, PNG, WebP, GIF, BMP, AVIF, TIFF or PDF)`,
        );
      }
      let bitmap: ImageBitmap;
      try {
        // Phone photos are stored sideways with an EXIF orientation; sharp applies it for `npm run read` too.
        bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
      } catch {
        throw new Error(
          `"${name}" looks like ${format.toUpperCase()} but cannot be decoded: the file is damaged or incomplete`,
        );
      }
      return [await this.readOne(bitmap, classify, options, 1, 1)];
    },
    memory: async () => (await this.ready()).memory(),
  };

  private async readOne(
    bitmap: ImageBitmap,
    classify: (d: Float32Array, n: number) => Promise<Float32Array>,
    options: ReadOptions,
    page: number,
    pages: number,
  ): Promise<UploadPage> {
    try {
      const t0 = performance.now();
      const image = this.raster.toGray(bitmap, options.maxSide);
      const decodeMs = performance.now() - t0;
      const thumb = await thumbnail(bitmap, THUMB_SIDE);
      const result = await readPage(image, classify, { ...options, split: true }, decodeMs);
      return { page, pages, result, thumbnail: thumb };
    } catch (error) {
      return { page, pages, error: error instanceof Error ? error.message : String(error) };
    } finally {
      bitmap.close();
    }
  }
}

/** Float32Arrays in results travel by transfer when they own their buffer (no copy for 784-float digits). */
function transferables(value: unknown, out: Set<Transferable>): void {
  if (value instanceof Float32Array) {
    if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength)
      out.add(value.buffer as ArrayBuffer);
  } else if (Array.isArray(value)) value.forEach((v) => transferables(v, out));
  else if (value && typeof value === 'object' && !(value instanceof Blob)) {
    for (const v of Object.values(value)) transferables(v, out);
  }
}

const scope = self as unknown as WorkerScope;
const host = new InferenceHost();
scope.addEventListener('message', (event) => {
  const { id, method, args } = event.data;
  const handler = host.handlers[method] as (...a: unknown[]) => Promise<unknown>;
  Promise.resolve()
    .then(() => {
      if (typeof handler !== 'function') throw new Error(`Unknown worker method ${String(method)}`);
      return handler(...(args as unknown[]));
    })
    .then(
      (result) => {
        const transfer = new Set<Transferable>();
        transferables(result, transfer);
        scope.postMessage({ id, ok: true, result } satisfies WorkerResponse, [...transfer]);
      },
      (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        scope.postMessage({
          id,
          ok: false,
          error: { name: e.name, message: e.message },
        } satisfies WorkerResponse);
      },
    );
});
