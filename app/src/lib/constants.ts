/** App-wide constants, in one place (GUIDE: constants in UPPER_SNAKE). */
import { defaultReadPageOptions } from '../../../preprocess/read-page.ts';

/** Backends in ladder order: fastest first, and the ladder always ends in one that cannot fail. */
export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendChoice = 'auto' | BackendName;

/** The worker is terminated after this long without a call (its tfjs and model go with it). */
export const WORKER_IDLE_MS = 60_000;

/** Camera frames are shrunk to at most this many pixels on their longer side before reading. */
export const FRAME_MAX_SIDE = 640;

/** A digit whose probability is under this is flagged for review: `npm run read`'s --min-confidence. */
export const REVIEW_BELOW = defaultReadPageOptions.minConfidence;

/** Page reading layouts: the shared reader's, as `npm run read` names them. */
export { LAYOUTS, type Layout, type PageLayout } from '../../../preprocess/read-page.ts';

/** Thumbnails of uploaded pages: longer side, pixels. */
export const THUMB_SIDE = 360;

/** Largest upload accepted (bytes): a decoded 100 MB photo would not fit a phone's memory anyway. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

export const SETTINGS_KEY = 'digitlens.settings.v1';
