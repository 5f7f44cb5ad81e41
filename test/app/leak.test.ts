/**
 * No leak: 300 camera frames later, the worker holds the same tfjs tensors and bytes, the same WASM
 * heap, and a JS heap within a small margin of where it was (measured after a forced GC).
 */
import { expect, inject, test } from 'vitest';
import { appUrl, framesRead, memory, waitForBackend, waitForReading } from './app-page.ts';
import { CAMERA_Y4M, launch, PHONE } from './browser.ts';
import { WorkerHeap } from './cdp-memory.ts';
import { CAMERA_READING } from './scenes.ts';

const baseUrl = inject('baseUrl');
const FRAMES = 300;
/** Allowed JS heap growth over the frames: V8's own caches and feedback, not per-frame garbage. */
const HEAP_SLACK = 2 * 1024 * 1024;

test(`the worker's tensors and memory are flat over ${FRAMES} frames`, async () => {
  const browser = await launch({ camera: CAMERA_Y4M });
  try {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    const heap = WorkerHeap.attach(context, page, 'digitlens-inference');
    await page.goto(appUrl(baseUrl, 'camera', 'wasm'));
    expect(await waitForBackend(page)).toBe('wasm');
    await waitForReading(page, CAMERA_READING);
    const worker = await heap;
    // Let the first frames settle caches and compile paths before the baseline.
    const settle = (await framesRead(page)) + 30;
    await page.waitForFunction(
      (n) => (window as unknown as { digitlens: { framesRead(): number } }).digitlens.framesRead() >= n,
      settle,
      { timeout: 60_000 },
    );
    const before = await memory(page);
    const heapBefore = await worker.usedAfterGc();
    const start = await framesRead(page);
    await page.waitForFunction(
      (n) => (window as unknown as { digitlens: { framesRead(): number } }).digitlens.framesRead() >= n,
      start + FRAMES,
      { timeout: 110_000, polling: 250 },
    );
    const after = await memory(page);
    const heapAfter = await worker.usedAfterGc();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.wasmHeap).toBe(before.wasmHeap);
    expect(heapAfter - heapBefore).toBeLessThan(HEAP_SLACK);
    console.log(
      `leak: ${FRAMES} frames, tensors ${before.numTensors} -> ${after.numTensors}, ` +
        `worker heap ${(heapBefore / 1e6).toFixed(2)} -> ${(heapAfter / 1e6).toFixed(2)} MB`,
    );
  } finally {
    await browser.close();
  }
});
