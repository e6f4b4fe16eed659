// The chat flow end to end: two people in two browser contexts, a bot on IRC, the real
// daemon and a real InspIRCd. The steps run in order and share state (one daemon, one
// channel), like a user's session would.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiClient,
  IrcBot,
  REPO_DIR,
  apiFor,
  chatInput,
  launchBrowser,
  messageRow,
  newPage,
  registerAndConnect,
  requireTools,
  restartDaemon,
  say,
  screenshot,
  startDaemon,
  startIrcd,
  stopAll,
  until,
  waitConnected,
} from './lib/harness.mjs';

const skip = requireTools();
const CHANNEL = '#e2e';
const FLOOD = 2000;

/** Texts of the rendered message rows (the virtual list renders those near the viewport). */
const texts = (page) => page.locator('.msg .text').allInnerTexts();
const count = async (page, text) => (await texts(page)).filter((t) => t.trim() === text).length;

/** Waits until `text` is rendered exactly once in `page`'s open conversation. */
async function seeOnce(page, text, ms = 10_000) {
  await messageRow(page, text).first().waitFor({ timeout: ms });
  assert.equal(await count(page, text), 1, `"${text}" is shown exactly once`);
}

/** Wraps a test body: on failure, screenshots of both pages and the daemon's log tail. */
function step(fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      const slug = t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
      for (const who of ["alice", "bob"]) {
        const p = pages[who];
        if (p && !p.isClosed()) await screenshot(p, `fail-${slug}-${who}`).catch(() => {});
      }
      console.log(`# daemon log tail:\n${(pages.daemon?.logs() ?? '').slice(-3000)}`);
      throw e;
    }
  };
}
const pages = {};

