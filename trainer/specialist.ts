/**
 * The upright specialist of a run (`TrainConfig.specialist`): where it trains, how, and what the
 * main network must be for the saved model to mix it in (trainer/mix.ts).
 */
import { join } from 'node:path';
import type { TrainConfig } from './config.ts';
import { checkMixWeight } from './mix.ts';

/** Under the run's checkpoint folder: `finishRun` removes it once the mixed model is saved. */
export function specialistDir(out: string): string {
  return join(out, 'checkpoint', 'specialist');
}

/**
 * Throws unless the run's saved network can be mixed: the mix takes a plain digit network, so test-
 * time views and orientation labels need `--specialist none`.
 */
export function checkSpecialist(config: TrainConfig): void {
  const s = config.specialist;
  if (!s) return;
  checkMixWeight(s.weight);
  if (!Number.isInteger(s.epochs) || s.epochs < 1) {
    throw new Error(`Expected at least 1 specialist epoch but received ${s.epochs}`);
  }
  if (config.views !== 1 || config.labels !== 'digit') {
    throw new Error(
      `Expected views 1 and labels 'digit' for a run with an upright specialist (its mix takes the plain ` +
        `network) but received views ${config.views} and labels '${config.labels}'; add --specialist none`,
    );
  }
}

/**
 * The specialist's own run: its arch, epochs and seed on the light preset with 'upright' labels
 * (a turned or transposed digit is taught as unreadable), one stage without early stopping; batch,
 * rate, limits and backend are the run's.
 */
export function specialistConfig(config: TrainConfig): TrainConfig {
  const s = config.specialist;
  if (!s) throw new Error(`Expected a run with a specialist but ${config.name} has none`);
  return {
    ...config,
    name: `${config.name}-specialist`,
    out: specialistDir(config.out),
    arch: s.arch,
    augment: 'light',
    labels: 'upright',
    epochs: s.epochs,
    patience: s.epochs,
    seed: s.seed,
    init: null,
    finish: null,
    restarts: [],
    views: 1,
    uprightPrior: 1,
    specialist: null,
  };
}
