/**
 * `npm run eval -- --model models/<name> [--suite NAME[,NAME]|all] [--compare models/<other>]
 *   [--limit N] [--json FILE] [--report DIR] [--jobs N] [--seed N] [--backend NAME]`
 */
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkBackendChoice, selectBackend, threadsFor, type BackendChoice } from './backend-ladder.ts';
import { intFlag, isMain, UsageError } from './cli-args.ts';
import {
  findSuites,
  summarize,
  unitOrder,
  unitsOf,
  type EvalResult,
  type EvalRow,
  type EvalUnit,
} from './eval.ts';
import { formatEvalTable, writeEvalReport } from './eval-report.ts';
import type { EvalWorkerInit } from './eval-worker.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { readManifest, writeRobustness } from './manifest.ts';
import { loadModel } from './model-io.ts';
import { formatProgress } from './progress.ts';
import { WorkerPool } from './worker-pool.ts';

const HELP = `Usage: npm run eval -- --model DIR [options]

Scores a model on the clean MNIST test set and on transformed copies of it (rotation, transpose,
noise, blur, MNIST-C corruptions, inverted polarity, synthetic camera photos, ...).

  --model DIR          model folder (model.json + weights), e.g. models/default
  --compare DIR        a second model scored on the same digits, e.g. models/baseline
  --suite NAMES        comma-separated suite names, or all (default all)
  --limit N            first N test digits per severity (default all 10,000)
  --json FILE          write the results as JSON
  --report DIR         write bar charts (PNG, SVG) and index.html
  --jobs N             worker threads (default: one per core on WASM and cpu, 1 on a GPU)
  --seed N             seed of the random transforms (default 1)
  --backend NAME       auto | tensorflow-gpu | tensorflow | webgpu | wasm | cpu
  --update-manifest    store the per-suite means in the model's manifest.json
  --list               list the suites and severities
`;

export interface EvalArgs {
  model: string;
  compare?: string;
  suites: string[] | 'all';
  limit: number | null;
  json?: string;
  report?: string;
  /** Worker threads; 0 = as many as the backend is worth (threadsFor). */
  jobs: number;
  seed: number;
  backend: BackendChoice;
  updateManifest: boolean;
}

export function parseEvalArgs(argv: string[]): EvalArgs | 'help' | 'list' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      compare: { type: 'string' },
      suite: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'string' },
      report: { type: 'string' },
      jobs: { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      list: { type: 'boolean' },
      'update-manifest': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  if (values.list) return 'list';
  if (positionals.length)
    throw new UsageError(`Expected no positional arguments but received ${positionals.join(' ')}`);
  if (!values.model) throw new UsageError('Expected a model folder for --model but received nothing');
  const suites = !values.suite || values.suite === 'all' ? 'all' : values.suite.split(',').filter(Boolean);
  findSuites(suites); // validates the names now, before any work
  return {
    model: values.model,
    compare: values.compare,
    suites,
    limit: intFlag(values.limit, '--limit', 1, 10000) ?? null,
    json: values.json,
    report: values.report,
    jobs: intFlag(values.jobs, '--jobs', 1, 64) ?? 0,
    seed: intFlag(values.seed, '--seed', 0, 2 ** 32 - 1) ?? 1,
    backend: values.backend === undefined ? 'auto' : checkBackendChoice(values.backend),
    updateManifest: values['update-manifest'] ?? false,
  };
}

async function modelName(dir: string): Promise<string> {
  try {
    return (await readManifest(dir)).name;
  } catch {
    return basename(resolve(dir));
  }
}

/** Runs the suites over worker threads; each worker scores whole units for every model. */
export async function runEval(
  args: EvalArgs,
  onProgress?: (done: number, total: number, row: EvalRow) => void,
): Promise<EvalResult> {
  const t0 = performance.now();
  const dirs = [args.model, ...(args.compare ? [args.compare] : [])];
  // Fail in the main thread, with the loader's clear message, before any worker starts.
  const { choice } = await selectBackend(args.backend);
  for (const d of dirs) (await loadModel(d)).dispose();
  const names = await Promise.all(dirs.map(modelName));
  if (names.length === 2 && names[0] === names[1]) names[1] = `${names[1]} (${args.compare})`;
  const selected = findSuites(args.suites);
  const units: EvalUnit[] = unitsOf(selected);
  const order = unitOrder(selected);
  const init: EvalWorkerInit = {
    models: dirs.map((dir, i) => ({ name: names[i], dir: resolve(dir) })),
    backend: choice,
    seed: args.seed,
    limit: args.limit,
  };
  const pool = new WorkerPool<EvalUnit, EvalRow>(
    new URL('./eval-worker.ts', import.meta.url),
    init,
    Math.min(args.jobs || threadsFor(choice), units.length),
  );
  let done = 0;
  try {
    const finished = await pool.run(
      order.map((i) => units[i]),
      (row) => onProgress?.(++done, units.length, row),
    );
    // Rows in suite order again, as the table and the report list them.
    const rows = new Array<EvalRow>(units.length);
    order.forEach((unit, k) => (rows[unit] = finished[k]));
    const { suites, mean } = summarize(rows, names);
    return {
      models: names,
      count: rows[0]?.count ?? 0,
      seed: args.seed,
      rows,
      suites,
      mean,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await pool.close();
  }
}

/** Writes the per-suite means of the first model into its manifest. */
export async function storeRobustness(dir: string, result: EvalResult): Promise<void> {
  const name = result.models[0];
  const summary: Record<string, number> = Object.fromEntries(
    result.suites.map((s) => [s.suite, s.accuracy[name]]),
  );
  summary.mean = result.mean[name];
  await writeRobustness(
    dir,
    summary,
    `npm run eval: ${result.count} test digits per severity, seed ${result.seed}`,
  );
}

export async function main(argv: string[]): Promise<number> {
  let args: EvalArgs | 'help' | 'list';
  try {
    args = parseEvalArgs(argv);
  } catch (err) {
    process.stderr.write(`eval: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (args === 'list') {
    for (const s of findSuites('all')) {
      process.stdout.write(`${s.name} (${s.path}): ${s.severities.map((v) => v.label).join(', ')}\n`);
    }
    return 0;
  }
  const tty = Boolean(process.stderr.isTTY);
  const t0 = performance.now();
  const result = await runEval(args, (done, total, row) => {
    const secs = (performance.now() - t0) / 1000;
    const p = {
      done,
      total,
      loss: 0,
      accuracy: Object.values(row.accuracy)[0],
      imagesPerSecond: (done * row.count) / secs,
      seconds: secs,
      unit: 'units',
    };
    const text = formatProgress(`eval ${row.suite}/${row.severity}`.padEnd(36).slice(0, 36), p).replace(
      / {2}loss \S+/,
      '',
    );
    process.stderr.write(tty ? `\r${text}\x1b[K` : `${text}\n`);
  });
  if (tty) process.stderr.write('\n');
  process.stdout.write(formatEvalTable(result));
  if (args.json) await writeFileAtomic(args.json, JSON.stringify(result, null, 2) + '\n');
  if (args.updateManifest) {
    await storeRobustness(args.model, result);
    process.stdout.write(`robustness summary stored in ${args.model}/manifest.json\n`);
  }
  if (args.report) {
    const files = await writeEvalReport(result, args.report);
    process.stdout.write(`report: ${files.find((f) => f.endsWith('index.html'))}\n`);
  }
  return 0;
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`eval: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