describe('chat', { skip: skip ?? false, timeout: 240_000 }, () => {
  let ircd, daemon, browser, alice, bob, bot;

  before(async () => {
    [ircd, browser] = await Promise.all([startIrcd(), launchBrowser()]);
    daemon = pages.daemon = await startDaemon();
  });

  after(async () => {
    bot?.close();
    if (process.env.E2E_DEBUG) console.log(daemon?.logs());
    await stopAll();
  });

  test('the first user registers, becomes admin, connects and joins a channel', step(async () => {
    const pub = await new ApiClient(daemon.url).get('/api/settings/public');
    assert.equal(pub.first_user, true);
    alice = pages.alice = await newPage(browser);
    await alice.goto(daemon.url);
    // The first visit lands on the register page ("Set up Convos").
    await alice.waitForURL(/\/register/);
    await alice.getByRole('heading', { name: 'Set up Convos' }).waitFor();
    await registerAndConnect(alice, { url: daemon.url, email: 'alice@example.com', nick: 'alice', channel: CHANNEL, ircPort: ircd.port });
    const me = await (await apiFor(alice.context(), daemon.url)).get('/api/user');
    assert.deepEqual(me.roles, ['admin']);
  }));

  test('a second user registers with an invite link and joins', step(async () => {
    const admin = await apiFor(alice.context(), daemon.url);
    const invite = await admin.post(`/api/user/${encodeURIComponent('bob@example.com')}/invite`, {});
    assert.match(invite.url, /\/register\?.*token=/);
    bob = pages.bob = await newPage(browser);
    await registerAndConnect(bob, { url: daemon.url, inviteUrl: invite.url, email: 'bob@example.com', nick: 'bob', channel: CHANNEL, ircPort: ircd.port });
    // Alice sees bob join, live.
    await alice.locator('.system, .events', { hasText: 'bob joined' }).first().waitFor();
  }));

  test('they chat both ways and see each other live; Tab completes nicks', step(async () => {
    // A channel operator (the creator) sets the topic; both see it in the header.
    await say(alice, '/topic Release day: Convos 0.1 | https://example.com/release');
    for (const p of [alice, bob]) await p.locator('.chat .topic', { hasText: 'Release day: Convos 0.1' }).waitFor();
    await say(alice, 'Hi bob, welcome to the channel!');
    await seeOnce(bob, 'Hi bob, welcome to the channel!');
    await say(bob, 'Thanks alice. Is the new build out?');
    await seeOnce(alice, 'Thanks alice. Is the new build out?');
    await say(alice, 'Yes, 0.1 shipped this morning: https://example.com/release');
    await seeOnce(bob, 'Yes, 0.1 shipped this morning: https://example.com/release');
    // Links are clickable and open safely.
    const link = bob.locator('.msg .text a[href="https://example.com/release"]');
    await link.waitFor();
    assert.match((await link.getAttribute('rel')) ?? '', /noopener/);

    // Nick completion: "bo" + Tab → "bob".
    const input = chatInput(alice);
    await input.fill('bo');
    await input.press('Tab');
    const completed = await input.inputValue();
    assert.match(completed, /^bob[:,]? $/, `Tab completed "bo" to "${completed}"`);
    await input.pressSequentially('you can try it now');
    await input.press('Enter');
    await until(async () => (await input.inputValue()) === '', { what: 'the completed line to be sent' });
    const line = `${completed}you can try it now`;
    await seeOnce(bob, line);
    // Bob is mentioned: the line is highlighted for him.
    await bob.locator('.msg.highlight .text', { hasText: line }).waitFor();
    await say(bob, 'Great, trying it now');
    await seeOnce(alice, 'Great, trying it now');

    // Alice watched it all: the server agrees nothing is unread for her.
    const aliceApi = await apiFor(alice.context(), daemon.url);
    await until(
      async () => {
        const c = (await aliceApi.get('/api/conversations')).conversations.find((x) => x.conversation_id === CHANNEL);
        return c.unread === 0 && c.notifications === 0 && c.last_read < 2 ** 53;
      },
      { what: "alice's channel to be read on the server" },
    );
    // Screenshots of a real conversation (desktop light and dark; phone chat and sidebar).
    await alice.locator('.participants, [aria-label="Participants"]').first().waitFor();
    await screenshot(alice, 'desktop-light');
    const state = await alice.context().storageState();
    const dark = await newPage(browser, { colorScheme: 'dark', storageState: state });
    await dark.goto(alice.url());
    await seeOnce(dark, 'Great, trying it now');
    await screenshot(dark, 'desktop-dark');
    await dark.context().close();

    const phone = await newPage(browser, {
      storageState: state,
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await phone.goto(alice.url());
    await seeOnce(phone, 'Great, trying it now');
    // The sidebar is off-screen on a phone until the menu button opens it.
    assert.equal(await phone.locator('nav.sidebar').isVisible(), false, 'sidebar hidden on a phone');
    await screenshot(phone, 'phone-chat');
    await phone.getByRole('button', { name: 'Show conversations' }).click();
    await phone.locator('nav.sidebar').waitFor({ state: 'visible' });
    await sleep(300); // the slide-in transition
    await screenshot(phone, 'phone-sidebar');
    await phone.context().close();
  }));

  test('a message with HTML in it is shown as text', step(async () => {
    const evil = 'look: <img src=x onerror=alert(1)> <script>alert(2)</script>';
    await say(bob, evil);
    await seeOnce(alice, evil);
    assert.equal(await alice.locator('.msg img, .msg script').count(), 0, 'no element made from message text');
    await sleep(300);
    assert.deepEqual(alice.dialogs, [], 'no dialog opened');
    assert.deepEqual(bob.dialogs, [], 'no dialog opened');
  }));

  test('reload keeps the history', step(async () => {
    await alice.reload();
    await seeOnce(alice, 'Hi bob, welcome to the channel!');
    await seeOnce(alice, 'Thanks alice. Is the new build out?');
    await seeOnce(alice, 'Great, trying it now');
  }));

  test(`scroll back through ${FLOOD} stored messages`, { timeout: 120_000 }, step(async () => {
    bot = await IrcBot.connect(ircd.port, 'logbot');
    await bot.join(CHANNEL);
    const lines = Array.from({ length: FLOOD }, (_, i) => `flood line ${String(i + 1).padStart(4, '0')}`);
    const t0 = Date.now();
    await bot.flood(CHANNEL, lines);
    // The daemon stores every one; the newest shows up live.
    await messageRow(alice, lines.at(-1)).first().waitFor({ timeout: 30_000 });
    const api = await apiFor(alice.context(), daemon.url);
    const cid = (await api.get('/api/connections')).connections[0].connection_id;
    const base = `/api/connection/${cid}/conversation/${encodeURIComponent(CHANNEL)}/messages`;
    let stored = 0;
    let before = null;
    for (let page = 0; page < 40; page++) {
      const r = await api.get(`${base}?limit=200${before ? `&before=${before}` : ''}`);
      stored += r.messages.filter((m) => m.message.startsWith('flood line ')).length;
      if (r.end || r.messages.length === 0) break;
      before = r.messages[0].id;
    }
    assert.equal(stored, FLOOD, 'every flood line is stored');
    console.log(`# ${FLOOD} lines sent, stored and shown live in ${Date.now() - t0} ms`);

    // After a reload only the newest page is loaded: scroll to the top until the first
    // line shows, paging back through the API.
    await alice.reload();
    await messageRow(alice, lines.at(-1)).first().waitFor();
    assert.equal(await count(alice, lines[0]), 0);
    const viewport = alice.locator('.viewport');
    const t1 = Date.now();
    await until(
      async () => {
        await viewport.evaluate((el) => el.scrollTo(0, 0));
        return (await count(alice, lines[0])) === 1;
      },
      { ms: 60_000, every: 150, what: 'the first flood line after scrolling to the top' },
    );
    console.log(`# scrolled back to the first of ${FLOOD} lines in ${Date.now() - t1} ms`);
    // Rows around it are in order and not duplicated.
    const shown = (await texts(alice)).map((t) => t.trim()).filter((t) => t.startsWith('flood line '));
    assert.deepEqual(shown, lines.slice(0, shown.length), 'the oldest lines are in order, once each');
    await alice.getByText(`This is the beginning of`).waitFor();
  }));

  test('search finds a message and jumps to it in context', step(async () => {
    await alice.getByRole('link', { name: 'Search' }).click();
    await alice.getByLabel('Search messages').fill('welcome');
    await alice.getByLabel('Search messages').press('Enter');
    const hit = alice.locator('a.hit', { hasText: 'Hi bob, welcome to the channel!' });
    await hit.waitFor();
    await hit.locator('mark', { hasText: /welcome/i }).waitFor();
    await hit.click();
    await alice.waitForURL(/around=\d+/);
    // The hit is in view, marked, with its neighbours around it.
    const row = alice.locator('.msg.focused', { hasText: 'Hi bob, welcome to the channel!' });
    await row.waitFor();
    assert.ok(await row.isVisible(), 'the hit is visible');
    await seeOnce(alice, 'Thanks alice. Is the new build out?');
    // Back to the present.
    await alice.getByRole('button', { name: /Jump to present/ }).click();
    await messageRow(alice, 'flood line 2000').first().waitFor();
    assert.doesNotMatch(alice.url(), /around=/, 'back at the present, the URL forgets the hit');
  }));

  test('the daemon restarts mid-session; the page resumes without gaps or duplicates', { timeout: 90_000 }, step(async () => {
    await say(bob, 'before the restart');
    await seeOnce(alice, 'before the restart');
    const t0 = Date.now();
    await daemon.stop('SIGTERM');
    // While it is away the page says so (and keeps what it shows).
    await alice.locator('.banner', { hasText: 'Reconnecting' }).waitFor({ timeout: 15_000 });
    await seeOnce(alice, 'before the restart');
    await restartDaemon(daemon);
    console.log(`# daemon stopped and started again in ${Date.now() - t0} ms`);
    // The page notices, reconnects on its own and the IRC connection comes back.
    await waitConnected(alice, 30_000);
    await until(async () => (await alice.locator('.banner').count()) === 0, { ms: 30_000, what: 'the reconnecting banner to go' });
    // Rejoined: the bot sees alice join again.
    await bot.waitFor((l) => /^:alice!\S+ JOIN/i.test(l), 20_000);
    bot.say(CHANNEL, 'after the restart');
    await seeOnce(alice, 'after the restart', 15_000);
    await seeOnce(alice, 'before the restart');
    // Sending works again.
    await waitConnected(bob, 30_000);
    await until(async () => (await bob.locator('.banner').count()) === 0, { ms: 30_000, what: 'bob reconnecting' });
    await say(alice, 'back again');
    await seeOnce(bob, 'back again', 15_000);
    await seeOnce(alice, 'back again');
    // And a reload shows the same, once each.
    await alice.reload();
    for (const t of ['before the restart', 'after the restart', 'back again']) await seeOnce(alice, t);
  }));

  test('no uncaught errors in the pages', () => {
    const bad = (p) => p.errors.filter((e) => !/status of 401/.test(e));
    assert.deepEqual(bad(alice), []);
    assert.deepEqual(bad(bob), []);
  });
});

// Copies the best screenshots into docs/ when asked (E2E_UPDATE_DOCS=1).
after(() => {
  if (process.env.E2E_UPDATE_DOCS !== '1') return;
  const src = path.join(REPO_DIR, 'e2e', 'screenshots');
  for (const [from, to] of [
    ['desktop-light', 'screenshot-desktop'],
    ['desktop-dark', 'screenshot-dark'],
    ['phone-chat', 'screenshot-phone'],
  ]) {
    const f = path.join(src, `${from}.png`);
    if (fs.existsSync(f)) fs.copyFileSync(f, path.join(REPO_DIR, 'docs', `${to}.png`));
  }
});
