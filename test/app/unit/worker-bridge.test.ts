import { describe, expect, test, vi } from 'vitest';
import { WorkerBridge } from '../../../app/src/lib/worker-bridge.ts';
import type { WorkerRequest } from '../../../app/src/lib/protocol.ts';

/** A stand-in Worker answering in the protocol's shape: init after 5 ms, other calls after `delay` ms. */
class FakeWorker extends EventTarget {
  static started = 0;
  terminated = false;
  received: string[] = [];
  constructor(private readonly delay = 40) {
    super();
    FakeWorker.started++;
  }
  postMessage(request: WorkerRequest): void {
    this.received.push(request.method);
    setTimeout(
      () => {
        if (this.terminated) return;
        const result =
          request.method === 'init'
            ? { backend: 'cpu', attempts: [], loadMs: 0, warmupMs: 0 }
            : request.method === 'classify'
              ? new Float32Array((request.args[1] as number) * 10)
              : null;
        const data =
          request.method === 'memory'
            ? { id: request.id, ok: false, error: { name: 'Error', message: 'boom' } }
            : { id: request.id, ok: true, result };
        this.dispatchEvent(Object.assign(new Event('message'), { data }));
      },
      request.method === 'init' ? 5 : this.delay,
    );
  }
  terminate(): void {
    this.terminated = true;
  }
}

function bridge(idleMs = 0, workers: FakeWorker[] = []) {
  return new WorkerBridge({
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w as unknown as Worker;
    },
    engine: () => ({ backend: 'auto', modelUrl: 'http://x/model.json', wasmPaths: {} }),
    idleMs,
  });
}

describe('WorkerBridge', () => {
  test('starts on first use with init, then runs calls in order', async () => {
    const workers: FakeWorker[] = [];
    const b = bridge(0, workers);
    expect(workers).toHaveLength(0);
    const [a, c] = await Promise.all([
      b.call(undefined, 'classify', [new Float32Array(784), 1]),
      b.call(undefined, 'classify', [new Float32Array(784 * 2), 2]),
    ]);
    expect([a.length, c.length]).toEqual([10, 20]);
    expect(workers).toHaveLength(1);
    expect(workers[0].received).toEqual(['init', 'classify', 'classify']);
  });

  test('worker errors reject the call with their message, and the next call goes on', async () => {
    const b = bridge();
    await expect(b.call(undefined, 'memory', [])).rejects.toThrow('boom');
    await expect(b.call(undefined, 'classify', [new Float32Array(784), 1])).resolves.toHaveLength(10);
  });

  test('an aborted call is not sent; an abort in flight ends the worker, the next call starts another', async () => {
    const workers: FakeWorker[] = [];
    const b = bridge(0, workers);
    const early = new AbortController();
    early.abort();
    await expect(b.call(early.signal, 'classify', [new Float32Array(784), 1])).rejects.toThrow(/cancelled/);
    expect(workers).toHaveLength(0);
    const late = new AbortController();
    const p = b.call(late.signal, 'classify', [new Float32Array(784), 1]);
    await new Promise((r) => setTimeout(r, 20));
    late.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(workers[0].terminated).toBe(true);
    await expect(b.call(undefined, 'classify', [new Float32Array(784), 1])).resolves.toHaveLength(10);
    expect(workers).toHaveLength(2);
  });

  test('idles out after idleMs without calls', async () => {
    vi.useFakeTimers();
    try {
      const workers: FakeWorker[] = [];
      const b = bridge(1000, workers);
      const p = b.call(undefined, 'classify', [new Float32Array(784), 1]);
      await vi.advanceTimersByTimeAsync(60);
      await p;
      expect(workers[0].terminated).toBe(false);
      await vi.advanceTimersByTimeAsync(1001);
      expect(workers[0].terminated).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
