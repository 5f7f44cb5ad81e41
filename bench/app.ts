/**
 * The app's per-frame latency in Chromium: a 640x480 camera frame (MNIST digits on synthetic paper)
 * read by the inference worker as camera mode reads it, per backend of the ladder. The figure is the
 * worker's locate + normalize + inference; the note breaks it down and adds the bitmap-to-grey decode
 * and the page's round trip (which includes the transfer and the queue).
 *
 *   npx tsx bench/app.ts              # prints the table (builds the app with models/default)
 *   import { runAppBench } from './app.ts'
 *
 * DIGITLENS_MODEL_DIR picks another model; DIGITLENS_APP_URL benchmarks an app already being served.
 * There is no GPU here: WebGL and WebGPU run on SwiftShader, so their figures measure a software
 * rasteriser, not a GPU. Medians of timed runs after warm-up runs, in one browser, one backend at a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { benchFrame, toPng } from '../test/app/scenes.ts';
import { formatRows, median, type BenchRow } from './bench-row.ts';

export interface AppBenchOptions {
  backends: string[];
  runs: number;
  warmup: number;
  chromium: string;
}

export const defaultAppBenchOptions: AppBenchOptions = {
  backends: ['wasm', 'webgl', 'webgpu', 'cpu'],
  runs: 30,
  warmup: 5,
  chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITE = fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url));

interface FrameBench {
  width: number;
  height: number;
  digits: number;
  decode: number[];
  locate: number[];
  infer: number[];
  total: number[];
  roundTrip: number[];
}

function vite(args: string[], wait: boolean): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITE, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    if (!wait) return resolve(child);
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(child) : reject(new Error(`vite ${args[0]} failed:\n${log.slice(-3000)}`)),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      server.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Builds and serves the app; returns its URL and a stopper. */
async function serveApp(): Promise<{ url: string; stop: () => void }> {
  if (process.env.DIGITLENS_APP_URL)
    return { url: process.env.DIGITLENS_APP_URL.replace(/\/?$/, '/'), stop: () => {} };
  await vite(['build', 'app', '--logLevel', 'warn'], true);
  const port = await freePort();
  const preview = await vite(
    ['preview', 'app', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    false,
  );
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(url)).ok) return { url, stop: () => preview.kill('SIGTERM') };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  preview.kill('SIGTERM');
  throw new Error(`vite preview did not answer at ${url}`);
}

const ms = (v: number) => v.toFixed(v < 10 ? 2 : 1);

export async function runAppBench(options: Partial<AppBenchOptions> = {}): Promise<BenchRow[]> {
  const o = { ...defaultAppBenchOptions, ...options };
  const png = await toPng(benchFrame());
  const app = await serveApp();
  const browser = await chromium.launch({
    executablePath: o.chromium,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--enable-unsafe-webgpu',
    ],
  });
  const rows: BenchRow[] = [];
  try {
    for (const backend of o.backends) {
      const page = await browser.newPage();
      // The model page loads the engine without opening a camera.
      await page.goto(`${app.url}?backend=${backend}#/model`);
      await page.waitForFunction(
        () => document.querySelector('[data-testid="backend"]')?.getAttribute('data-status') === 'ready',
        undefined,
        { timeout: 120_000 },
      );
      const active = (await page.getByTestId('backend').textContent())?.trim();
      const runs = backend === 'cpu' ? Math.min(o.runs, 10) : o.runs;
      const r = await page.evaluate(
        async ({ b64, runs, warmup }) => {
          const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' });
          const api = (
            window as unknown as {
              digitlens: { benchFrame(b: Blob, r: number, w: number): Promise<unknown> };
            }
          ).digitlens;
          return (await api.benchFrame(blob, runs, warmup)) as FrameBench;
        },
        { b64: png.toString('base64'), runs, warmup: o.warmup },
      );
      await page.close();
      const pipeline = r.locate.map((l, i) => l + r.infer[i]);
      const soft = backend === 'webgl' || backend === 'webgpu' ? ', SwiftShader (no GPU)' : '';
      rows.push({
        name: `frame ${r.width}x${r.height}, ${active}${active !== backend ? ` (asked ${backend})` : ''}`,
        medianMs: median(pipeline),
        runs,
        note:
          `locate+normalize ${ms(median(r.locate))} ms, infer ${ms(median(r.infer))} ms (${r.digits} digits); ` +
          `decode ${ms(median(r.decode))} ms; round trip ${ms(median(r.roundTrip))} ms; load ${loadavg()[0].toFixed(2)}${soft}`,
      });
    }
  } finally {
    await browser.close();
    app.stop();
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAppBench().then(
    (rows) => process.stdout.write(formatRows('app: per-frame latency in Chromium (640x480)', rows)),
    (error) => {
      process.stderr.write(`bench/app: ${(error as Error).stack ?? error}\n`);
      process.exit(1);
    },
  );
}
