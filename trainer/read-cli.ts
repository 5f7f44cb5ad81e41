/**
 * `npm run read -- <files|folders...> [options]`: reads the handwritten digits in photos, scans and
 * multi-page forms, and writes one record per page (see trainer/read.ts for what a record holds and how
 * the layout is decided, read-output.ts for the formats, read-walk.ts for the order and sharding).
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { LAYOUTS, type Layout } from '../preprocess/read-page.ts';
import { checkBackendChoice, type BackendChoice } from './backend-ladder.ts';
import { choiceFlag, intFlag, isMain, numberFlag, UsageError } from './cli-args.ts';
import { defaultReadOptions } from './read.ts';
import { FORMATS, ReadSummary, RecordWriter, type OutputFormat } from './read-output.ts';
import { defaultJobs, readBatch } from './read-pool.ts';
import { parseShard, walkInputs, type Shard } from './read-walk.ts';

export const DEFAULT_MODEL_DIR = 'models/default';

const HELP = `Usage: npm run read -- <files|folders...> [options]

Reads handwritten digits from images (JPEG, PNG, WebP, GIF, AVIF, TIFF: every page) and PDFs (every page,
rasterised at 150 dpi) and writes one record per page: the layout used, each field or string with its box
(pixels of the page), the digits read, each digit's probability and top-3, and a review flag.
Folders are read recursively (image and PDF files only, dot-files skipped), in sorted order.

  --layout L           auto | single | string | fields (default auto: printed fields if the page has
                       any, else one digit -> single, several -> string; the record says what was decided)
  --format F           csv | json | jsonl (default: from the --out extension, else jsonl)
  --out FILE           write the records to FILE instead of stdout
  --annotate DIR       write each page as a PNG with the boxes and readings drawn on it
  --model DIR          model folder (default ${DEFAULT_MODEL_DIR})
  --min-confidence X   flag digits read with probability under X for review (default ${defaultReadOptions.minConfidence})
  --jobs N             files read in parallel, one worker thread each (default: the core count)
  --shard I/N          read only shard I of N (1 <= I <= N): every N-th file of the walk, starting at the I-th
  --backend NAME       TensorFlow.js backend: auto | wasm | cpu | tensorflow | tensorflow-gpu | webgpu (default wasm)
  --quiet              no progress bar and no error lines on stderr (the summary is still printed)
  --help

Exit status: 0 when every file was read, 2 when some could not be (their records carry an "error"),
1 when the run could not start (no model, bad output path), 130 after Ctrl-C (what was read is written).

Splitting a very large batch across machines: run the same command with --shard 1/N ... --shard N/N,
one per machine or batch-scheduler task, each with its own --out, then concatenate the outputs.
The walk order is fixed (arguments in order, folder entries sorted by name), so the shards are disjoint
and together cover every file. For example a Slurm array job:
  npm run read -- /data/scans --shard $((SLURM_ARRAY_TASK_ID + 1))/$SLURM_ARRAY_TASK_COUNT --out part-$SLURM_ARRAY_TASK_ID.jsonl
or a Kubernetes indexed Job: --shard $((JOB_COMPLETION_INDEX + 1))/N.
`;

export interface ReadCliOptions {
  inputs: string[];
  layout: Layout;
  format: OutputFormat;
  out: string | null;
  annotate: string | null;
  model: string;
  minConfidence: number;
  jobs: number;
  shard: Shard | null;
  backend: BackendChoice;
  quiet: boolean;
}

function formatFromPath(path: string): OutputFormat | undefined {
  const ext = path.toLowerCase().split('.').pop();
  return (FORMATS as readonly string[]).includes(ext ?? '') ? (ext as OutputFormat) : undefined;
}

export function parseReadArgs(argv: string[]): ReadCliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        layout: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        annotate: { type: 'string' },
        model: { type: 'string' },
        'min-confidence': { type: 'string' },
        jobs: { type: 'string' },
        shard: { type: 'string' },
        backend: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length === 0)
    throw new UsageError('Expected at least one file or folder to read but received none');
  const out = values.out ?? null;
  if (out === '') throw new UsageError('Expected a file path for --out but received ""');
  let shard: Shard | null = null;
  if (values.shard !== undefined) {
    shard = parseShard(values.shard);
    if (!shard) {
      throw new UsageError(
        `Expected I/N with 1 <= I <= N for --shard but received ${JSON.stringify(values.shard)}`,
      );
    }
  }
  let backend: BackendChoice = 'wasm';
  if (values.backend !== undefined) {
    try {
      backend = checkBackendChoice(values.backend);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return {
    inputs: positionals,
    layout: choiceFlag(values.layout, '--layout', LAYOUTS) ?? 'auto',
    format:
      choiceFlag(values.format, '--format', FORMATS) ?? (out ? formatFromPath(out) : undefined) ?? 'jsonl',
    out,
    annotate: values.annotate ?? null,
    model: values.model ?? DEFAULT_MODEL_DIR,
    minConfidence:
      numberFlag(values['min-confidence'], '--min-confidence', 0, 1) ?? defaultReadOptions.minConfidence,
    jobs: intFlag(values.jobs, '--jobs', 1, 256) ?? defaultJobs(),
    shard,
    backend,
    quiet: values.quiet ?? false,
  };
}

function formatEta(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/** The live line on a terminal; the total comes from a second, name-only walk running alongside. */
class ProgressLine {
  total: number | null = null;
  private last = 0;
  private shown = false;
  constructor(
    private readonly write: (s: string) => void,
    private readonly started: number,
  ) {}

