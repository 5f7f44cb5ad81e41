/** The user's settings, kept in localStorage; URL parameters override them for one visit. */
import {
  BACKENDS,
  LAYOUTS,
  REVIEW_BELOW,
  SETTINGS_KEY,
  type BackendChoice,
  type Layout,
} from '../constants.ts';

export const RESOLUTIONS = ['640x480', '1280x720', '1920x1080'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

interface Stored {
  backend: BackendChoice;
  layout: Layout;
  reviewBelow: number;
  resolution: Resolution;
}

const isBackend = (v: unknown): v is BackendChoice =>
  v === 'auto' || (BACKENDS as readonly unknown[]).includes(v);
const isLayout = (v: unknown): v is Layout => (LAYOUTS as readonly unknown[]).includes(v);
const isResolution = (v: unknown): v is Resolution => (RESOLUTIONS as readonly unknown[]).includes(v);

export class Settings {
  backend = $state<BackendChoice>('auto');
  layout = $state<Layout>('auto');
  reviewBelow = $state(REVIEW_BELOW);
  resolution = $state<Resolution>('640x480');
  /** Set by ?backend=...: this visit only, not saved. */
  backendFromUrl = $state(false);

  constructor(private readonly storage: Storage | null) {}

  /** Reads the stored settings, then the URL's (?backend=wasm). */
  load(search: string): this {
    try {
      const stored = JSON.parse(this.storage?.getItem(SETTINGS_KEY) ?? '{}') as Partial<Stored>;
      if (isBackend(stored.backend)) this.backend = stored.backend;
      if (isLayout(stored.layout)) this.layout = stored.layout;
      if (typeof stored.reviewBelow === 'number' && stored.reviewBelow >= 0 && stored.reviewBelow <= 1) {
        this.reviewBelow = stored.reviewBelow;
      }
      if (isResolution(stored.resolution)) this.resolution = stored.resolution;
    } catch {
      // Unreadable settings are as good as none.
    }
    const fromUrl = /[?&]backend=([a-z]+)/.exec(search)?.[1];
    if (isBackend(fromUrl)) {
      this.backend = fromUrl;
      this.backendFromUrl = true;
    }
    return this;
  }

  save(): void {
    const stored: Stored = {
      backend: this.backend,
      layout: this.layout,
      reviewBelow: this.reviewBelow,
      resolution: this.resolution,
    };
    try {
      this.storage?.setItem(SETTINGS_KEY, JSON.stringify(stored));
    } catch {
      // Private mode or a full disk: the settings last for this visit.
    }
  }
}
