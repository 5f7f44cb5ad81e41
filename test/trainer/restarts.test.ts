import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_SPECIALIST, defaultTrainConfig, type TrainConfig } from '../../trainer/config.ts';
import { mixWeightOf } from '../../trainer/mix.ts';
import { loadModel } from '../../trainer/model-io.ts';
import { keptEpoch } from '../../trainer/manifest.ts';
import { stagesLine } from '../../trainer/report.ts';
import { cycleConfig, cycleDir, trainCycles } from '../../trainer/restarts.ts';
import { specialistDir } from '../../trainer/specialist.ts';
import { finishRun, LOG_FILE, type EpochRecord } from '../../trainer/train.ts';
import { parseTrainArgs } from '../../trainer/train-cli.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'digitlens-restarts-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A 600-image run of one epoch and one one-epoch warm restart: seconds on the CPU. */
function run(out: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...defaultTrainConfig,
    name: 'cycles',
    out,
    arch: 'cnn',
    augment: 'none',
    epochs: 1,
    limit: 600,
    validation: 200,
    testLimit: 200,
    backend: 'wasm',
    jobs: 1,
    finish: null,
    restarts: [{ epochs: 1, learningRate: 0.0005, seed: 7 }],
    specialist: null,
    ...overrides,
  };
}

describe('cycleConfig', () => {
  const config = run('out/x', {
    restarts: [
      { epochs: 8, learningRate: 0.001, seed: 44 },
      { epochs: 3, learningRate: 0.0007, seed: 46 },
    ],
    views: 5,
    patience: 6,
    specialist: DEFAULT_SPECIALIST,
  });

  test('the first cycle is the run as configured, in the checkpoint folder, without views or mix', () => {
    expect(cycleConfig(config, 0)).toEqual({
      ...config,
      restarts: [],
      out: join('out/x', 'checkpoint', 'cycle-1'),
      views: 1,
      specialist: null,
    });
  });

  test('a restart trains from the previous cycle at its own rate and seed, with no early stop', () => {
    expect(cycleConfig(config, 1)).toMatchObject({
      init: join('out/x', 'checkpoint', 'cycle-1'),
      out: join('out/x', 'checkpoint', 'cycle-2'),
      epochs: 8,
      learningRate: 0.001,
      patience: 8,
      seed: 44,
      views: 1,
      specialist: null,
    });
    // The last cycle writes the output folder and is the one saved with the configured views and mix.
    expect(cycleConfig(config, 2)).toMatchObject({
      init: join('out/x', 'checkpoint', 'cycle-2'),
      out: 'out/x',
      epochs: 3,
      patience: 3,
      seed: 46,
      views: 5,
      specialist: DEFAULT_SPECIALIST,
    });
    expect(cycleDir('out/x', 0, 1)).toBe('out/x');
  });
});

