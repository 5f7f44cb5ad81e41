/**
 * Chromium for the browser suite: Debian's /usr/bin/chromium driven by playwright-core, headless, with
 * nothing phoning home, a fake camera playing the committed y4m, and SwiftShader for WebGL and WebGPU
 * (correct but slow: these runs prove correctness, never speed).
 */
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CAMERA_Y4M = fileURLToPath(new URL('./fixtures/camera.y4m', import.meta.url));

const QUIET = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

export interface LaunchOptions {
  /** Feed this y4m as the camera (permission granted). */
  camera?: string;
  /** Expose WebGPU (SwiftShader adapter). WebGL falls back to SwiftShader by itself. */
  webgpu?: boolean;
}

export function launch(options: LaunchOptions = {}): Promise<Browser> {
  const args = [...QUIET];
  if (options.camera) {
    args.push(
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${options.camera}`,
    );
  }
  if (options.webgpu) args.push('--enable-unsafe-webgpu');
  return chromium.launch({ executablePath: CHROMIUM, args, headless: true });
}

export interface Watch {
  /** Requests that went anywhere but the app's origin. */
  foreign: string[];
  /** Console errors and uncaught page errors (CSP violations show up here). */
  errors: string[];
}

/** Records requests leaving the origin (from pages, workers and the service worker) and page errors. */
export function watch(context: BrowserContext, baseUrl: string): Watch {
  const origin = new URL(baseUrl).origin;
  const w: Watch = { foreign: [], errors: [] };
  const allowed = (url: string) =>
    url.startsWith(origin + '/') || /^(data|blob|about|chrome-extension|mediastream):/.test(url);
  context.on('request', (request) => {
    if (!allowed(request.url())) w.foreign.push(request.url());
  });
  const onPage = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') w.errors.push(m.text());
    });
    page.on('pageerror', (e) => w.errors.push(e.message));
  };
  context.pages().forEach(onPage);
  context.on('page', onPage);
  return w;
}

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };
