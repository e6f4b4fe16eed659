// The installable app: the manifest and its icons, the service worker (registers, serves
// the shell offline), the "new version, reload" prompt after an upgrade, push devices in
// the settings, and what a push shows and its click opens (the worker's own handlers).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  apiFor,
  launchBrowser,
  newPage,
  registerAndConnect,
  requireTools,
  restartDaemon,
  startDaemon,
  startIrcd,
  stopAll,
  until,
} from './lib/harness.mjs';

const skip = requireTools();

/** Width and height from a PNG's IHDR chunk. */
function pngSize(buf) {
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG');
  return `${buf.readUInt32BE(16)}x${buf.readUInt32BE(20)}`;
}

describe('installable app', { skip: skip ?? false, timeout: 120_000 }, () => {
  let ircd, daemon, browser, page;

  before(async () => {
    [ircd, browser] = await Promise.all([startIrcd(), launchBrowser()]);
    daemon = await startDaemon();
    page = await newPage(browser);
    await registerAndConnect(page, { url: daemon.url, email: 'pwa@example.com', nick: 'pia', channel: '#pwa', ircPort: ircd.port });
  });

  after(async () => {
    await stopAll();
  });

  test('the manifest names the organisation and its icons are there', async () => {
    const href = await page.locator('link[rel=manifest]').getAttribute('href');
    assert.equal(href, '/manifest.webmanifest');
    const r = await fetch(new URL(href, daemon.url));
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/manifest\+json/);
    const m = await r.json();
    assert.equal(m.name, 'Convos');
    assert.equal(m.display, 'standalone');
    assert.equal(m.start_url, '/');
    assert.equal(m.scope, '/');
    assert.match(m.theme_color, /^#[0-9a-f]{6}$/);
    assert.match(m.background_color, /^#[0-9a-f]{6}$/);
    const png = m.icons.filter((i) => i.type === 'image/png');
    for (const want of ['any 192x192', 'any 512x512', 'maskable 192x192', 'maskable 512x512']) {
      assert.ok(png.some((i) => `${i.purpose} ${i.sizes}` === want), `icon ${want}`);
    }
    for (const icon of m.icons) {
      const res = await fetch(new URL(icon.src, daemon.url));
      assert.equal(res.status, 200, icon.src);
      assert.equal(res.headers.get('content-type'), icon.type, icon.src);
      const body = Buffer.from(await res.arrayBuffer());
      if (icon.type === 'image/png') assert.equal(pngSize(body), icon.sizes, icon.src);
    }
    const touch = await page.locator('link[rel=apple-touch-icon]').getAttribute('href');
    assert.equal(pngSize(Buffer.from(await (await fetch(new URL(touch, daemon.url))).arrayBuffer())), '180x180');
  });

  test('the service worker registers and the app opens offline', async () => {
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, `${daemon.url}/`);
    await until(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { what: 'the page to be controlled' });
    await page.context().setOffline(true);
    try {
      await page.reload();
      await page.getByText(/Offline — reconnecting/).waitFor();
      assert.equal(await page.evaluate(() => document.title), 'Convos');
    } finally {
      await page.context().setOffline(false);
    }
    // Back online: the app signs in again by itself.
    await page.locator('.chat h1', { hasText: '#pwa' }).waitFor({ timeout: 20_000 });
  });

  test('a new bundle offers a reload', async () => {
    const before = await page.evaluate(async () => (await fetch('/sw.js')).text());
    daemon.env = { ...daemon.env, CONVOS_RELOAD_TAG: 'two' };
    await restartDaemon(daemon);
    const prompt = page.getByRole('status').filter({ hasText: 'A new version of Convos is ready' });
    await prompt.waitFor({ timeout: 30_000 });
    await prompt.getByRole('button', { name: 'Reload' }).click();
    await page.waitForEvent('load');
    await page.locator('.chat h1', { hasText: '#pwa' }).waitFor({ timeout: 20_000 });
    assert.equal(await prompt.count(), 0);
    const after = await page.evaluate(async () => (await fetch('/sw.js')).text());
    assert.notEqual(before, after);
    assert.match(after, /"version":"[0-9a-f]{16}-two"/);
    assert.deepEqual(page.errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED|WebSocket/.test(e)), []);
  });

  test('push devices are listed and removable in the settings', async () => {
    const api = await apiFor(page.context(), daemon.url);
    const key = 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4';
    await api.post('/api/push/devices', {
      endpoint: 'https://push.example/e2e-phone',
      keys: { p256dh: key, auth: 'BTBZMqHH6r4Tts7J_aSIgg' },
      name: 'Firefox on Android',
    });
    await page.goto(`${daemon.url}/settings/account`);
    const section = page.locator('section', { has: page.getByRole('heading', { name: 'Push notifications' }) });
    await section.getByRole('button', { name: 'Enable push on this device' }).waitFor();
    await section.getByText('Firefox on Android').waitFor();
    page.acceptDialogs = true;
    await section.getByRole('button', { name: 'Remove Firefox on Android' }).click();
    await until(async () => (await section.getByText('Firefox on Android').count()) === 0, { what: 'the device to go' });
    assert.deepEqual((await api.get('/api/push')).devices, []);
  });

  test('a push is shown and its click opens the conversation at the message', async () => {
    const context = page.context();
    await context.grantPermissions(['notifications'], { origin: daemon.url });
    await page.goto(`${daemon.url}/settings/account`);
    await until(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { what: 'the page to be controlled' });
    const worker = context.serviceWorkers().find((w) => w.url().endsWith('/sw.js'));
    assert.ok(worker, 'the service worker is running');
    const cid = page.url() && (await apiFor(context, daemon.url).then((a) => a.get('/api/connections'))).connections[0].connection_id;
    const path = `/chat/${encodeURIComponent(cid)}/${encodeURIComponent('#pwa')}?around=1`;
    const shown = await worker.evaluate(async (p) => {
      await self.showPush({ kind: 'highlight', title: 'bot in #pwa', body: 'pia: look', connection_id: p.cid,
        conversation_id: '#pwa', message_id: 1, path: p.path, tag: 'msg:x/#pwa', sound: true });
      const [n] = await self.registration.getNotifications({ tag: 'msg:x/#pwa' });
      return n ? { title: n.title, body: n.body, path: n.data.path } : null;
    }, { cid, path });
    assert.deepEqual(shown, { title: 'bot in #pwa', body: 'pia: look', path });
    // The click handler: the open window is told where to go (no foreign paths).
    const done = await worker.evaluate((p) => self.openPath(p), path);
    assert.equal(done.path, path);
    await page.waitForURL((u) => u.pathname.endsWith('/%23pwa') && u.search === '?around=1');
    await page.locator('.chat h1', { hasText: '#pwa' }).waitFor();
    assert.equal((await worker.evaluate(() => self.openPath('//evil.example/x'))).path, '/');
  });

  test('a conversation is muted from its menu, on every open device', async () => {
    await page.goto(`${daemon.url}/chat`);
    await page.locator('.chat h1', { hasText: '#pwa' }).waitFor();
    const other = await page.context().newPage();
    await other.goto(`${daemon.url}/settings/account`);
    const link = other.locator('.sidebar a.conv', { hasText: 'pwa' });
    await link.waitFor();
    assert.doesNotMatch(await link.getAttribute('aria-label'), /muted/);
    await page.getByRole('button', { name: 'Notifications for this conversation' }).click();
    const menu = page.getByRole('dialog', { name: 'Notifications' });
    await menu.getByRole('button', { name: 'For 1 hour' }).click();
    await menu.getByText(/^Muted until/).waitFor();
    // The other page follows through the conversation event.
    await until(async () => /muted/.test(await link.getAttribute('aria-label')), { what: 'the other page to show the mute' });
    await menu.getByRole('button', { name: 'Unmute' }).click();
    await menu.getByLabel('Nothing').check();
    const api = await apiFor(page.context(), daemon.url);
    await until(async () => {
      const { conversations } = await api.get('/api/conversations');
      const c = conversations.find((x) => x.conversation_id === '#pwa');
      return c?.notify.level === 'none' && c.notify.mute_until === null;
    }, { what: 'the level to be stored' });
    await other.close();
    // The quiet hours form saves in the browser's time zone.
    await page.goto(`${daemon.url}/settings/account`);
    const quiet = page.locator('section', { has: page.getByRole('heading', { name: 'Quiet hours' }) });
    await quiet.getByLabel('No push notifications during quiet hours').check();
    await quiet.getByRole('button', { name: 'Save quiet hours' }).click();
    await quiet.getByText('Saved.').waitFor();
    const me = await api.get('/api/user');
    assert.equal(me.quiet_hours.enabled, true);
    assert.equal(me.quiet_hours.start, '23:00');
  });
});