  draw(s: ReadSummary, force = false): void {
    const now = performance.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? s.pages / seconds : 0;
    let bar: string;
    let eta = '';
    if (this.total !== null && this.total > 0) {
      const frac = Math.min(1, s.files / this.total);
      const filled = Math.round(frac * 24);
      bar = `[${'#'.repeat(filled)}${'-'.repeat(24 - filled)}] ${s.files}/${this.total} files`;
      eta = s.files > 0 ? `  ETA ${formatEta(((this.total - s.files) * seconds) / s.files)}` : '';
    } else bar = `${s.files} files`;
    this.write(
      `\rread ${bar}  ${s.pages} pages  ${s.digits} digits  ${s.flagged} review  ${s.errors} errors  ${rate.toFixed(1)} pages/s${eta}\x1b[K`,
    );
    this.shown = true;
  }

  /** Clears the line (before an error line or the summary). */
  clear(): void {
    if (this.shown) this.write('\r\x1b[K');
    this.shown = false;
  }
}

async function openOutput(out: string | null): Promise<Writable> {
  if (!out) return process.stdout;
  await mkdir(dirname(out), { recursive: true });
  const stream = createWriteStream(out);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return stream;
}

async function closeOutput(stream: Writable): Promise<void> {
  if (stream === process.stdout) return;
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

export interface RunIo {
  stderr: (s: string) => void;
  tty: boolean;
  signal?: AbortSignal;
}

/** Runs a parsed command; returns the exit status. */
export async function runRead(o: ReadCliOptions, io: RunIo): Promise<number> {
  const started = performance.now();
  let out: Writable;
  try {
    out = await openOutput(o.out);
  } catch (err) {
    io.stderr(`read: cannot write --out ${o.out}: ${(err as Error).message}\n`);
    return 1;
  }
  const writer = new RecordWriter(out, o.format);
  const summary = new ReadSummary();
  const progress = io.tty && !o.quiet ? new ProgressLine(io.stderr, started) : null;
  const walkOptions = {
    shard: o.shard ?? undefined,
    onSkip: (path: string, reason: string) => {
      if (!o.quiet) io.stderr(`read: skipped the folder ${path} (${reason})\n`);
    },
  };
  if (progress) {
    void (async () => {
      let n = 0;
      for await (const _item of walkInputs(o.inputs, { shard: walkOptions.shard })) n++;
      progress.total = n;
    })().catch(() => {});
  }
  const batch = readBatch(walkInputs(o.inputs, walkOptions), {
    jobs: o.jobs,
    signal: io.signal,
    setup: {
      modelDir: o.model,
      backend: o.backend,
      read: { layout: o.layout, minConfidence: o.minConfidence },
      annotateDir: o.annotate ?? undefined,
    },
  });
  try {
    for await (const { index, record, last } of batch) {
      summary.add(index, record, last);
      await writer.write(record);
      if (record.error && !o.quiet) {
        progress?.clear();
        io.stderr(`read: ${record.error}\n`);
      }
      progress?.draw(summary);
    }
  } catch (err) {
    progress?.clear();
    const message = (err as Error).message;
    const hint =
      /model/i.test(message) && o.model === DEFAULT_MODEL_DIR
        ? ' (train one with `npm run train`, or pass --model DIR)'
        : '';
    io.stderr(`read: ${message}${hint}\n`);
    if (summary.files === 0 && summary.errors === 0) {
      await closeOutput(out).catch(() => {});
      return 1;
    }
    await writer.finish().catch(() => {});
    await closeOutput(out).catch(() => {});
    return 1;
  }
  await writer.finish();
  await closeOutput(out);
  progress?.draw(summary, true);
  progress?.clear();
  const interrupted = io.signal?.aborted ?? false;
  io.stderr(
    summary.line((performance.now() - started) / 1000, interrupted) +
      (o.out ? `; records in ${o.out}` : '') +
      '\n',
  );
  if (interrupted) return 130;
  return summary.errors > 0 ? 2 : 0;
}

export async function main(argv: string[]): Promise<number> {
  let options: ReadCliOptions | 'help';
  try {
    options = parseReadArgs(argv);
  } catch (err) {
    process.stderr.write(`read: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(
      '\nread: interrupted; writing what was read so far (Ctrl-C again to quit at once)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await runRead(options, {
      stderr: (s) => process.stderr.write(s),
      tty: Boolean(process.stderr.isTTY),
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`read: ${(err as Error).stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
