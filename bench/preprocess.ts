/**
 * Preprocessing speed in Node: normalize of one digit crop, and locate + normalize of a 640x480
 * camera-like frame (synthetic: MNIST digits on paper under uneven light, blur and noise) holding 1, 3
 * and 5 digits. The target of the camera mode is 5 ms per frame.
 *
 *   npx tsx bench/preprocess.ts
 *   import { runPreprocessBench } from './preprocess.ts'
 *
 * Medians of timed runs after warm-up runs, one process, one core. The machines here are shared: each
 * row's note also gives the process CPU time per call (process.cpuUsage over the timed runs), which other
 * processes inflate much less than the wall-clock median, and the load average at the time.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { invert } from '../preprocess/image.ts';
import { locate } from '../preprocess/locate.ts';
import { normalize } from '../preprocess/normalize.ts';
import { createRng } from '../preprocess/random.ts';
import { createPaper, pasteDigit, renderScene } from '../preprocess/synth.ts';
import { readMnistTest } from '../test/mnist-sample.ts';
import { formatRows, timeMedian, type BenchRow } from './bench-row.ts';

export interface PreprocessBenchOptions {
  runs: number;
  warmup: number;
}

export const defaultPreprocessBenchOptions: PreprocessBenchOptions = { runs: 200, warmup: 30 };

async function measure(name: string, fn: () => unknown, runs: number, warmup: number): Promise<BenchRow> {
  for (let i = 0; i < warmup; i++) fn();
  const before = process.cpuUsage();
  const medianMs = await timeMedian(fn, runs, 0);
  const used = process.cpuUsage(before);
  const cpuMs = (used.user + used.system) / 1000 / runs;
  return { name, medianMs, runs, note: `cpu ${cpuMs.toFixed(2)} ms/call, load ${loadavg()[0].toFixed(1)}` };
}

export async function runPreprocessBench(options: Partial<PreprocessBenchOptions> = {}): Promise<BenchRow[]> {
  const { runs, warmup } = { ...defaultPreprocessBenchOptions, ...options };
  const sample = readMnistTest(5);
  const rows: BenchRow[] = [];

  // A digit crop as locate hands it to normalize: ink on 0, about 100 px tall.
  const paper = createPaper(100, 100, 1);
  pasteDigit(paper, sample[0].image, { cx: 50, cy: 50, scale: 3.5, rotation: 0, darkness: 1 });
  const crop = invert(paper);
  rows.push(await measure('normalize, one 100x100 crop', () => normalize(crop), runs, warmup));

  for (const count of [1, 3, 5]) {
    const scene = renderScene(
      {
        width: 640,
        height: 480,
        digits: sample.slice(0, count).map((d) => ({ ink: d.image })),
        scale: [3, 5],
      },
      createRng(100 + count),
    );
    const found = locate(scene.image).digits.length;
    const row = await measure(
      `locate + normalize, 640x480, ${count} digit${count > 1 ? 's' : ''}`,
      () => locate(scene.image),
      runs,
      warmup,
    );
    rows.push({ ...row, note: `${found} found, ${row.note}` });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runPreprocessBench().then(
    (rows) => process.stdout.write(formatRows('preprocess (Node)', rows)),
    (err) => {
      process.stderr.write(`bench/preprocess: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
