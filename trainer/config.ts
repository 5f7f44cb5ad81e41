/**
 * Training defaults, one commented block. `npm run train` with no flags uses exactly these and
 * reproduces models/default; the whole block is copied into the model's manifest.json, so a model
 * describes how it was made.
 */
import { defaultAugmentOptions, type AugmentOptions } from '../preprocess/augment.ts';
import { DEFAULT_ARCH, type Arch } from './models.ts';
import type { BackendChoice } from './backend-ladder.ts';

export const AUGMENT_PRESETS = ['none', 'default'] as const;
export type AugmentPreset = (typeof AUGMENT_PRESETS)[number];

/**
 * The 'default' preset: preprocess/augment's camera-and-scanner defaults, with the orientation
 * coverage the robustness targets ask for (rotations to +-30 degrees >= 98.5%, transposed >= 97%).
 */
export const TRAIN_AUGMENT_OPTIONS: AugmentOptions = {
  ...defaultAugmentOptions,
  rotationDegrees: 25,
  largeRotationProbability: 0.08,
  largeRotationDegrees: 90,
  transposeProbability: 0.15,
};

/** The augmentation a preset stands for; null means the digits go in as they are. */
export function augmentOptionsFor(preset: AugmentPreset): AugmentOptions | null {
  return preset === 'none' ? null : TRAIN_AUGMENT_OPTIONS;
}

export interface TrainConfig {
  /** Model name; the output folder is models/<name> unless `out` says otherwise. */
  name: string;
  out: string;
  arch: Arch;
  augment: AugmentPreset;
  epochs: number;
  batchSize: number;
  /** Peak learning rate of Adam. */
  learningRate: number;
  /** Epochs of linear warm-up before the cosine decay to zero at the last epoch. */
  warmupEpochs: number;
  /** Softened targets (1 - e for the true class) keep the net from over-trusting augmented noise. */
  labelSmoothing: number;
  dropout: number;
  /** The last `validation` training images are held out to pick the best epoch. */
  validation: number;
  /** Use only the first `limit` training images (quick runs, tests); null for all. */
  limit: number | null;
  /** Score only the first `testLimit` test images; null for all 10,000. */
  testLimit: number | null;
  /** Stop when validation accuracy has not improved for this many epochs. */
  patience: number;
  seed: number;
  backend: BackendChoice;
  /**
   * Threads a step is split across (data-parallel replicas); 0 = one per core on WASM and cpu, one on
   * the other backends (libtensorflow uses every core itself, a GPU needs no replicas). On a machine
   * whose other cores are busy, one is faster.
   */
  jobs: number;
  /** Continue from the last finished epoch of an interrupted run in `out`. */
  resume: boolean;
}

export const defaultTrainConfig: TrainConfig = {
  name: 'default',
  out: 'models/default',
  arch: DEFAULT_ARCH,
  augment: 'default',
  epochs: 15,
  batchSize: 64,
  learningRate: 0.002,
  warmupEpochs: 1,
  labelSmoothing: 0.05,
  dropout: 0.4,
  validation: 5000,
  limit: null,
  testLimit: null,
  patience: 6,
  seed: 42,
  backend: 'auto',
  jobs: 0,
  resume: false,
};

/** Learning rate at a fractional epoch: linear warm-up, then cosine decay towards zero. */
export function learningRateAt(config: TrainConfig, epochProgress: number): number {
  const { learningRate: peak, warmupEpochs, epochs } = config;
  if (warmupEpochs > 0 && epochProgress < warmupEpochs) return (peak * (epochProgress + 1e-3)) / warmupEpochs;
  const span = Math.max(1e-9, epochs - warmupEpochs);
  const t = Math.min(1, (epochProgress - warmupEpochs) / span);
  return peak * (0.02 + 0.98 * 0.5 * (1 + Math.cos(Math.PI * t)));
}
