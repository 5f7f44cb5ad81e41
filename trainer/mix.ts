/**
 * An upright specialist mixed into the saved model: the weighted geometric mean of two networks'
 * probabilities, p ~ p_main^(1 - w) * p_upright^w, computed exactly as softmax((1 - w) z_main +
 * w z_upright) on their logits.
 *
 * Why: the main network learns orientation (turns to +-90 degrees, transposed digits) and pays for
 * it on clean digits, whose rare ambiguous shapes read as one digit upright and another turned. A
 * network that reads upright digits only ('upright' labels: turned and transposed ones are taught
 * as unreadable) has no such readings; a small weight on it settles those shapes the upright way,
 * while on turned and transposed digits its near-uniform output leaves the main network's reading
 * standing. The README gives the measured trade and how the weight was chosen.
 *
 * The result is a plain tfjs-layers model with the zoo's contract ([N, 28, 28, 1] in, [N, 10]
 * probabilities out): each network, renamed so their weights cannot clash and with a linear
 * classifier, as a nested model; their logits concatenated; a fixed dense layer that weighs them;
 * a softmax.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Names of the nested networks inside a mixed model, in the order of `withMix`'s arguments. */
export const MIX_PARTS = ['main', 'upright'] as const;

export function checkMixWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0 || weight >= 1) {
    throw new Error(`Expected a mix weight between 0 and 1 (exclusive) but received ${weight}`);
  }
  return weight;
}

interface LayerJson {
  class_name: string;
  config: { name: string; activation?: string; [key: string]: unknown };
}

/**
 * A copy of a trained Sequential network with its layers prefixed by `part` and its final softmax
 * replaced by the identity, so it outputs logits; same weights.
 */
async function logitsOf(network: tfl.LayersModel, part: string): Promise<tfl.LayersModel> {
  const topology = network.toJSON(null, false) as unknown as {
    class_name: string;
    config: { name: string; layers: LayerJson[] };
  };
  const layers = topology.config?.layers;
  const last = layers?.[layers.length - 1];
  if (
    topology.class_name !== 'Sequential' ||
    last?.class_name !== 'Dense' ||
    last.config.activation !== 'softmax' ||
    network.outputs[0].shape[1] !== 10
  ) {
    throw new Error(
      `Expected a plain digit network (Sequential, ending in a 10-unit softmax dense layer) to mix as ` +
        `${part} but received ${network.name} (${topology.class_name}, ${network.layers.length} layers)`,
    );
  }
  topology.config.name = part;
  for (const layer of layers) layer.config.name = `${part}_${layer.config.name}`;
  last.config.activation = 'linear';
  const copy = (await tfl.models.modelFromJSON({
    modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology'],
  })) as tfl.LayersModel;
  copy.setWeights(network.getWeights());
  return copy;
}

/**
 * The mixed model of `main` and `upright` (plain digit networks, as `train` saves them with one view
 * and digit labels), `weight` on the upright one. The networks' weights are copied; the caller still
 * owns and disposes its own.
 */
export async function withMix(
  main: tfl.LayersModel,
  upright: tfl.LayersModel,
  weight: number,
): Promise<tfl.LayersModel> {
  checkMixWeight(weight);
  const parts = [await logitsOf(main, MIX_PARTS[0]), await logitsOf(upright, MIX_PARTS[1])];
  const input = tfl.input({ shape: [28, 28, 1], name: 'digit' });
  const logits = parts.map((p) => p.apply(input) as tfl.SymbolicTensor);
  const joined = tfl.layers.concatenate({ name: 'mix_logits' }).apply(logits);
  const mix = tfl.layers.dense({ units: 10, useBias: false, trainable: false, name: 'mix' });
  const mixed = mix.apply(joined);
  const output = tfl.layers.activation({ activation: 'softmax', name: 'mix_softmax' }).apply(mixed);
  // Rows 0-9 take the main network's logits, rows 10-19 the upright one's.
  const kernel = new Float32Array(20 * 10);
  for (let c = 0; c < 10; c++) {
    kernel[c * 10 + c] = 1 - weight;
    kernel[(10 + c) * 10 + c] = weight;
  }
  tf.tidy(() => mix.setWeights([tf.tensor2d(kernel, [20, 10])]));
  return tfl.model({
    inputs: input,
    outputs: output as tfl.SymbolicTensor,
    name: `${main.name}_mix`,
  });
}

/** The upright weight of a model made by `withMix`, or 0 for any other model. */
export function mixWeightOf(model: tfl.LayersModel): number {
  const mix = model.layers.find((l) => l.name === 'mix');
  if (!mix) return 0;
  return tf.tidy(() => mix.getWeights()[0].arraySync() as number[][])[10][0];
}
