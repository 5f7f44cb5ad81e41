/** Entry: builds the app's services, mounts the shell, registers the service worker. */
import { mount } from 'svelte';
import { MODEL } from 'virtual:digitlens-model';
import App from './App.svelte';
import './app.css';
import { debugApi } from './lib/debug-api.ts';
import type { AppServices } from './lib/services.ts';
import { CameraController } from './lib/state/camera.svelte.ts';
import { DrawController } from './lib/state/draw.svelte.ts';
import { EngineState } from './lib/state/engine.svelte.ts';
import { PwaState } from './lib/state/pwa.svelte.ts';
import { Router } from './lib/state/router.svelte.ts';
import { Settings } from './lib/state/settings.svelte.ts';
import { UploadController } from './lib/state/upload.svelte.ts';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const settings = new Settings(storage()).load(location.search);
const engine = new EngineState(settings, `${MODEL.path}model.json`);
const services: AppServices = {
  model: MODEL,
  settings,
  router: new Router(),
  engine,
  camera: new CameraController(engine, settings),
  draw: new DrawController(engine),
  upload: new UploadController(engine, settings),
  pwa: new PwaState(),
};

const target = document.getElementById('app');
if (!target) throw new Error('Expected an element #app in index.html but found none');
mount(App, { target, props: { services } });
services.pwa.register();
(window as unknown as { digitlens: unknown }).digitlens = debugApi(services);
