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

// ---------------------------------------------------------------------------------------
// Web Push. The payload (decrypted by the browser) is `wire::Push`:
// {kind, title, body, connection_id, conversation_id, message_id, path, tag, sound}.

/** Shows a push; returns the promise the push event waits for. */
self.showPush = (push) =>
  self.registration.showNotification(push.title || 'Convos', {
    body: push.body || (push.kind === 'call' ? 'Tap to answer' : ''),
    tag: push.tag || undefined,
    renotify: Boolean(push.tag),
    silent: push.sound === false,
    requireInteraction: push.kind === 'call',
    icon: url('icons/icon-192.png'),
    badge: url('icons/maskable-192.png'),
    data: { path: typeof push.path === 'string' ? push.path : '/' },
  });

self.addEventListener('push', (event) => {
  let push;
  try {
    push = event.data ? event.data.json() : null;
  } catch {
    push = null;
  }
  event.waitUntil(self.showPush(push || { title: 'Convos', body: 'Something new', path: '/' }));
});

/**
 * Opens the app at `path` (an app path such as `/chat/irc-x/%23room?around=1`): an open
 * window of the app is focused and told where to go, else a new one opens there.
 * Returns what was done, for the tests.
 */
self.openPath = async (path) => {
  const safe = typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') ? path : '/';
  const target = url(safe.slice(1));
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const app = windows.find((w) => w.url.startsWith(url('')));
  if (app) {
    app.postMessage({ type: 'open', path: safe });
    if ('focus' in app) await app.focus().catch(() => {});
    return { focused: app.url, path: safe };
  }
  await self.clients.openWindow(target);
  return { opened: target, path: safe };
};

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  event.waitUntil(self.openPath(data.path));
});
