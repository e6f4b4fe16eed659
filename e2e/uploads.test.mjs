// Sharing files from the browser: pasting a screenshot and dropping a file on the
// conversation upload them and send their links to IRC; the image shows a thumbnail; the
// links open logged out; a long message becomes a paste link when the user says so;
// Settings → Files lists and deletes them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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

describe('uploads', { skip: skip ?? false, timeout: 120_000 }, () => {
  let ircd, daemon, browser, page, bot;

  before(async () => {
    [ircd, browser] = await Promise.all([startIrcd(), launchBrowser()]);
    daemon = await startDaemon();
    page = await newPage(browser);
    await registerAndConnect(page, { url: daemon.url, email: 'admin@example.com', nick: 'uma', channel: '#share', ircPort: ircd.port });
    bot = await IrcBot.connect(ircd.port, 'vic');
    await bot.join('#share');
  });

  after(async () => {
    bot?.close();
    await stopAll();
  });

  const seen = new Set();
  /** Waits for a new line the bot gets from uma with a file link, and returns the link. */
  async function linkOnIrc() {
    const line = await bot.waitFor((l) => l.includes('PRIVMSG #share :') && l.includes('/file/') && !seen.has(l));
    seen.add(line);
    const url = line.split('PRIVMSG #share :')[1].trim();
    assert.match(url, new RegExp(`^${daemon.url}/file/[A-Za-z0-9_-]{22}$`));
    return url;
  }

  test('a pasted screenshot is uploaded, linked on IRC and shown as a thumbnail', async () => {
    await page.locator('#chat-input').click();
    await page.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 60;
      canvas.height = 30;
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#d00';
      ctx.fillRect(0, 0, 60, 30);
      const blob = await new Promise((r) => canvas.toBlob(r, 'image/png'));
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'image.png', { type: 'image/png' }));
      const ev = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
      document.querySelector('#chat-input').dispatchEvent(ev);
    });
    const url = await linkOnIrc();
    await messageRow(page, url).waitFor();
    const thumb = page.locator(`a.thumb[href="${url}"] img`);
    await thumb.waitFor();
    await page.waitForFunction((u) => {
      const img = document.querySelector(`a.thumb[href="${u}"] img`);
      return img && img.complete && img.naturalWidth === 60;
    }, url);
    const res = await fetch(url); // no cookies: as someone on IRC
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.match(res.headers.get('content-security-policy'), /^sandbox/);
  });

  test('a file dropped on the conversation is uploaded and its link sent', async () => {
    const dt = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['stack trace\n  at main\n'], 'trace.txt', { type: 'text/plain' }));
      return dt;
    });
    await page.dispatchEvent('main.main', 'dragover', { dataTransfer: dt });
    await page.dispatchEvent('main.main', 'drop', { dataTransfer: dt });
    const url = await linkOnIrc();
    await messageRow(page, url).waitFor();
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'stack trace\n  at main\n');
    // Not an image: no thumbnail shown, and no failed request in the console.
    const thumb = page.locator(`a.thumb[href="${url}"]`);
    await until(async () => (await thumb.count()) === 1 && (await thumb.evaluate((a) => a.hidden)), { what: 'the empty thumbnail hidden' });
    assert.deepEqual(page.errors.filter((e) => /status of 404/.test(e)), []);
  });

  test('a long message is offered as a paste: yes sends a link, no sends the lines', async () => {
    const input = page.locator('#chat-input');
    await input.fill('one\ntwo <b>\nthree\nfour\nfive');
    await input.press('Enter');
    await page.getByRole('alertdialog', { name: 'Send as a paste?' }).getByText('This message has 5 lines.').waitFor();
    await page.getByRole('button', { name: 'Send as a paste' }).click();
    const line = await bot.waitFor((l) => l.includes('PRIVMSG #share :') && l.includes('/paste/'));
    const url = line.split('PRIVMSG #share :')[1].trim();
    const html = await (await fetch(url)).text();
    assert.equal(html.split('<li>').length - 1, 5);
    assert.ok(html.includes('two &lt;b&gt;'), html);

    await input.fill('alpha\nbeta\ngamma\ndelta');
    await input.press('Enter');
    await page.getByRole('button', { name: 'Send 4 lines' }).click();
    await bot.waitFor((l) => l.includes('PRIVMSG #share :delta'));
    for (const w of ['alpha', 'beta', 'gamma']) assert.ok(bot.lines.some((l) => l.includes(`PRIVMSG #share :${w}`)), w);
    // Three lines or fewer go out without asking.
    await input.fill('short\nnote');
    await input.press('Enter');
    await bot.waitFor((l) => l.includes('PRIVMSG #share :note'));
  });

  test('Settings → Files lists the uploads and deletes one', async () => {
    await page.goto(`${daemon.url}/settings/files`);
    const rows = page.locator('table.files tbody tr');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 3, 'the image, the text file and the paste');
    const link = await page.locator('table.files a', { hasText: 'trace.txt' }).getAttribute('href');
    await page.getByRole('button', { name: 'Delete trace.txt' }).click();
    await page.getByText('Deleted trace.txt.').waitFor();
    await until(async () => (await rows.count()) === 2, { what: 'the list without it' });
    assert.equal((await fetch(link)).status, 404);
  });
});
