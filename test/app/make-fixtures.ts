/**
 * Regenerates the committed fake-camera video, test/app/fixtures/camera.y4m (see scenes.ts):
 *   npx tsx test/app/make-fixtures.ts
 */
import { fileURLToPath } from 'node:url';
import { CAMERA_FPS, CAMERA_FRAMES, cameraFrame, writeY4m } from './scenes.ts';

export const CAMERA_Y4M = fileURLToPath(new URL('./fixtures/camera.y4m', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const frames = Array.from({ length: CAMERA_FRAMES }, (_, i) => cameraFrame(i));
  writeY4m(CAMERA_Y4M, frames, CAMERA_FPS);
  console.log(`wrote ${CAMERA_Y4M}: ${frames.length} frames`);
}
