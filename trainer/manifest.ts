/**
 * manifest.json: what a model is, how it was made and how well it does. The app's model page, the
 * reader and `npm run eval` read it; every figure in it comes from the run that wrote it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PREPROCESS_VERSION } from '../preprocess/version.ts';
import { writeFileAtomic } from './atomic-write.ts';
import type { AugmentOptions } from '../preprocess/augment.ts';
import { augmentOptionsFor, type TrainConfig } from './config.ts';
import { ARCH_DESCRIPTIONS } from './models.ts';
import { ORIENTATION_CLASSES } from './orientation.ts';
import { sha256 } from './model-io.ts';
import type { EpochRecord, TrainResult } from './train.ts';

export interface ModelManifest {
  name: string;
  arch: string;
  description: string;
  params: number;
  sizeBytes: number;
  created: string;
  config: TrainConfig;
  /** The augmentation the preset stood for when this model was trained. */
  augmentOptions: AugmentOptions | null;
  /** The finishing stage's augmentation; null when the run had no finishing stage. */
  finishAugmentOptions: AugmentOptions | null;
  preprocessVersion: string;
  backend: string;
  input: { shape: [null, 28, 28, 1]; dtype: 'float32'; range: [0, 1]; polarity: 'ink=1' };
  output: { shape: [null, 10]; meaning: 'softmax probabilities of digits 0-9' };
  training: {
    epochs: number;
    bestEpoch: number;
    /** The kept epoch in words (`keptEpoch`); absent from manifests written before restarts. */
    kept?: string;
    seconds: number;
    secondsPerEpoch: number;
    /** Seconds the upright specialist trained, beside `seconds`; absent for a model without one. */
    specialistSeconds?: number;
  };
  metrics: {
    testAccuracy: number;
    testCount: number;
    transposedAccuracy: number;
    validationAccuracy: number;
    /** Absent from manifests written before it was measured. */
    validationTransposedAccuracy?: number;
    perClassAccuracy: number[];
    confusion: number[][];
    /** Mean accuracy per robustness suite (and 'mean' over suites), from `npm run eval`. */
    robustness?: Record<string, number>;
    /** How the robustness summary was measured (digits per severity, seed). */
    robustnessNote?: string;
  };
  /** sha256 of every file of the model (weights included), so a loader can verify what it got. */
  files: Record<string, string>;
}

export const MANIFEST_FILE = 'manifest.json';

async function hashModelFiles(dir: string): Promise<{ files: Record<string, string>; bytes: number }> {
  const files: Record<string, string> = {};
  let bytes = 0;
  for (const f of (await readdir(dir)).sort()) {
    if (f === 'model.json' || /^weights-[0-9a-f]+\.bin$/.test(f)) {
      const data = await readFile(join(dir, f));
      files[f] = sha256(data);
      if (f !== 'model.json') bytes += data.length;
    }
  }
  return { files, bytes };
}

export async function writeManifest(config: TrainConfig, result: TrainResult): Promise<ModelManifest> {
  const { files, bytes } = await hashModelFiles(result.dir);
  const manifest: ModelManifest = {
    name: config.name,
    arch: config.arch,
    description:
      ARCH_DESCRIPTIONS[config.arch] +
      (config.labels === 'orientation'
        ? `; learns each digit in ${ORIENTATION_CLASSES} orientation classes, summed to 10`
        : '') +
      (config.views > 1 ? `; averages ${config.views} views (the digit and its one-pixel shifts)` : '') +
      (config.specialist
        ? `; mixed with an upright ${config.specialist.arch} specialist at weight ${config.specialist.weight}`
        : ''),
    params: result.params,
    sizeBytes: bytes,
    created: new Date().toISOString(),
    config,
    augmentOptions: augmentOptionsFor(config.augment),
    finishAugmentOptions: config.finish && augmentOptionsFor(config.finish.augment),
    preprocessVersion: PREPROCESS_VERSION,
    backend: result.backend.choice,
    input: { shape: [null, 28, 28, 1], dtype: 'float32', range: [0, 1], polarity: 'ink=1' },
    output: { shape: [null, 10], meaning: 'softmax probabilities of digits 0-9' },
    training: {
      epochs: result.history.length,
      bestEpoch: result.bestEpoch,
      kept: keptEpoch(result.history, result.bestEpoch),
      seconds: Math.round(result.trainSeconds),
      secondsPerEpoch: Math.round(result.trainSeconds / Math.max(1, result.history.length)),
      ...(config.specialist ? { specialistSeconds: Math.round(result.specialistSeconds) } : {}),
    },
    metrics: {
      testAccuracy: result.test.accuracy,
      testCount: result.test.count,
      transposedAccuracy: result.transposed.accuracy,
      validationAccuracy: result.validation.accuracy,
      validationTransposedAccuracy: result.validationTransposed.accuracy,
      perClassAccuracy: result.test.perClassAccuracy,
      confusion: result.test.confusion,
    },
    files,
  };
  await writeFileAtomic(join(result.dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`Expected ${MANIFEST_FILE} in ${dir} but there is none`);
  }
  try {
    return JSON.parse(text) as ModelManifest;
  } catch (err) {
    throw new Error(`Expected valid JSON in ${path} but it failed to parse: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Stores a robustness summary in an existing manifest (rewritten atomically). */
export async function writeRobustness(
  dir: string,
  robustness: Record<string, number>,
  note: string,
): Promise<void> {
  const manifest = await readManifest(dir);
  manifest.metrics.robustness = robustness;
  manifest.metrics.robustnessNote = note;
  await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
}

/**
 * The epoch whose weights a run kept, in the words the report and the app's model page show
 * ("finishing epoch 3 of restart 1 (run epoch 44)"). Why not the number alone: epochs are numbered
 * across stages and cycles, and an early stop skips to the finishing stage's numbers, so a run of 31
 * epochs can keep its epoch 44.
 */
export function keptEpoch(history: EpochRecord[], bestEpoch: number): string {
  const kept = history.find((h) => h.epoch === bestEpoch);
  if (!kept) return 'the --init weights (no training)';
  const ordinal = history.filter(
    (h) => h.stage === kept.stage && h.cycle === kept.cycle && h.epoch <= kept.epoch,
  ).length;
  const stage = kept.stage === 'finish' ? 'finishing epoch' : 'epoch';
  const cycle = kept.cycle !== undefined && kept.cycle > 1 ? ` of restart ${kept.cycle - 1}` : '';
  return `${stage} ${ordinal}${cycle}` + (ordinal === kept.epoch ? '' : ` (run epoch ${kept.epoch})`);
}
