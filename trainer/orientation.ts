/**
 * Orientation labels: the network learns "a 7, transposed" apart from "a 4, upright" instead of
 * forcing every turned digit into its digit's class, and the saved model sums each digit's
 * orientation classes back into the 10 probabilities of the model contract.
 *
 * Why: the default model's clean errors are mostly digits that a quarter turn or a transposition
 * makes look like another class (a 2 or a 7 read as a 4), the price of teaching one set of classes
 * every orientation. Labelling the turn that augmentation drew keeps those shapes in classes of
 * their own (self-supervised label augmentation, Lee et al., ICML 2020); the sum still reads a
 * transposed digit as its digit. Measured on dlnet2 with the default recipe (one seed, README):
 * 99.43% clean and 97.78% transposed against 99.46% and 97.85% with digit labels, so no gain, and
 * the default keeps 'digit'.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { AugmentDraw } from '../preprocess/augment.ts';

/**
 * 'digit': 10 classes. 'orientation': each digit in ORIENTATION_CLASSES classes (above). 'upright':
 * 10 classes, but a digit that augmentation turned past TURN_DEGREES or transposed gets the uniform
 * target, so the network learns to be unsure of what it should not read. That makes an upright
 * specialist (specialist.ts) safe to mix with the main network: taught digits as written only, it
 * read transposed digits confidently wrong and pulled the mix's transposed accuracy down with it.
 */
export const LABEL_CHOICES = ['digit', 'orientation', 'upright'] as const;
export type Labels = (typeof LABEL_CHOICES)[number];

/** Upright, turned past +45 degrees, turned past -45 degrees; each as written and transposed. */
export const ORIENTATION_CLASSES = 6;

/** Rotations beyond this many degrees count as a turned page rather than a slanted digit. */
export const TURN_DEGREES = 45;

/** Orientation classes per digit for a labels choice. */
export function orientationsFor(labels: Labels): number {
  if (!(LABEL_CHOICES as readonly unknown[]).includes(labels)) {
    throw new Error(
      `Expected one of ${LABEL_CHOICES.join(', ')} for labels but received ${JSON.stringify(labels)}`,
    );
  }
  return labels === 'orientation' ? ORIENTATION_CLASSES : 1;
}

/** The orientation class (0 .. ORIENTATION_CLASSES - 1) of what an augmenter drew; 0 is upright. */
export function orientationClass(drawn: AugmentDraw): number {
  const turn = drawn.rotation > TURN_DEGREES ? 1 : drawn.rotation < -TURN_DEGREES ? 2 : 0;
  return (drawn.transposed ? 3 : 0) + turn;
}

/**
 * `network` itself for one orientation; else a model whose output sums the network's
 * [N, 10 * orientations] probabilities (orientation-major: class o * 10 + digit) into [N, 10]. The
 * sum is a fixed, non-trainable dense layer, so the result is a plain tfjs-layers model with the
 * contract of every model of the zoo.
 */
export function withOrientationSum(network: tfl.LayersModel, orientations: number): tfl.LayersModel {
  const units = network.outputs[0].shape[1];
  if (orientations === 1 && units === 10) return network;
  if (!Number.isInteger(orientations) || orientations < 1 || units !== orientations * 10) {
    throw new Error(
      `Expected a network with 10 x ${orientations} outputs for ${orientations} orientations but received ${units}`,
    );
  }
  const input = tfl.input({ shape: [28, 28, 1], name: 'digit' });
  const joint = network.apply(input) as tfl.SymbolicTensor;
  const sum = tfl.layers.dense({ units: 10, useBias: false, trainable: false, name: 'orientation_sum' });
  const output = sum.apply(joint) as tfl.SymbolicTensor;
  const kernel = new Float32Array(units * 10);
  for (let row = 0; row < units; row++) kernel[row * 10 + (row % 10)] = 1;
  tf.tidy(() => sum.setWeights([tf.tensor2d(kernel, [units, 10])]));
  return tfl.model({ inputs: input, outputs: output, name: `${network.name}_orientations` });
}

/**
 * Checks an upright prior (see `applyUprightPrior`) against the labels it needs: a positive finite
 * factor, and anything but 1 only for orientation labels, whose network has upright classes.
 */
export function checkUprightPrior(prior: number, labels: Labels): number {
  if (!Number.isFinite(prior) || prior <= 0) {
    throw new Error(`Expected a positive number for the upright prior but received ${prior}`);
  }
  if (prior !== 1 && orientationsFor(labels) === 1) {
    throw new Error(
      `Expected labels 'orientation' for an upright prior of ${prior} but received labels '${labels}' ` +
        '(a digit-labelled network has no upright classes to favour)',
    );
  }
  return prior;
}

/**
 * Multiplies the odds of the upright, as-written classes (orientation 0) by `prior` in an
 * orientation-labelled network, by adding log(prior) to their logits: the bias of its final softmax
 * layer, so its output stays a normalised distribution and the saved model stays plain layers.
 *
 * Why: a network learns the orientation mix that augmentation drew (about 82% upright by the
 * default preset), but photos and forms are nearly always upright. Shifting the prior to the
 * deployment's (label-shift correction, Saerens et al. 2002) resolves shapes that read as one digit
 * upright and another turned (a 4 and a transposed 2) towards the upright reading, at some cost on
 * turned digits; the README gives the measured trade.
 */
export function applyUprightPrior(network: tfl.LayersModel, prior: number): void {
  const last = network.layers[network.layers.length - 1];
  const units = network.outputs[0].shape[1] ?? 0;
  const weights = last.getWeights();
  if (units <= 10 || units % 10 !== 0 || weights.length !== 2) {
    throw new Error(
      `Expected an orientation-labelled network (10 x orientations outputs from a biased dense layer) ` +
        `but received ${network.name} with ${units} outputs`,
    );
  }
  checkUprightPrior(prior, 'orientation');
  const [kernel, bias] = weights;
  const shift = new Float32Array(units);
  shift.fill(Math.log(prior), 0, 10);
  tf.tidy(() => last.setWeights([kernel, tf.add(bias, tf.tensor1d(shift))]));
}

/**
 * A digit-labelled network's classifier weights (kernel [units, 10], bias [10]) laid out for an
 * orientation-labelled network of the same arch: the 10 columns copied to each orientation's 10.
 * Each digit's orientation classes start with equal logits, so their sum reads every digit exactly
 * as the digit-labelled network did, and fine-tuning with orientation labels (`--labels orientation
 * --init DIGIT_MODEL`) starts from that model's accuracy rather than from a fresh classifier.
 * Returns new tensors; the caller disposes them.
 */
export function spreadToOrientations(classifier: tf.Tensor[], orientations: number): tf.Tensor[] {
  const [kernel, bias] = classifier;
  if (
    classifier.length !== 2 ||
    kernel.rank !== 2 ||
    kernel.shape[1] !== 10 ||
    bias.rank !== 1 ||
    bias.shape[0] !== 10
  ) {
    throw new Error(
      'Expected a dense classifier of 10 units (kernel [n,10], bias [10]) but received weights of shapes ' +
        classifier.map((w) => `[${w.shape.join(',')}]`).join(' '),
    );
  }
  return [tf.tile(kernel, [1, orientations]), tf.tile(bias, [orientations])];
}
