// The installable app: the manifest and its icons, the service worker (registers, serves
// the shell offline), the "new version, reload" prompt after an upgrade, and (push.test)
// what a notification click opens.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
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
});
