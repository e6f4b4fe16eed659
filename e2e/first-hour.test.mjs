// The first hour (issue 19): typing is never lost, a skip link to the input, the unread
// dot on the phone's menu button, and the sign-in page's small helps.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  IrcBot,
  PASSWORD,
  apiFor,
  chatInput,
  launchBrowser,
  newPage,
  registerAndConnect,
  requireTools,
  say,
  screenshot,
  startDaemon,
  startIrcd,
  stopAll,
  until,
} from './lib/harness.mjs';

const skip = requireTools();

/** The id of the focused element, or its tag name. */
const focused = (page) => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || '');

describe('first hour', { skip: skip ?? false, timeout: 120_000 }, () => {
  let ircd, daemon, browser, page, bot;

  before(async () => {
    [ircd, browser] = await Promise.all([startIrcd(), launchBrowser()]);
    daemon = await startDaemon();
    page = await newPage(browser);
    await registerAndConnect(page, { url: daemon.url, email: 'fay@example.com', nick: 'fay', channel: '#first', ircPort: ircd.port });
    await say(page, '/join #second');
    await page.waitForURL(/%23second$/);
    bot = await IrcBot.connect(ircd.port, 'gus');
    await bot.join('#first');
  });

  after(async () => {
    bot?.close();
    await stopAll();
  });

  test('typing after a sidebar click, a page load or a Ctrl+K pick lands in the input', async () => {
    await page.locator('nav.sidebar a.conv', { hasText: 'first' }).click();
    await page.waitForURL(/%23first$/);
    await page.keyboard.type('hello there');
    assert.equal(await chatInput(page).inputValue(), 'hello there');
    assert.equal(await focused(page), 'chat-input');
    await chatInput(page).fill('');

    // Focus on the page itself (as after clicking empty space): the first key still counts.
    await page.reload();
    await chatInput(page).waitFor();
    await page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));
    assert.equal(await focused(page), 'BODY');
    await page.keyboard.type('Yes');
    assert.equal(await chatInput(page).inputValue(), 'Yes');
    await chatInput(page).fill('');

    await page.keyboard.press('Control+k');
    await page.keyboard.type('second');
    await page.keyboard.press('Enter');
    await page.waitForURL(/%23second$/);
    await page.keyboard.type('ok');
    assert.equal(await chatInput(page).inputValue(), 'ok');
    await chatInput(page).fill('');
  });

  test('a skip link, shown on focus, jumps to the message input', async () => {
    const link = page.getByRole('link', { name: 'Skip to message input' });
    const hidden = await link.boundingBox();
    assert.ok(!hidden || hidden.y + hidden.height <= 0, 'off-screen until focused');
    const first = await page.evaluate(() => document.querySelector('a[href], button, input, textarea, select, [tabindex]')?.textContent);
    assert.equal(first, 'Skip to message input', 'the first Tab stop');
    await link.focus();
    const shown = await link.boundingBox();
    assert.ok(shown && shown.y >= 0, 'visible once focused');
    await page.keyboard.press('Enter');
    await until(async () => (await focused(page)) === 'chat-input', { what: 'the input to take focus' });
  });

  test('on a phone, the menu button shows a dot for a mention elsewhere', async () => {
    const phone = await newPage(browser, {
      storageState: await page.context().storageState(),
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await phone.goto(page.url());
    await chatInput(phone).waitFor();
    const menu = phone.getByRole('button', { name: 'Show conversations', exact: true });
    await menu.waitFor();
    assert.equal(await phone.locator('.menu-dot').count(), 0, 'no dot while nothing is unread');
    assert.equal(await phone.evaluate(() => matchMedia('(pointer: coarse)').matches && !matchMedia('(any-pointer: fine)').matches), true, 'a touch-only device');
    assert.notEqual(await focused(phone), 'chat-input', 'no keyboard popping up on a phone');

    bot.say('#first', 'fay: are you there?');
    const flagged = phone.getByRole('button', { name: 'Show conversations, 1 unread mention' });
    await flagged.waitFor();
    // Screen readers hear the mention, not the channel's other lines.
    await until(async () => /^Mention in #first from gus: fay: are you there\?$/.test(await phone.locator('[aria-live="polite"][aria-atomic="true"]').innerText()), {
      what: 'the live region to announce the mention',
    });
    assert.equal(await phone.locator('.menu-dot').isVisible(), true, 'the dot is visible');
    await screenshot(phone, 'phone-menu-dot');
    await until(async () => (await phone.title()) === '(1) Convos', { what: 'the title to count the mention' });

    await flagged.click();
    await phone.locator('nav.sidebar a.conv', { hasText: 'first' }).click();
    await phone.waitForURL(/%23first$/);
    await menu.waitFor();
    assert.equal(await phone.locator('.menu-dot').count(), 0, 'read once opened');
    await phone.context().close();
  });

  test('a long network name gets an ellipsis and a title; its settings stay in view', async () => {
    const host = 'a-network-name-far-too-long-for-any-sidebar.example.invalid';
    const api = await apiFor(page.context(), daemon.url);
    await api.post('/api/connections', { url: `irc://${host}:6667?nick=fay`, wanted_state: 'disconnected' });
    const name = page.locator('nav.sidebar .net-head .name', { hasText: host });
    await name.waitFor();
    assert.equal(await name.getAttribute('title'), host);
    assert.ok(await name.evaluate((e) => e.scrollWidth > e.clientWidth), 'the name is cut, not overflowing');
    const gear = page.getByRole('link', { name: `Settings for ${host}` });
    const [g, nav] = [await gear.boundingBox(), await page.locator('nav.sidebar').boundingBox()];
    assert.ok(g && nav && g.x + g.width <= nav.x + nav.width, 'the settings gear stays inside the sidebar');
  });

  test('? opens the help with the server\'s commands; Ctrl+B and the colour button format text', async () => {
    await page.locator('nav.sidebar a.conv', { hasText: 'first' }).click();
    await page.waitForURL(/%23first$/);
    const input = chatInput(page);
    await input.fill('bold words');
    await input.press('ControlOrMeta+a');
    await input.press('ControlOrMeta+b');
    assert.equal(await input.inputValue(), '\u0002bold words\u0002');
    await input.fill('red');
    await input.press('ControlOrMeta+a');
    await page.getByRole('button', { name: 'Text colour' }).click();
    await page.getByRole('button', { name: 'Red', exact: true }).click();
    assert.equal(await input.inputValue(), '\u000304red\u0003');
    await input.fill('');

    // From a page without a message box, ? opens the help.
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('heading', { name: 'Notifications' }).waitFor();
    await page.keyboard.press('?');
    await page.getByRole('heading', { name: 'Help' }).waitFor();
    await page.getByText('/join <#channel> [key]').waitFor();
    await page.getByText('/clear history').waitFor();
    await screenshot(page, 'help');
  });

  test('/list opens a channel browser: search, join with one click; nothing goes into the history', async () => {
    await bot.join('#lobby');
    await page.locator('nav.sidebar a.conv', { hasText: 'first' }).click();
    await page.waitForURL(/%23first$/);
    // Sent from the message box, /list opens the browser (so the box goes away).
    await chatInput(page).fill('/list');
    await chatInput(page).press('Enter');
    await page.waitForURL(/\/channels\//);
    await page.getByRole('heading', { name: /^Channels on / }).waitFor();
    await page.getByRole('row', { name: /#first/ }).getByRole('link', { name: 'Open' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search channels' }).fill('lob');
    await until(async () => (await page.getByRole('row').count()) === 2, { what: 'one channel row for "lob"' });
    await screenshot(page, 'channel-list');
    // Joining opens the channel.
    await page.getByRole('button', { name: 'Join #lobby' }).click();
    await page.waitForURL(/%23lobby$/);
    await page.locator('nav.sidebar a.conv', { hasText: 'lobby' }).waitFor();
    // The sidebar's # button opens the same browser.
    await page.getByRole('link', { name: /^Browse channels on / }).first().click();
    await page.getByRole('heading', { name: /^Channels on / }).waitFor();
  });

  test('Ctrl+K offers to join a new channel; the × beside a conversation leaves and closes it', async () => {
    await page.keyboard.press('ControlOrMeta+k');
    await page.getByRole('combobox', { name: 'Conversation name' }).fill('#fresh');
    await page.getByRole('option', { name: /Join #fresh/ }).click();
    await page.waitForURL(/%23fresh$/);
    const row = page.locator('nav.sidebar li', { hasText: 'fresh' });
    await row.hover();
    await page.getByRole('button', { name: 'Close #fresh' }).click();
    await row.waitFor({ state: 'detached' });
    await page.waitForURL((u) => !u.pathname.includes('fresh'));
  });

  test('Alt+A goes to the next unread conversation; "Mark all as read" clears every badge', async () => {
    await page.locator('nav.sidebar a.conv', { hasText: 'second' }).click();
    await page.waitForURL(/%23second$/);
    bot.say('#first', 'anyone around?');
    const first = page.locator('nav.sidebar a.conv', { hasText: 'first' });
    await until(async () => (await first.locator('.badge').count()) > 0, { what: 'an unread badge on #first' });
    await page.locator('main').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Alt+a');
    await page.waitForURL(/%23first$/);
    await page.locator('nav.sidebar a.conv', { hasText: 'second' }).click();
    await page.waitForURL(/%23second$/);
    bot.say('#first', 'hello again');
    await until(async () => (await first.locator('.badge').count()) > 0, { what: 'a new badge on #first' });
    await page.getByRole('button', { name: 'Mark all as read' }).click();
    await until(async () => (await page.locator('nav.sidebar a.conv .badge').count()) === 0, { what: 'no badges left' });
  });

  test('display settings follow the account to another device at once', async () => {
    const other = await newPage(browser, { storageState: await page.context().storageState() });
    await other.goto(page.url().replace(/[^/]+$/, '%23first'));
    await chatInput(other).waitFor();
    await page.goto(`${daemon.url}/settings/display`);
    await page.getByRole('radio', { name: 'Hidden' }).check();
    await page.getByRole('radio', { name: /^12-hour/ }).check();
    await page.getByLabel('Font size').selectOption('18');
    await page.getByLabel('Coloured nicks').uncheck();
    await page.getByRole('radio', { name: 'Compact' }).check();
    await screenshot(page, 'settings-display');

    // the other device changes without a reload
    await until(async () => (await other.evaluate(() => getComputedStyle(document.documentElement).fontSize)) === '18px', {
      what: 'the font size to reach the other device',
    });
    assert.equal(await other.evaluate(() => document.documentElement.classList.contains('compact')), true);
    const hal = await IrcBot.connect(ircd.port, 'hal');
    await hal.join('#first');
    hal.say('#first', 'hello from hal');
    const row = other.locator('.msg', { hasText: 'hello from hal' });
    await row.waitFor();
    assert.match(await row.locator('time').first().innerText(), /\d:\d\d\s?(AM|PM)/i, '12-hour time');
    const nickColour = await row.locator('.nick').first().evaluate((e) => getComputedStyle(e).color);
    const text = await other.evaluate(() => getComputedStyle(document.body).color);
    assert.equal(nickColour, text, 'nicks in the text colour');
    assert.equal(await other.locator('.system, .events', { hasText: 'hal joined' }).count(), 0, 'joins hidden');
    hal.close();

    // back to the defaults for the other tests
    const api = await apiFor(page.context(), daemon.url);
    const me = await api.get('/api/user');
    await api.post('/api/user', { prefs: { ...me.prefs, membership: 'condensed', clock: 'auto', font_size: 15, nick_colors: true, density: 'comfortable' } });
    await until(async () => (await other.evaluate(() => getComputedStyle(document.documentElement).fontSize)) === '15px', {
      what: 'the defaults to come back',
    });
    await other.context().close();
    await page.goBack();
  });

  test('Settings lists the signed-in devices; logging one out sends it to the sign-in page', async () => {
    const other = await newPage(browser);
    await other.goto(`${daemon.url}/login`);
    await other.getByLabel('Email').fill('fay@example.com');
    await other.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.waitForURL((u) => !u.pathname.startsWith('/login'));
    await chatInput(other).waitFor();

    await page.goto(`${daemon.url}/settings/account`);
    const table = page.locator('table.session-list');
    await until(async () => (await table.locator('tbody tr').count()) >= 2, { what: 'both devices listed' });
    await table.locator('tr', { hasText: 'This device' }).waitFor();
    assert.match(await table.innerText(), /Chrome on Linux/);
    assert.match(await table.innerText(), /127\.0\.0\.1/);
    const before = await table.locator('tbody tr').count();
    // The newest sign-in (the other page's) is listed first.
    await page.getByRole('button', { name: /^Log out Chrome on Linux/ }).first().click();
    await page.getByRole('status').filter({ hasText: 'is logged out' }).waitFor();
    await other.waitForURL(/\/login/, { timeout: 15_000 });
    await until(async () => (await table.locator('tbody tr').count()) === before - 1, { what: 'one row less' });
    await other.context().close();
    await page.goBack();
  });

  test('the sign-in page focuses the e-mail, can show the password and says how to reset it', async () => {
    const anon = await newPage(browser);
    await anon.goto(`${daemon.url}/login`);
    const email = anon.getByLabel('Email');
    await email.waitFor();
    assert.equal(await email.evaluate((e) => e === document.activeElement), true, 'e-mail focused');

    const password = anon.getByLabel('Password', { exact: true });
    await password.fill(PASSWORD);
    const toggle = anon.getByRole('button', { name: 'Show password' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.equal(await password.getAttribute('type'), 'password');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await password.getAttribute('type'), 'text');
    assert.equal(await password.inputValue(), PASSWORD);
    await toggle.press('Space');
    assert.equal(await password.getAttribute('type'), 'password');

    await anon.getByText('Forgot password?').click();
    await anon.getByText(/convos recover/).waitFor();
    await screenshot(anon, 'login-forgot');

    await email.fill('fay@example.com');
    await anon.getByRole('button', { name: 'Sign in' }).click();
    await anon.waitForURL(/\/chat\//);
    await anon.context().close();
  });
});
