/**
 * Scores models on the robustness suites. The unit of work is one severity of one suite over the
 * test set: its inputs are prepared once and every model (the model and --compare) scores the same
 * inputs, so the two are compared on identical digits.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { createRng, deriveSeed } from '../preprocess/random.ts';
import { buildSuites, type Suite, type SuitePath } from './eval-suites.ts';
import type { DigitSet } from './mnist.ts';
import { argmax } from './metrics.ts';
import { predictProbabilitiesAsync } from './models.ts';

export interface EvalUnit {
  suite: string;
  severity: string;
}

export interface EvalRow extends EvalUnit {
  path: SuitePath;
  count: number;
  /** Digits the pipeline found (pipeline suites; equals count for model suites). */
  found: number;
  /** Accuracy per model name. */
  accuracy: Record<string, number>;
}

export interface SuiteSummary {
  suite: string;
  path: SuitePath;
  pathNote: string;
  /** Mean over the suite's severities, per model. */
  accuracy: Record<string, number>;
}

export interface EvalResult {
  models: string[];
  count: number;
  seed: number;
  rows: EvalRow[];
  suites: SuiteSummary[];
  /** Mean of the suite means, per model. */
  mean: Record<string, number>;
  seconds: number;
}

/** A stable 32-bit hash of a string, so each unit's random stream depends only on its name. */
function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function findSuites(names: string[] | 'all'): Suite[] {
  const all = buildSuites();
  if (names === 'all') return all;
  return names.map((n) => {
    const s = all.find((x) => x.name === n);
    if (!s)
      throw new Error(
        `Expected one of all, ${all.map((x) => x.name).join(', ')} for --suite but received "${n}"`,
      );
    return s;
  });
}

export function unitsOf(suites: Suite[]): EvalUnit[] {
  return suites.flatMap((s) => s.severities.map((v) => ({ suite: s.name, severity: v.label })));
}

/** Indices into unitsOf(suites) in the order a pool should start them: most costly first (Severity.cost). */
export function unitOrder(suites: Suite[]): number[] {
  const costs = suites.flatMap((s) => s.severities.map((v) => v.cost ?? 1));
  return costs.map((_, i) => i).sort((a, b) => costs[b] - costs[a]);
}

/** Scores one unit for every model; deterministic for (seed, suite, severity, digit index). */
export async function evaluateUnit(
  unit: EvalUnit,
  models: { name: string; model: tfl.LayersModel }[],
  test: DigitSet,
  seed: number,
  chunk = 500,
): Promise<EvalRow> {
  const suite = buildSuites().find((s) => s.name === unit.suite);
  const severity = suite?.severities.find((v) => v.label === unit.severity);
  if (!suite || !severity)
    throw new Error(`Expected a known suite and severity but received ${unit.suite}/${unit.severity}`);
  const unitSeed = deriveSeed(seed, hashString(`${unit.suite}/${unit.severity}`));
  const correct = Object.fromEntries(models.map((m) => [m.name, 0]));
  let found = 0;
  const x = new Float32Array(chunk * 784);
  const labels = new Uint8Array(chunk);
  const digit = new Float32Array(784);
  for (let start = 0; start < test.count; start += chunk) {
    const end = Math.min(test.count, start + chunk);
    let n = 0;
    for (let i = start; i < end; i++) {
      for (let k = 0; k < 784; k++) digit[k] = test.images[i * 784 + k] / 255;
      const input = severity.prepare(
        { width: 28, height: 28, data: digit },
        createRng(deriveSeed(unitSeed, i)),
      );
      if (!input) continue;
      x.set(input, n * 784);
      labels[n] = test.labels[i];
      n++;
    }
    found += n;
    if (n === 0) continue;
    for (const m of models) {
      const probs = await predictProbabilitiesAsync(m.model, x.subarray(0, n * 784), n);
      for (let b = 0; b < n; b++) if (argmax(probs, b * 10) === labels[b]) correct[m.name]++;
    }
  }
  return {
    ...unit,
    path: suite.path,
    count: test.count,
    found,
    accuracy: Object.fromEntries(models.map((m) => [m.name, correct[m.name] / test.count])),
  };
}

/** Per-suite means and the overall mean from the rows of a run. */
export function summarize(
  rows: EvalRow[],
  models: string[],
): { suites: SuiteSummary[]; mean: Record<string, number> } {
  const all = buildSuites();
  const suites: SuiteSummary[] = [];
  for (const s of all) {
    const mine = rows.filter((r) => r.suite === s.name);
    if (!mine.length) continue;
    suites.push({
      suite: s.name,
      path: s.path,
      pathNote: s.pathNote,
      accuracy: Object.fromEntries(
        models.map((m) => [m, mine.reduce((a, r) => a + r.accuracy[m], 0) / mine.length]),
      ),
    });
  }
  const mean = Object.fromEntries(
    models.map((m) => [m, suites.reduce((a, s) => a + s.accuracy[m], 0) / Math.max(1, suites.length)]),
  );
  return { suites, mean };
}
