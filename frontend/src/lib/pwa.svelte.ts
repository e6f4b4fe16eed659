//! The installable app's page side: registers the service worker (/sw.js under the base
//! path), notices when a newer bundle's worker is waiting ("new version, reload") and
//! swaps to it on request. The worker itself is frontend/public/sw.js.

import { basePath, withBase } from './base';

class Pwa {
  /** A newer version is installed and waits for a reload. */
  updateReady = $state(false);
  registration: ServiceWorkerRegistration | null = null;
  private reloading = false;

  /**
   * Registers the worker; harmless where service workers do not exist (http, old
   * browsers). `open` gets the app paths a clicked notification asks for.
   */
  async start(open: (path: string) => void = () => {}): Promise<void> {
    const sw = typeof navigator === 'undefined' ? undefined : navigator.serviceWorker;
    if (!sw) return;
    sw.addEventListener('controllerchange', () => {
      if (this.reloading) location.reload();
    });
    sw.addEventListener('message', (e: MessageEvent) => {
      const d = e.data as { type?: string; path?: unknown } | null;
      if (d?.type === 'open' && typeof d.path === 'string' && d.path.startsWith('/') && !d.path.startsWith('//')) open(d.path);
    });
    try {
      const reg = await sw.register(withBase('/sw.js'), { scope: basePath() });
      this.registration = reg;
      if (reg.waiting && sw.controller) this.updateReady = true;
      reg.addEventListener('updatefound', () => {
        const w = reg.installing;
        w?.addEventListener('statechange', () => {
          // With no controller this is the first install, not an update.
          if (w.state === 'installed' && sw.controller) this.updateReady = true;
        });
      });
    } catch {
      // No worker (private mode, blocked): the app works online as before.
    }
  }

  /** Asks the server for a newer worker (after a reconnect: the daemon may be upgraded). */
  check(): void {
    void this.registration?.update().catch(() => {});
  }

  /** Activates the waiting version, then reloads the page on it. */
  reload(): void {
    const waiting = this.registration?.waiting;
    if (!waiting) {
      location.reload();
      return;
    }
    this.reloading = true;
    waiting.postMessage({ type: 'skip-waiting' });
  }
}

export const pwa = new Pwa();
