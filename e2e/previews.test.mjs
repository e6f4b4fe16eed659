// Link previews in the browser: a link posted on IRC gets a card with the page's title and
// description as text (markup in them stays characters) and its image through the
// daemon's proxy; the site never sees the browser. A video link plays inline, through the
// daemon too. They can be hidden in one conversation or turned off in the settings.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import {
  IrcBot,
  launchBrowser,
  messageRow,
  newPage,
  registerAndConnect,
  requireTools,
  startDaemon,
  startIrcd,
  stopAll,
  until,
} from './lib/harness.mjs';

const skip = requireTools();

/** A 2×2 red PNG, built here (no binary fixtures). */
function png() {
  const crc = (buf) => {
    let c = ~0;
    for (const b of buf) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
  const raw = Buffer.from([0, 255, 0, 0, 255, 0, 0, 0, 255, 0, 0, 255, 0, 0]);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A short WebM recorded by Chromium itself (a canvas through MediaRecorder). */
async function recordClip(page) {
  const b64 = await page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 48;
    const ctx = canvas.getContext('2d');
    const stream = canvas.captureStream(30);
    const rec = new MediaRecorder(stream, { mimeType: 'video/webm' });
    const parts = [];
    rec.ondataavailable = (e) => parts.push(e.data);
    const done = new Promise((r) => (rec.onstop = r));
    rec.start();
    for (let i = 0; i < 30; i++) {
      ctx.fillStyle = `hsl(${i * 12}, 80%, 50%)`;
      ctx.fillRect(0, 0, 64, 48);
      await new Promise((r) => setTimeout(r, 33));
    }
    rec.stop();
    await done;
    const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  });
  return Buffer.from(b64, 'base64');
}

describe('link previews', { skip: skip ?? false, timeout: 120_000 }, () => {
  let ircd, daemon, browser, page, bot, site, sitePort, clip;
  const agents = [];

  before(async () => {
    site = http.createServer((req, res) => {
      agents.push(req.headers['user-agent'] ?? '');
      if (req.url === '/clip.webm') {
        res.writeHead(200, { 'content-type': 'video/webm', 'content-length': clip.length });
        res.end(clip);
        return;
      }
      if (req.url === '/red.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(png());
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<html><head><title>x</title>
        <meta property="og:title" content="&lt;img src=x onerror=alert(1)&gt; Big &lt;b&gt;news&lt;/b&gt;">
        <meta property="og:description" content="<script>window.pwned=1</script> read on">
        <meta property="og:image" content="/red.png"></head></html>`);
    });
    await new Promise((r) => site.listen(0, '127.0.0.1', r));
    sitePort = site.address().port;
    [ircd, browser] = await Promise.all([startIrcd(), launchBrowser()]);
    daemon = await startDaemon({ env: { CONVOS_FETCH_ALLOW: `127.0.0.1:${sitePort}` } });
    page = await newPage(browser);
    clip = await recordClip(page);
    await registerAndConnect(page, { url: daemon.url, email: 'admin@example.com', nick: 'wes', channel: '#links', ircPort: ircd.port });
    bot = await IrcBot.connect(ircd.port, 'xan');
    await bot.join('#links');
  });

  after(async () => {
    bot?.close();
    site?.close();
    await stopAll();
  });

  test('a card shows title and description as text and the image through the proxy', async () => {
    const link = `http://127.0.0.1:${sitePort}/article`;
    bot.say('#links', `look ${link}`);
    await messageRow(page, link).waitFor();
    const card = page.locator('details.preview');
    await card.waitFor();
    assert.equal(
      await card.locator('summary .title').textContent(),
      '<img src=x onerror=alert(1)> Big <b>news</b>',
    );
    assert.equal(await card.locator('.desc').textContent(), '<script>window.pwned=1</script> read on');
    assert.equal(await card.locator('b, script, img[src="x"]').count(), 0, 'no markup of the page became elements');
    const img = card.locator('img');
    assert.match(await img.getAttribute('src'), /^\/api\/preview\/image\?url=/);
    await page.waitForFunction(() => document.querySelector('details.preview img')?.naturalWidth === 2);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    // Every request the site saw came from the daemon, none from the browser.
    assert.ok(agents.length >= 2, `${agents}`);
    assert.ok(agents.every((a) => a.startsWith('Convos/')), `${agents}`);
    // Collapsible.
    await card.locator('summary').click();
    assert.equal(await card.evaluate((d) => d.open), false);
  });

  test('a video link plays inline, streamed by the daemon', async () => {
    const link = `http://127.0.0.1:${sitePort}/clip.webm`;
    const before = agents.length;
    bot.say('#links', `clip ${link}`);
    await messageRow(page, link).waitFor();
    const video = page.locator('details.preview video');
    await video.waitFor();
    assert.match(await video.getAttribute('src'), /^\/api\/preview\/video\?url=/);
    assert.equal(await video.getAttribute('preload'), 'none', 'nothing loads before play');
    await video.evaluate((v) => {
      v.muted = true;
      return v.play();
    });
    await until(() => video.evaluate((v) => v.videoWidth > 0 && v.currentTime > 0), { what: 'the video to play' });
    assert.ok(agents.slice(before).every((a) => a.startsWith('Convos/')), `${agents}`);
  });

  test('previews can be hidden in one conversation', async () => {
    const toggle = page.getByRole('button', { name: 'Hide link previews here' });
    await toggle.click();
    await until(async () => (await page.locator('details.preview').count()) === 0, { what: 'the card to go' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await toggle.click();
    await page.locator('details.preview').first().waitFor();
  });

  test('previews can be turned off in the settings', async () => {
    await page.goto(`${daemon.url}/settings/display`);
    await page.getByLabel('Off', { exact: true }).check();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.goBack();
    const link = `http://127.0.0.1:${sitePort}/other`;
    bot.say('#links', `and ${link}`);
    await messageRow(page, link).waitFor();
    assert.equal(await page.locator('details.preview').count(), 0);
  });
});
