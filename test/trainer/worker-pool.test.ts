import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WorkerPool } from '../../trainer/worker-pool.ts';

type Task = { value: number; fail?: boolean };
type Result = { value: number; at: number };

const SCRIPT = new URL('../fixtures/clock-worker.ts', import.meta.url);
const now = () => performance.timeOrigin + performance.now();

let pool: WorkerPool<Task, Result>;
beforeAll(() => {
  pool = new WorkerPool<Task, Result>(SCRIPT, null, 2);
});
afterAll(async () => {
  await pool.close();
});

describe('WorkerPool', () => {
  test('results come back in task order', async () => {
    const tasks = Array.from({ length: 9 }, (_, i) => ({ value: i }));
    expect((await pool.run(tasks)).map((r) => r.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('once started, tasks reach the workers while this thread is still busy', async () => {
    await pool.run([{ value: 0 }]);
    const posted = now();
    const pending = pool.run([{ value: 1 }, { value: 2 }]);
    // This thread computes its own share (a training step's local shard) without yielding.
    while (now() - posted < 300);
    const busyUntil = now();
    for (const r of await pending) expect(r.at).toBeLessThan(busyUntil - 150);
  });

  test("a task's error rejects the run with the worker's message", async () => {
    await expect(pool.run([{ value: 1 }, { value: 7, fail: true }])).rejects.toThrow(
      /task 7 failed as asked/,
    );
  });

  test('a size that is not a positive integer is named', () => {
    expect(() => new WorkerPool(SCRIPT, null, 0)).toThrow(/integer >= 1 for --jobs but received 0/);
  });
});