describe('trainCycles', () => {
  test('trains the restart from the first cycle and reports the whole run', async () => {
    const out = join(root, 'two');
    const lines: string[] = [];
    const result = await trainCycles(run(out), { write: (s) => lines.push(s), tty: false });
    const log = lines.join('');
    expect(log).toContain('cycle 2 of 2: warm restart, 1 epochs at peak 0.0005');
    expect(log).toContain(`init: starting from the weights of ${join(out, 'checkpoint', 'cycle-1')}`);
    expect(result.dir).toBe(out);
    expect(result.history.map((h) => [h.epoch, h.stage, h.cycle])).toEqual([
      [1, 'main', 1],
      [2, 'main', 2],
    ]);
    expect(result.bestEpoch).toBe(2);
    const saved = (await readFile(join(out, LOG_FILE), 'utf8')).trim().split('\n');
    expect(saved.map((l) => (JSON.parse(l) as EpochRecord).epoch)).toEqual([1, 2]);
    expect(result.trainSeconds).toBeCloseTo(
      result.history.reduce((s, h) => s + h.seconds, 0),
      6,
    );
    // The restart moved the weights away from the first cycle's.
    const first = await loadModel(join(out, 'checkpoint', 'cycle-1'));
    const a = first.getWeights()[0].dataSync();
    const b = result.model.getWeights()[0].dataSync();
    expect(a.some((v, i) => v !== b[i])).toBe(true);
    first.dispose();
    result.model.dispose();
    await finishRun(out);
    expect(await readdir(out)).not.toContain('checkpoint');
  });

  test('a killed restart resumes without repeating the finished cycle', async () => {
    const out = join(root, 'resume');
    let ends = 0;
    await expect(
      trainCycles(run(out), {
        write: () => {},
        tty: false,
        onEpochEnd: () => {
          if (++ends === 2) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const lines: string[] = [];
    const result = await trainCycles(run(out, { resume: true }), {
      write: (s) => lines.push(s),
      tty: false,
    });
    const log = lines.join('');
    expect(log).toContain(`cycle 1 of 2: finished earlier in ${join(out, 'checkpoint', 'cycle-1')}`);
    // The restart's one epoch had finished too: nothing is left to train.
    expect(log).not.toMatch(/^epoch \d+:/m);
    expect(result.history.map((h) => h.epoch)).toEqual([1, 2]);
    result.model.dispose();
  });
});

describe('the upright specialist', () => {
  test('trains first, is mixed into the saved model, and a resume does not train it again', async () => {
    const out = join(root, 'specialist');
    const specialist = { arch: 'softmax' as const, epochs: 1, seed: 3, weight: 0.25 };
    // With the run's restart: only the last cycle mixes the specialist in.
    const config = run(out, { specialist });
    const lines: string[] = [];
    const result = await trainCycles(config, { write: (s) => lines.push(s), tty: false });
    const log = lines.join('');
    expect(log).toContain('specialist: softmax, 1 epochs on upright digits');
    expect(log).toContain(
      `specialist: the saved model mixes the softmax of ${specialistDir(out)} at weight 0.25`,
    );
    expect(result.specialistSeconds).toBeGreaterThan(0);
    // Both networks' parameters: the seeds' CNN and softmax regression (784 x 10 + 10).
    expect(result.params).toBe(421_642 + 7_850);
    expect(mixWeightOf(result.model)).toBeCloseTo(0.25, 6);
    const saved = await loadModel(out);
    expect(mixWeightOf(saved)).toBeCloseTo(0.25, 6);
    saved.dispose();
    result.model.dispose();

    const again: string[] = [];
    const resumed = await trainCycles(
      { ...config, resume: true },
      { write: (s) => again.push(s), tty: false },
    );
    expect(again.join('')).toContain(`specialist: finished earlier in ${specialistDir(out)}`);
    expect(resumed.specialistSeconds).toBeCloseTo(result.specialistSeconds, 6);
    resumed.model.dispose();
  });

  test('is on by default for a plain run, off for --init, views and orientation labels unless asked', () => {
    const specialistOf = (argv: string[]) => (parseTrainArgs(argv) as TrainConfig).specialist;
    expect(specialistOf([])).toEqual(DEFAULT_SPECIALIST);
    for (const argv of [
      ['--init', 'x'],
      ['--views', '5'],
      ['--labels', 'orientation'],
      ['--specialist', 'none'],
    ])
      expect(specialistOf(argv)).toBeNull();
    const asked = ['--specialist', 'lenet5', '--specialist-epochs', '4', '--specialist-weight', '0.3'];
    expect(specialistOf(asked)).toEqual({ arch: 'lenet5', epochs: 4, seed: 7, weight: 0.3 });
    expect(specialistOf(['--init', 'x', '--specialist-weight', '0.1'])).toMatchObject({
      arch: 'cnn',
      weight: 0.1,
    });
    expect(() => parseTrainArgs(['--views', '5', '--specialist', 'cnn'])).toThrow(
      "Expected views 1 and labels 'digit' for a run with an upright specialist",
    );
    expect(() => parseTrainArgs(['--specialist', 'big'])).toThrow('--specialist');
    expect(() => parseTrainArgs(['--specialist-weight', '1'])).toThrow('--specialist-weight');
  });
});

/** An epoch record with only what stagesLine and keptEpoch read. */
const record = (epoch: number, stage?: 'main' | 'finish', cycle?: number) =>
  ({ epoch, stage, cycle }) as EpochRecord;

describe('stagesLine', () => {
  const config = { epochs: 30, finish: { epochs: 3, augment: 'light' as const, learningRate: 5e-4 } };

  test('names each stage of each cycle, with the epochs an early stop skipped', () => {
    const history = [
      record(1, 'main', 1),
      record(2, 'main', 1),
      record(31, 'finish', 1),
      record(32, 'main', 2),
      record(33, 'main', 2),
      record(34, 'finish', 2),
    ];
    expect(stagesLine(history, config)).toBe(
      'epochs 1-2: main, 31: finishing (light), 32-33: restart 1 main, 34: restart 1 finishing (light)',
    );
  });

  test('reads old logs by epoch number, and says nothing for a single stage', () => {
    expect(stagesLine([record(1), record(17), record(31), record(33)], config)).toBe(
      'epochs 1-17: main, 31-33: finishing (light)',
    );
    expect(stagesLine([record(1, 'main'), record(2, 'main')], config)).toBeUndefined();
  });
});

describe('keptEpoch', () => {
  // The shipped default's shape: 17 main epochs stopped early, 3 finishing (31-33), then a restart.
  const run = [
    ...Array.from({ length: 17 }, (_, i) => record(i + 1, 'main', 1)),
    ...[31, 32, 33].map((e) => record(e, 'finish', 1)),
    ...Array.from({ length: 8 }, (_, i) => record(34 + i, 'main', 2)),
    ...[42, 43, 44].map((e) => record(e, 'finish', 2)),
  ];

  test('names the stage and cycle of the kept epoch, and its run number when they differ', () => {
    expect(keptEpoch(run, 44)).toBe('finishing epoch 3 of restart 1 (run epoch 44)');
    expect(keptEpoch(run, 36)).toBe('epoch 3 of restart 1 (run epoch 36)');
    expect(keptEpoch(run, 31)).toBe('finishing epoch 1 (run epoch 31)');
    expect(keptEpoch(run, 11)).toBe('epoch 11');
  });

  test('reads a one-cycle log, an old log and a run that trained nothing', () => {
    expect(keptEpoch([record(1, 'main'), record(2, 'main'), record(31, 'finish')], 31)).toBe(
      'finishing epoch 1 (run epoch 31)',
    );
    expect(keptEpoch([record(1), record(2)], 2)).toBe('epoch 2');
    expect(keptEpoch([], -1)).toBe('the --init weights (no training)');
  });
});

/** The restarts a command line asks for. */
function restartsOf(argv: string[]) {
  const config = parseTrainArgs(argv);
  if (config === 'help') throw new Error(`Expected a config for ${argv.join(' ')} but received help`);
  return config.restarts;
}

describe('--restarts', () => {
  test('defaults to every restart, none after --init, and takes a count', () => {
    expect(restartsOf([])).toEqual(defaultTrainConfig.restarts);
    expect(restartsOf(['--restarts', '0'])).toEqual([]);
    const tune = ['--init', 'models/default', '--epochs', '3'];
    expect(restartsOf(tune)).toEqual([]);
    expect(restartsOf([...tune, '--restarts', '1'])).toEqual(defaultTrainConfig.restarts.slice(0, 1));
  });

  test('rejects a count beyond the defined restarts, naming it', () => {
    const n = defaultTrainConfig.restarts.length;
    expect(() => parseTrainArgs(['--restarts', String(n + 1)])).toThrow(
      `Expected an integer in [0, ${n}] for --restarts but received "${n + 1}"`,
    );
  });
});
