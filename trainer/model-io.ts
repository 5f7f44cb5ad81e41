/**
 * Saving and loading TensorFlow.js layers models as files without tfjs-node (which cannot install
 * everywhere). Layout: model.json + one weights file named by its content hash, so model.json always
 * points at a complete weights file even if the process dies between the two writes.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic } from './atomic-write.ts';

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface SavedModel {
  /** File names relative to the model folder, with their sha256. */
  files: Record<string, string>;
  weightBytes: number;
}

function concatWeights(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out;
}

/** Saves a model into dir as model.json + weights-<hash>.bin, removing stale weights files. */
export async function saveModel(model: tfl.LayersModel, dir: string): Promise<SavedModel> {
  let saved: SavedModel | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = concatWeights(artifacts.weightData as ArrayBuffer | ArrayBuffer[] | undefined);
      const weightsHash = sha256(weights);
      const weightsName = `weights-${weightsHash.slice(0, 16)}.bin`;
      await writeFileAtomic(join(dir, weightsName), weights);
      const modelJson = JSON.stringify({
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsName], weights: artifacts.weightSpecs }],
      });
      await writeFileAtomic(join(dir, 'model.json'), modelJson);
      for (const f of await readdir(dir)) {
        if (/^weights-[0-9a-f]+\.bin$/.test(f) && f !== weightsName) await rm(join(dir, f), { force: true });
      }
      saved = {
        files: { 'model.json': sha256(modelJson), [weightsName]: weightsHash },
        weightBytes: weights.byteLength,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new Error(`Saving the model to ${dir} wrote nothing`);
  return saved;
}

export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** Loads model.json and its weights from dir; every problem names the file and what is wrong. */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const jsonPath = join(dir, 'model.json');
  try {
    const s = await stat(dir);
    if (!s.isDirectory())
      throw new ModelLoadError(`Expected a model directory for --model but received the file ${dir}`);
  } catch (err) {
    if (err instanceof ModelLoadError) throw err;
    throw new ModelLoadError(`Expected a model directory for --model but ${dir} does not exist`);
  }
  let parsed: {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  try {
    parsed = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ModelLoadError(
      code === 'ENOENT'
        ? `Expected model.json in ${dir} but there is none (is this a digitlens model folder?)`
        : `Expected valid JSON in ${jsonPath} but it failed to parse: ${(err as Error).message}`,
    );
  }
  if (!parsed.modelTopology || !Array.isArray(parsed.weightsManifest)) {
    throw new ModelLoadError(
      `Expected modelTopology and weightsManifest in ${jsonPath} but they are missing`,
    );
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of parsed.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      try {
        buffers.push(new Uint8Array(await readFile(join(dir, p))));
      } catch {
        throw new ModelLoadError(`Expected the weights file ${p} listed in ${jsonPath} but it is missing`);
      }
    }
  }
  const weights = concatWeights(
    buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer),
  );
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (weights.byteLength !== expected) {
    throw new ModelLoadError(
      `Expected ${expected} bytes of weights for ${jsonPath} but received ${weights.byteLength} (truncated or corrupt)`,
    );
  }
  try {
    return await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: parsed.modelTopology,
        weightSpecs: specs,
        weightData: weights.buffer as ArrayBuffer,
      }),
    );
  } catch (err) {
    throw new ModelLoadError(
      `Expected a valid layers model in ${jsonPath} but loading failed: ${(err as Error).message}`,
    );
  }
}
