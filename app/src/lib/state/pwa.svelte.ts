/** Service worker state: offline-ready and update-available, as the PWA plugin reports them. */
import { registerSW } from 'virtual:pwa-register';

export class PwaState {
  offlineReady = $state(false);
  needRefresh = $state(false);
  error = $state('');
  private update: ((reload?: boolean) => Promise<void>) | null = null;

  register(): void {
    if (!('serviceWorker' in navigator)) return;
    this.update = registerSW({
      immediate: true,
      onOfflineReady: () => {
        this.offlineReady = true;
      },
      onNeedRefresh: () => {
        this.needRefresh = true;
      },
      onRegisterError: (error: unknown) => {
        this.error = error instanceof Error ? error.message : String(error);
      },
    });
  }

  /** Activates the waiting service worker (new app or model) and reloads. */
  async refresh(): Promise<void> {
    await this.update?.(true);
  }

  dismiss(): void {
    this.offlineReady = false;
    this.needRefresh = false;
  }
}
