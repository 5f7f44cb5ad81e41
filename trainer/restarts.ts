/**
 * A run as cycles: the upright specialist first when the run has one (`TrainConfig.specialist`),
 * then the configured main and finishing stages, then one cycle per warm restart
 * (`TrainConfig.restarts`), each a `train` from the previous cycle's weights. The specialist and
 * earlier cycles live under the output's checkpoint folder, so `finishRun` removes them with the
 * rest of the resumable state, and a killed run resumes where it was without repeating finished
 * parts.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng } from '../preprocess/random.ts';
import { writeFileAtomic } from './atomic-write.ts';
import type { TrainConfig } from './config.ts';
import { specialistConfig } from './specialist.ts';
import { LOG_FILE, train, type EpochRecord, type TrainHooks, type TrainResult } from './train.ts';

/** Written into an earlier cycle's (or the specialist's) folder once it is complete. */
const DONE_FILE = 'cycle-done.json';

interface CycleDone {
  history: EpochRecord[];
  trainSeconds: number;
}

/** Where cycle `i` of `count` trains: the output folder for the last, the checkpoint folder before. */
export function cycleDir(out: string, i: number, count: number): string {
  return i === count - 1 ? out : join(out, 'checkpoint', `cycle-${i + 1}`);
}

/**
 * The config of cycle `i` (0: the run as configured; then one per restart). Test-time views, an
 * upright prior and the specialist's mix change what a saved model outputs, so only the last cycle
 * applies them: the next cycle trains the bare network.
 */
export function cycleConfig(config: TrainConfig, i: number): TrainConfig {
  const count = config.restarts.length + 1;
  const last = i === count - 1;
  const base: TrainConfig = {
    ...config,
    restarts: [],
    out: cycleDir(config.out, i, count),
    views: last ? config.views : 1,
    uprightPrior: last ? config.uprightPrior : 1,
    specialist: last ? config.specialist : null,
  };
  if (i === 0) return base;
  const { epochs, learningRate, seed } = config.restarts[i - 1];
  return {
    ...base,
    init: cycleDir(config.out, i - 1, count),
    epochs,
    learningRate,
    patience: epochs,
    seed,
  };
}

/** Trains every cycle in turn; the result is the last cycle's, with the whole run's epochs and time. */
export async function trainCycles(config: TrainConfig, hooks: TrainHooks): Promise<TrainResult> {
  const count = config.restarts.length + 1;
  if (!config.resume) await rm(join(config.out, 'checkpoint'), { recursive: true, force: true });
  const specialistSeconds = config.specialist ? await trainSpecialist(config, hooks) : 0;
  const history: EpochRecord[] = [];
  let trainSeconds = 0;
  // Epoch numbers go on from the previous cycle's last (an early stop skips numbers to the
  // finishing stage's, so the count of records is not the last number).
  const lastEpoch = () => history.at(-1)?.epoch ?? 0;
  const add = (records: EpochRecord[], seconds: number, cycle: number) => {
    const offset = lastEpoch();
    const numbered = records.map((r) => ({ ...r, epoch: r.epoch + offset }));
    history.push(...(count > 1 ? numbered.map((r) => ({ ...r, cycle })) : numbered));
    trainSeconds += seconds;
  };
  for (let i = 0; ; i++) {
    const cycle = cycleConfig(config, i);
    const donePath = join(cycle.out, DONE_FILE);
    const done = i < count - 1 && config.resume ? await readDone(donePath) : null;
    if (done) {
      hooks.write(`cycle ${i + 1} of ${count}: finished earlier in ${cycle.out}\n`);
      add(done.history, done.trainSeconds, i + 1);
      continue;
    }
    if (count > 1) {
      hooks.write(
        `cycle ${i + 1} of ${count}` +
          (i === 0 ? '' : `: warm restart, ${cycle.epochs} epochs at peak ${cycle.learningRate}`) +
          '\n',
      );
    }
    const result = await trainSeeded(cycle, hooks);
    const offset = lastEpoch();
    add(result.history, result.trainSeconds, i + 1);
    if (i === count - 1) {
      // A run of one cycle: train wrote its own log and numbered its own epochs.
      if (count === 1) return { ...result, specialistSeconds };
      const bestEpoch = result.bestEpoch > 0 ? offset + result.bestEpoch : result.bestEpoch;
      await writeFileAtomic(
        join(config.out, LOG_FILE),
        history.map((h) => JSON.stringify(h)).join('\n') + '\n',
      );
      return { ...result, history, trainSeconds, bestEpoch, specialistSeconds };
    }
    result.model.dispose();
    const record: CycleDone = { history: result.history, trainSeconds: result.trainSeconds };
    await writeFileAtomic(donePath, JSON.stringify(record));
  }
}

/**
 * tfjs draws dropout masks from Math.random; seeding it per part makes a cycle (or the specialist)
 * the same run as the command it stands for, whether or not other parts ran in this process.
 */
function trainSeeded(config: TrainConfig, hooks: TrainHooks): Promise<TrainResult> {
  const rng = createRng(config.seed);
  Math.random = () => rng.next();
  return train(config, hooks);
}

/** Trains the run's upright specialist, or finds it finished; returns its seconds of training. */
async function trainSpecialist(config: TrainConfig, hooks: TrainHooks): Promise<number> {
  const spec = specialistConfig(config);
  const donePath = join(spec.out, DONE_FILE);
  const done = config.resume ? await readDone(donePath) : null;
  if (done) {
    hooks.write(`specialist: finished earlier in ${spec.out}\n`);
    return done.trainSeconds;
  }
  hooks.write(
    `specialist: ${spec.arch}, ${spec.epochs} epochs on upright digits (turned and transposed ones ` +
      `taught as unreadable), mixed into the saved model at weight ${config.specialist?.weight}\n`,
  );
  const result = await trainSeeded(spec, hooks);
  result.model.dispose();
  const record: CycleDone = { history: result.history, trainSeconds: result.trainSeconds };
  await writeFileAtomic(donePath, JSON.stringify(record));
  return result.trainSeconds;
}

async function readDone(path: string): Promise<CycleDone | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as CycleDone;
  } catch {
    throw new Error(`Expected a finished cycle's record in ${path} but it is not valid JSON`);
  }
}
