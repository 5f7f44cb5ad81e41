import { availableParallelism } from 'node:os';
import { describe, expect, test } from 'vitest';
import { selectBackend, threadsFor } from '../../trainer/backend-ladder.ts';

// This machine (and CI) has none of the optional accelerators installed: the ladder must end in WASM
// and say why each rung above it was passed over.
describe('selectBackend', () => {
  test('auto falls through the missing accelerators to wasm, naming each', async () => {
    const r = await selectBackend('auto');
    expect(r.choice).toBe('wasm');
    expect(r.backend).toBe('wasm');
    expect(r.reason).toMatch(/@tensorflow\/tfjs-node-gpu is not installed/);
    expect(r.reason).toMatch(/@tensorflow\/tfjs-node is not installed/);
    expect(r.reason).toMatch(/webgpu \(Dawn for Node\) is not installed/);
  });

  test('a requested backend that cannot start is an error, not a fallback', async () => {
    await expect(selectBackend('webgpu')).rejects.toThrow(
      /webgpu was requested with --backend but webgpu \(Dawn for Node\) is not installed/,
    );
  });

  test('a synchronous caller never gets WebGPU, and is told why', async () => {
    await expect(selectBackend('webgpu', { synchronous: true })).rejects.toThrow(
      /cannot read results synchronously/,
    );
    const r = await selectBackend('auto', { synchronous: true });
    expect(r.choice).toBe('wasm');
    expect(r.reason).toMatch(/webgpu skipped: WebGPU in Node cannot read results synchronously/);
  });
});

describe('threadsFor', () => {
  test('one thread per core where a backend uses one core, one where it uses the GPU or all cores', () => {
    expect(threadsFor('wasm')).toBe(availableParallelism());
    expect(threadsFor('cpu')).toBe(availableParallelism());
    expect(threadsFor('webgpu')).toBe(1);
    expect(threadsFor('tensorflow')).toBe(1);
    expect(threadsFor('tensorflow-gpu')).toBe(1);
  });
});
