/** Everything the components share, made once in main.ts and passed down (no module singletons). */
import type { CameraController } from './state/camera.svelte.ts';
import type { DrawController } from './state/draw.svelte.ts';
import type { EngineState } from './state/engine.svelte.ts';
import type { PwaState } from './state/pwa.svelte.ts';
import type { Router } from './state/router.svelte.ts';
import type { Settings } from './state/settings.svelte.ts';
import type { UploadController } from './state/upload.svelte.ts';

export interface AppServices {
  model: { hash: string; path: string; name: string };
  settings: Settings;
  router: Router;
  engine: EngineState;
  camera: CameraController;
  draw: DrawController;
  upload: UploadController;
  pwa: PwaState;
}
