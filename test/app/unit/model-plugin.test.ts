import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readModelDir } from '../../../app/build/model-plugin.ts';
import { isSoftwareRenderer, ladderFor } from '../../../app/src/worker/backend-ladder.ts';

function modelDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'digitlens-model-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const modelJson = JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['w.bin'], weights: [] }] });
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('model plugin', () => {
  test('hashes the model files; the hash changes with the weights', () => {
    const a = readModelDir(modelDir({ 'model.json': modelJson, 'w.bin': 'abc', 'manifest.json': '{}' }));
    const b = readModelDir(modelDir({ 'model.json': modelJson, 'w.bin': 'abd', 'manifest.json': '{}' }));
    expect(a.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(a.hash).not.toBe(b.hash);
    expect([...a.files.keys()].sort()).toEqual(['manifest.json', 'model.json', 'w.bin']);
  });

  test('refuses a missing model, a missing weights file and a sha256 mismatch', () => {
    expect(() => readModelDir(modelDir({}))).toThrow(/Expected a TensorFlow.js layers model \(model.json\)/);
    expect(() => readModelDir(modelDir({ 'model.json': modelJson, 'manifest.json': '{}' }))).toThrow(
      /Expected the weights file w.bin/,
    );
    const manifest = JSON.stringify({ files: { 'w.bin': sha('other') } });
    expect(() =>
      readModelDir(modelDir({ 'model.json': modelJson, 'w.bin': 'abc', 'manifest.json': manifest })),
    ).toThrow(/Expected sha256 .* for w.bin/);
  });
});

describe('backend ladder', () => {
  test.each([
    { choice: 'auto', rungs: ['webgpu', 'webgl', 'wasm', 'cpu'] },
    { choice: 'webgl', rungs: ['webgl', 'wasm', 'cpu'] },
    { choice: 'cpu', rungs: ['cpu'] },
  ] as const)('$choice tries $rungs', ({ choice, rungs }) => {
    expect(ladderFor(choice)).toEqual(rungs);
  });

  test.each([
    ['ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)', true],
    ['google swiftshader', true],
    ['llvmpipe (LLVM 15.0.6, 256 bits)', true],
    ['ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0)', true],
    ['intel gen-12lp (fallback adapter, software)', true],
    ['ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)', false],
    ['Apple GPU', false],
    ['Adreno (TM) 640', false],
    ['Mali-G78', false],
  ] as const)('%s renders in software: %s', (renderer, software) => {
    expect(isSoftwareRenderer(renderer)).toBe(software);
  });
});
