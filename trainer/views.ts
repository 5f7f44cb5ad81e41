/**
 * Test-time views: a model that reads each digit as it is and shifted by one pixel up, down, left
 * and right, and averages the five probability vectors.
 *
 * Why: many of dlnet's errors sit near a class boundary that a one-pixel shift moves
 * across; averaging the views recovered about a fifth of its clean test errors and some transposed
 * ones (99.31 -> 99.46%, 97.33 -> 97.51%; the README's table), for five times the inference. Nine
 * views (the diagonals too) scored no better in a trial. On dlnet2, the default, they add one clean
 * test digit in 10,000, so `npm run train` keeps one view.
 *
 * The result is a plain tfjs-layers model (ZeroPadding2D, Cropping2D, Average around the trained
 * network as a nested model) with the same contract as every model of the zoo: [N, 28, 28, 1] in,
 * [N, 10] probabilities out. It adds no weights, so `getWeights()` lists the trained network's.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { MIX_PARTS } from './mix.ts';

export const VIEW_CHOICES = [1, 5] as const;
export type Views = (typeof VIEW_CHOICES)[number];

/** Crop offsets [top, left] into the digit padded by one pixel: itself, then the four shifts. */
const SHIFTS: [number, number][] = [
  [1, 1],
  [0, 1],
  [2, 1],
  [1, 0],
  [1, 2],
];

export function checkViews(value: unknown): Views {
  if (!(VIEW_CHOICES as readonly unknown[]).includes(value)) {
    throw new Error(
      `Expected one of ${VIEW_CHOICES.join(', ')} for views but received ${JSON.stringify(value)}`,
    );
  }
  return value as Views;
}

/** `network` itself for 1 view; else a model averaging its outputs over the shifted views. */
export function withViews(network: tfl.LayersModel, views: Views): tfl.LayersModel {
  checkViews(views);
  if (views === 1) return network;
  const input = tfl.input({ shape: [28, 28, 1], name: 'digit' });
  const padded = tfl.layers.zeroPadding2d({ padding: 1, name: 'views_pad' }).apply(input);
  const outputs = SHIFTS.map(([top, left], i) => {
    const view =
      top === 1 && left === 1
        ? input
        : tfl.layers
            .cropping2D({
              cropping: [
                [top, 2 - top],
                [left, 2 - left],
              ],
              name: `view_${i}`,
            })
            .apply(padded);
    return network.apply(view) as tfl.SymbolicTensor;
  });
  const mean = tfl.layers.average({ name: 'views_mean' }).apply(outputs) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: mean, name: `${network.name}_views${views}` });
}

/**
 * The trained network inside a model made by `withViews` and/or `withOrientationSum` (or the model
 * itself): the innermost of the nested models. In a model made by `withMix`, the main network (with
 * the same weights as trained, its classifier giving logits), so that `--init` reads it.
 */
export function networkOf(model: tfl.LayersModel): tfl.LayersModel {
  const nested = model.layers.filter((l): l is tfl.LayersModel => l instanceof tfl.LayersModel);
  if (nested.length === 1) return networkOf(nested[0]);
  return nested.find((n) => n.name === MIX_PARTS[0]) ?? model;
}

/** How many views a loaded model averages (1 for a plain network). */
export function viewsOf(model: tfl.LayersModel): number {
  const nested = networkOf(model);
  return nested === model ? 1 : model.layers.filter((l) => l.name.startsWith('view_')).length + 1;
}
