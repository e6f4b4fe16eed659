// The service worker. The daemon serves it as /sw.js after a line that sets
// `self.CONVOS = {version, base, shell}` (src/web/pwa.rs): the bundle's version names the
// cache, `shell` lists what the app needs to start without a network.
//
// - install: store the shell under the version; wait (the page offers "reload").
// - activate: drop older caches; take open pages on the very first install.
// - fetch: navigations network first, the stored index.html when offline; the shell's
//   files from the cache; everything else (API, events, uploads) is not touched.
// - push / notificationclick: see the end of this file.
'use strict';

const CONFIG = self.CONVOS || { version: 'dev', base: '/', shell: [''] };
const CACHE = `convos-shell-${CONFIG.version}`;
const url = (p) => new URL(CONFIG.base + p, self.location.origin).href;
const SHELL = new Set(CONFIG.shell.map(url));
const INDEX = url('');

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // One by one: a missing file must not lose the others.
      for (const href of SHELL) {
        try {
          const res = await fetch(href, { cache: 'no-cache', credentials: 'same-origin' });
          if (res.ok) await cache.put(href, res);
        } catch {
          // offline during install: the next update check tries again
        }
      }
      // The first worker takes over at once; later ones wait for the page's "reload".
      if (!self.registration.active) await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith('convos-shell-') && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  if (req.mode === 'navigate') {
    event.respondWith(
      (async () => {
        try {
          return await fetch(req);
        } catch (e) {
          const cached = await caches.match(INDEX, { cacheName: CACHE });
          if (cached) return cached;
          throw e;
        }
      })(),
    );
    return;
  }
  const href = req.url.split('#')[0];
  if (!SHELL.has(href)) return;
  event.respondWith(
    (async () => {
      const cached = await caches.match(href, { cacheName: CACHE });
      return cached || fetch(req);
    })(),
  );
});
