/**
 * Bundles a TensorFlow.js layers model (models/default unless DIGITLENS_MODEL_DIR says otherwise) into
 * the app under model/<hash>/, where <hash> is the SHA-256 of its files: a new model is a new URL, so the
 * service worker's precache picks it up as new and drops the old one, and a browser never mixes the
 * weights of one model with the topology of another.
 *
 * The app learns the URL and the manifest from the virtual module `virtual:digitlens-model`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Plugin } from 'vite';

const VIRTUAL_ID = 'virtual:digitlens-model';
const RESOLVED_ID = '\0' + VIRTUAL_ID;

export interface ModelFiles {
  dir: string;
  /** First 16 hex digits of the SHA-256 over the files (name and content). */
  hash: string;
  /** File name -> content. */
  files: Map<string, Buffer>;
  manifest: Record<string, unknown>;
}

function fail(message: string): never {
  throw new Error(`digitlens model: ${message}`);
}

/** Reads and checks a model directory: model.json, its weight files and manifest.json. */
export function readModelDir(dir: string): ModelFiles {
  const modelJsonPath = join(dir, 'model.json');
  if (!existsSync(modelJsonPath)) {
    fail(
      `Expected a TensorFlow.js layers model (model.json) in ${dir} but found none. ` +
        'Train one with `npm run train`, or point DIGITLENS_MODEL_DIR at a model directory.',
    );
  }
  const files = new Map<string, Buffer>();
  const modelJson = readFileSync(modelJsonPath);
  files.set('model.json', modelJson);
  let parsed: { weightsManifest?: { paths: string[] }[] };
  try {
    parsed = JSON.parse(modelJson.toString('utf8'));
  } catch (error) {
    fail(`Expected JSON in ${modelJsonPath} but it does not parse (${(error as Error).message})`);
  }
  for (const group of parsed.weightsManifest ?? []) {
    for (const path of group.paths) {
      if (path.includes('/') || path.includes('\\'))
        fail(`Expected a plain file name for a weights path but received ${path}`);
      const file = join(dir, path);
      if (!existsSync(file))
        fail(`Expected the weights file ${path} that model.json lists in ${dir} but it is missing`);
      files.set(path, readFileSync(file));
    }
  }
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) fail(`Expected manifest.json beside model.json in ${dir} but found none`);
  const manifestBytes = readFileSync(manifestPath);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as Record<string, unknown>;
  // The manifest lists the SHA-256 of each file: a mismatch means a half-copied or hand-edited model.
  const listed = (manifest.files ?? {}) as Record<string, string>;
  for (const [name, content] of files) {
    const want = listed[name];
    if (want === undefined) continue;
    const got = createHash('sha256').update(content).digest('hex');
    if (got !== want) fail(`Expected sha256 ${want} for ${name} (manifest.json) but the file has ${got}`);
  }
  files.set('manifest.json', manifestBytes);
  const h = createHash('sha256');
  for (const name of [...files.keys()].sort()) h.update(name).update('\0').update(files.get(name)!);
  return { dir, hash: h.digest('hex').slice(0, 16), files, manifest };
}

export function modelPlugin(dir: string): Plugin {
  let model: ModelFiles | null = null;
  const load = () => (model ??= readModelDir(dir));
  const base = () => `model/${load().hash}/`;
  return {
    name: 'digitlens-model',
    resolveId(id) {
      return id === VIRTUAL_ID ? RESOLVED_ID : null;
    },
    load(id) {
      if (id !== RESOLVED_ID) return null;
      const m = load();
      const info = { hash: m.hash, path: base(), name: String(m.manifest.name ?? 'model') };
      return `export const MODEL = ${JSON.stringify(info)};`;
    },
    buildStart() {
      const m = load();
      this.addWatchFile(join(m.dir, 'model.json'));
    },
    generateBundle() {
      const m = load();
      for (const [name, source] of m.files) {
        this.emitFile({ type: 'asset', fileName: `${base()}${name}`, source: new Uint8Array(source) });
      }
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0];
        const prefix = `/${base()}`;
        if (!url.startsWith(prefix)) return next();
        const file = load().files.get(url.slice(prefix.length));
        if (!file) return next();
        res.setHeader(
          'Content-Type',
          url.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        );
        res.end(file);
      });
    },
  };
}

/** Where the model comes from: DIGITLENS_MODEL_DIR (relative to the repository root) or models/default. */
export function modelDirFromEnv(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DIGITLENS_MODEL_DIR || 'models/default';
  return isAbsolute(dir) ? dir : join(root, dir);
}
