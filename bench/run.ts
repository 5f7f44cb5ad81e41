/**
 * `npm run bench [-- --only a,b] [--json FILE]`: every benchmark of the project, medians of runs.
 * Each suite lives in its own module and exports run*Bench(); this runner only selects and prints.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatRows, type BenchRow } from './bench-row.ts';

const SUITES: Record<string, { title: string; run: () => Promise<BenchRow[]> }> = {
  preprocess: {
    title: 'preprocess (Node)',
    run: async () => (await import('./preprocess.ts')).runPreprocessBench(),
  },
  kernels: {
    title: 'WASM training kernels: stock vs digitlens',
    run: async () => (await import('./kernels.ts')).runKernelBench(),
  },
  app: {
    title: 'app in Chromium: per-frame latency at 640x480 per backend',
    run: async () => (await import('./app.ts')).runAppBench(),
  },
  read: {
    title: 'npm run read: A4 pages at 150 dpi, throughput and peak memory',
    run: async () => (await import('./read.ts')).runReadBench(),
  },
  train: {
    title: 'training throughput per backend and architecture',
    run: async () => (await import('./train-speed.ts')).runTrainBench(),
  },
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { only: { type: 'string' }, json: { type: 'string' } },
  });
  const names = values.only ? values.only.split(',') : Object.keys(SUITES);
  for (const n of names) {
    if (!SUITES[n]) {
      process.stderr.write(
        `bench: Expected one of ${Object.keys(SUITES).join(', ')} for --only but received "${n}"\n`,
      );
      return 2;
    }
  }
  const results: Record<string, BenchRow[]> = {};
  for (const n of names) {
    const rows = await SUITES[n].run();
    results[n] = rows;
    process.stdout.write(formatRows(SUITES[n].title, rows) + '\n');
  }
  if (values.json) await writeFile(values.json, JSON.stringify(results, null, 2) + '\n');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
