/**
 * The batch reader's benchmark: A4 forms at 150 dpi per second with --jobs 1 and 2, digits per second,
 * and the peak memory (RSS) of one run over 1,000 files.
 *
 *   npx tsx bench/read.ts [--pages N] [--runs N] [--files N] [--model DIR]
 *
 * Throughput runs read generated forms (test/fixtures/forms.ts) saved as PNG, the way a scanner writes
 * them, through the same code as `npm run read` (runRead), startup of the backend and workers included:
 * that is what a user waits for. The memory run is a separate process (so that nothing else is in its
 * heap) reading 1,000 small generated photos with the default --jobs, and reports its peak RSS, which
 * counts the worker threads too.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DigitPool, generateForm, generatePhoto, pageJpeg, pagePng } from '../test/fixtures/forms.ts';
import { isMain } from '../trainer/cli-args.ts';
import { DEFAULT_MODEL_DIR, parseReadArgs, runRead, type ReadCliOptions } from '../trainer/read-cli.ts';
import { formatRows, median, type BenchRow } from './bench-row.ts';

export interface ReadBenchOptions {
  /** A4 pages per throughput run. */
  pages: number;
  /** Timed runs per --jobs setting. */
  runs: number;
  /** Files in the memory run. */
  files: number;
  model: string;
}

export const defaultReadBenchOptions: ReadBenchOptions = {
  pages: 16,
  runs: 3,
  files: 1000,
  model: DEFAULT_MODEL_DIR,
};

const quiet = { stderr: () => {}, tty: false };

async function readOnce(options: ReadCliOptions): Promise<{ ms: number; pages: number; digits: number }> {
  const started = performance.now();
  const code = await runRead(options, quiet);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`Expected exit status 0 from the read run but received ${code}`);
  const lines = (await readFile(options.out as string, 'utf8')).trim().split('\n');
  const records = lines.map((l) => JSON.parse(l) as { digits?: number });
  return { ms, pages: records.length, digits: records.reduce((n, r) => n + (r.digits ?? 0), 0) };
}

/** Runs `npx tsx bench/read.ts --rss DIR` in a fresh process; returns its peak RSS and wall time. */
function measureRss(
  dir: string,
  model: string,
): Promise<{ maxRssMb: number; seconds: number; pages: number }> {
  const script = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--rss', dir, '--model', model], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit status ${code}`);
        resolve(JSON.parse(line));
      } catch (err) {
        reject(new Error(`The memory run failed (${(err as Error).message}): ${out.slice(-500)}`));
      }
    });
  });
}

export async function runReadBench(options: Partial<ReadBenchOptions> = {}): Promise<BenchRow[]> {
  const o = { ...defaultReadBenchOptions, ...options };
  const dir = await mkdtemp(join(tmpdir(), 'digitlens-bench-read-'));
  try {
    const formsDir = join(dir, 'forms');
    await mkdir(formsDir);
    const pool = new DigitPool(0);
    for (let i = 0; i < o.pages; i++) {
      await writeFile(
        join(formsDir, `form-${String(i).padStart(3, '0')}.png`),
        await pagePng(generateForm(100 + i, pool).image),
      );
    }
    const rows: BenchRow[] = [];
    for (const jobs of [1, 2]) {
      const ms: number[] = [];
      let digits = 0;
      for (let r = 0; r < o.runs; r++) {
        const args = [formsDir, '--jobs', String(jobs), '--model', o.model, '--quiet'];
        const run = await readOnce(
          parseReadArgs([...args, '--out', join(dir, 'out.jsonl')]) as ReadCliOptions,
        );
        if (run.pages !== o.pages)
          throw new Error(`Expected ${o.pages} pages read but received ${run.pages}`);
        ms.push(run.ms);
        digits = run.digits;
      }
      const perPage = median(ms) / o.pages;
      rows.push({
        name: `read A4 150 dpi forms, --jobs ${jobs}`,
        medianMs: perPage,
        runs: o.runs,
        note: `${(1000 / perPage).toFixed(2)} pages/s, ${((digits * 1000) / median(ms)).toFixed(0)} digits/s (${o.pages} pages, ${digits} digits, startup included)`,
      });
    }
    const photosDir = join(dir, 'photos');
    await mkdir(photosDir);
    const distinct = await Promise.all(
      Array.from({ length: 20 }, (_, i) => pageJpeg(generatePhoto(500 + i, pool).image, 80)),
    );
    for (let i = 0; i < o.files; i++) {
      await writeFile(
        join(photosDir, `photo-${String(i).padStart(5, '0')}.jpg`),
        distinct[i % distinct.length],
      );
    }
    const mem = await measureRss(photosDir, o.model);
    rows.push({
      name: `read ${o.files} photos (640 x 480 JPEG), default --jobs`,
      medianMs: mem.seconds * 1000,
      runs: 1,
      note: `peak RSS ${mem.maxRssMb.toFixed(0)} MB, ${(mem.pages / mem.seconds).toFixed(1)} pages/s`,
    });
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The memory run's child: reads a folder and prints its peak RSS (MB) as JSON on the last line. */
async function rssChild(dir: string, model: string): Promise<void> {
  const out = join(await mkdtemp(join(tmpdir(), 'digitlens-bench-rss-')), 'out.jsonl');
  const started = performance.now();
  const run = await readOnce(
    parseReadArgs([dir, '--model', model, '--quiet', '--out', out]) as ReadCliOptions,
  );
  const seconds = (performance.now() - started) / 1000;
  // ru_maxrss is in kilobytes on Linux, for the whole process (worker threads included).
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  await rm(out, { force: true });
  process.stdout.write(`${JSON.stringify({ maxRssMb, seconds, pages: run.pages })}\n`);
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rss: { type: 'string' },
      model: { type: 'string' },
      pages: { type: 'string' },
      runs: { type: 'string' },
      files: { type: 'string' },
    },
  });
  const model = values.model ?? DEFAULT_MODEL_DIR;
  const job = values.rss
    ? rssChild(values.rss, model)
    : runReadBench({
        model,
        ...(values.pages ? { pages: Number(values.pages) } : {}),
        ...(values.runs ? { runs: Number(values.runs) } : {}),
        ...(values.files ? { files: Number(values.files) } : {}),
      }).then((rows) => process.stdout.write(formatRows('batch reader (npm run read)', rows)));
  job.then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`bench read: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
