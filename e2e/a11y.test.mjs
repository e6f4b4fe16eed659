// Accessibility (issue 19): axe-core finds no WCAG 2.1 A/AA or best-practice violation on
// any page, in both themes, on the desktop and on a phone — signed out, in the chat with
// messages, members and a call, in every settings section, search, notifications, help and
// the channel browser.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  IrcBot,
  axeViolations,
  chatInput,
  launchBrowser,
  newPage,
  registerAndConnect,
  requireTools,
  startDaemon,
  startIrcd,
  stopAll,
  until,
} from './lib/harness.mjs';

const skip = requireTools();

/** Fails with every violation on the page as it is now. */
async function clean(page, what) {
  const v = await axeViolations(page);
  assert.deepEqual(v, [], `${what}: ${v.length} axe violation(s)\n${v.join('\n')}`);
}

describe('accessibility', { skip: skip ?? false, timeout: 180_000 }, () => {
  let ircd, daemon, browser, page, bot;

  before(async () => {
    [ircd, browser] = await Promise.all([startIrcd(), launchBrowser()]);
    daemon = await startDaemon();
    page = await newPage(browser);
    await registerAndConnect(page, { url: daemon.url, email: 'ann@example.com', nick: 'ann', channel: '#axe', ircPort: ircd.port });
    bot = await IrcBot.connect(ircd.port, 'ben');
    await bot.join('#axe');
    bot.say('#axe', 'hello ann, see https://example.org/ and *this*');
    bot.say('#axe', 'ann: a mention');
    bot.send('PRIVMSG #axe :\u0001ACTION waves\u0001');
    await page.locator('.msg', { hasText: 'waves' }).waitFor();
  });

  after(async () => {
    bot?.close();
    await stopAll();
  });

  test('signed-out pages', async () => {
    const anon = await newPage(browser);
    for (const p of ['/login', '/register']) {
      await anon.goto(daemon.url + p);
      await anon.locator('main, form').first().waitFor();
      await clean(anon, p);
    }
    await anon.context().close();
  });

  test('the chat, with messages, members and the quick switcher, in both themes', async () => {
    await chatInput(page).waitFor();
    await clean(page, 'chat (light)');
    await page.keyboard.press('Control+k');
    await page.getByRole('dialog').waitFor();
    await clean(page, 'quick switcher');
    await page.keyboard.press('Escape');
    await page.emulateMedia({ colorScheme: 'dark' });
    await clean(page, 'chat (dark)');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('every other page', async () => {
    const url = page.url();
    const pages = [
      ['/settings/account', 'h2'],
      ['/settings/display', 'h2'],
      ['/settings/files', 'h1'],
      ['/settings/admin', 'h2'],
      ['/search?q=hello', 'p.hint'],
      ['/notifications', 'h1'],
      ['/help', 'h1'],
      ['/connect', 'form'],
    ];
    const [conn] = await page.evaluate(() => fetch('/api/connections').then((r) => r.json()).then((j) => j.connections));
    pages.push([`/settings/connection/${encodeURIComponent(conn.connection_id)}`, 'form']);
    for (const [p, sel] of pages) {
      await page.goto(daemon.url + p);
      await page.locator(sel).first().waitFor();
      await clean(page, p);
    }
    await page.goto(`${daemon.url}/channels/${encodeURIComponent(conn.connection_id)}`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await page.getByText('#axe').first().waitFor({ timeout: 15_000 });
    await clean(page, 'channel browser');
    await page.goto(url);
  });

  test('a phone', async () => {
    const phone = await newPage(browser, {
      storageState: await page.context().storageState(),
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await phone.goto(page.url());
    await chatInput(phone).waitFor();
    await clean(phone, 'phone chat');
    await phone.getByRole('button', { name: /^Show conversations/ }).click();
    await until(async () => (await phone.locator('nav.sidebar').isVisible()), { what: 'the drawer' });
    await clean(phone, 'phone drawer');
    await phone.context().close();
  });
});
