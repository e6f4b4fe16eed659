// Around the chat: open registration, private messages, unread badges and the tab title,
// the notifications page, search filters, the quick switcher and /join.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiClient,
  IrcBot,
  apiFor,
  chatInput,
  launchBrowser,
  messageRow,
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

/** Counts the page's requests whose URL contains `part`, from now on. */
function countRequests(page, part) {
  let n = 0;
  page.on('request', (r) => {
    if (r.url().includes(part)) n++;
  });
  return () => n;
}

describe('extras', { skip: skip ?? false, timeout: 120_000 }, () => {
  let ircd, daemon, browser, page, bot;

  before(async () => {
    [ircd, browser] = await Promise.all([startIrcd(), launchBrowser()]);
    daemon = await startDaemon();
    page = await newPage(browser);
    await registerAndConnect(page, { url: daemon.url, email: 'admin@example.com', nick: 'dana', channel: '#lobby', ircPort: ircd.port });
    bot = await IrcBot.connect(ircd.port, 'carol');
    await bot.join('#lobby');
  });

  after(async () => {
    bot?.close();
    await stopAll();
  });

  test('registration is closed until the admin opens it', async () => {
    const anon = await newPage(browser);
    await anon.goto(`${daemon.url}/register`);
    await anon.getByText('Registration is closed').waitFor();
    const admin = await apiFor(page.context(), daemon.url);
    const s = await admin.post('/api/settings', { open_to_public: true });
    assert.equal(s.open_to_public, true);
    await anon.reload();
    await anon.getByRole('heading', { name: 'Create an account' }).waitFor();
    await registerAndConnect(anon, { url: daemon.url, email: 'erin@example.com', nick: 'erin', channel: '#lobby', ircPort: ircd.port });
    const me = await new ApiClient(daemon.url).login('erin@example.com');
    assert.deepEqual(me.roles, []);
    await anon.context().close();
    // The only admin cannot be demoted or deleted: the buttons say so before a click.
    await page.goto(`${daemon.url}/settings/admin`);
    const demote = page.getByRole('button', { name: 'Remove admin role from admin@example.com' });
    await demote.waitFor();
    assert.equal(await demote.isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Delete admin@example.com' }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Delete erin@example.com' }).isDisabled(), false);
    // Back in #lobby, so that the next private message is unread.
    await page.locator('nav.sidebar a.conv', { hasText: 'lobby' }).first().click();
    await chatInput(page).waitFor();
  });

  test('a private message opens a conversation with an unread badge and counts in the tab title', async () => {
    bot.say('dana', 'psst dana, a private word');
    const link = page.locator('nav.sidebar a.conv', { hasText: 'carol' });
    await link.locator('.badge', { hasText: '1' }).waitFor();
    await until(async () => (await page.title()) === '(1) Convos', { what: 'the tab title to count the private message' });
    await link.click();
    await messageRow(page, 'psst dana, a private word').waitFor();
    await until(async () => (await page.title()) === 'Convos', { what: 'the tab title to clear' });
    assert.equal(await link.locator('.badge').count(), 0, 'read once opened');
    await say(page, 'hello carol');
    await bot.waitFor((l) => /PRIVMSG dana :|PRIVMSG carol :hello carol/.test(l) && l.includes('hello carol'));
  });

  test('presence and typing: away, online and "is typing" both ways', async () => {
    // The private conversation with carol (from the test before) shows her presence.
    const link = page.locator('nav.sidebar a.conv', { hasText: 'carol' });
    await link.click();
    const presence = page.getByTestId('presence');
    await presence.filter({ hasText: 'Online' }).waitFor();
    bot.send('AWAY :out for lunch');
    await presence.filter({ hasText: 'Away: out for lunch' }).waitFor();
    // In the channel's member list too (open on wide screens).
    await page.locator('nav.sidebar a.conv', { hasText: 'lobby' }).first().click();
    const members = page.locator('aside.participants');
    if (!(await members.isVisible())) await page.getByRole('button', { name: 'Participants', exact: true }).click();
    await members.getByRole('button', { name: /carol.*Away: out for lunch/ }).waitFor();
    bot.send('AWAY');
    await members.getByRole('button', { name: 'carol', exact: true }).waitFor();
    // carol types (a +typing client tag), then we do.
    bot.send('CAP REQ :message-tags');
    await bot.waitFor((l) => / CAP \S+ ACK :?message-tags/.test(l));
    bot.send('@+typing=active TAGMSG #lobby');
    await page.getByTestId('typing').filter({ hasText: 'carol is typing…' }).waitFor();
    bot.say('#lobby', 'typed it');
    await messageRow(page, 'typed it').waitFor();
    assert.equal(await page.getByTestId('typing').textContent(), '', 'a message ends the typing');
    await chatInput(page).pressSequentially('hel');
    await bot.waitFor((l) => /^@(\S+;)?\+typing=active[; ].*:dana!\S+ TAGMSG :?#lobby/.test(l));
    await chatInput(page).fill('');
    await bot.waitFor((l) => /^@(\S+;)?\+typing=done[; ].*:dana!\S+ TAGMSG :?#lobby/.test(l));
    // /whois answers as a card where it was asked.
    await say(page, '/whois carol');
    const card = page.getByTestId('whois');
    await card.getByText('carol@127.0.0.1').waitFor();
    await card.getByRole('button', { name: 'Close WHOIS' }).click();
    await card.waitFor({ state: 'detached' });
    await link.click(); // back where the test before left us
  });

  test('a highlight is listed on the notifications page', async () => {
    bot.say('#lobby', 'dana: the deploy is green');
    await page.locator('nav.sidebar a.conv', { hasText: 'lobby' }).locator('.badge.mention').waitFor();
    const loads = countRequests(page, '/api/notifications?');
    await page.getByRole('link', { name: /Notifications/ }).click();
    await page.locator('main', { hasText: 'dana: the deploy is green' }).waitFor();
    await sleep(1000);
    assert.equal(loads(), 1, 'loaded once (no request loop)');
    await screenshot(page, 'notifications');
  });

  test('replies and reactions, both ways (+draft/reply, +draft/react)', async () => {
    // carol has message-tags since the test before.
    await page.locator('nav.sidebar a.conv', { hasText: 'lobby' }).first().click();
    await page.waitForURL(/%23lobby$/);
    bot.say('#lobby', 'shall we ship it?');
    const asked = page.locator('.msg', { hasText: 'shall we ship it?' });
    await asked.waitFor();
    // We react: carol gets a +draft/react for her message; the chip is ours.
    await asked.hover();
    await asked.getByRole('button', { name: /^React to carol/ }).click();
    await asked.getByRole('button', { name: 'React with 🎉' }).click();
    const tagged = await bot.waitFor((l) => /^@\S*\+draft\/react=🎉/.test(l) && l.includes('TAGMSG'));
    assert.match(tagged, /\+draft\/reply=[^; ]+/);
    await asked.getByRole('button', { name: /^🎉 from dana/ }).waitFor();
    // We reply: the line says what it answers, for us and for carol.
    await asked.hover();
    await asked.getByRole('button', { name: 'Reply to carol' }).click();
    await page.getByRole('status').filter({ hasText: 'Replying to carol' }).waitFor();
    await chatInput(page).fill('yes, today');
    await chatInput(page).press('Enter');
    const replyLine = await bot.waitFor((l) => l.includes('PRIVMSG #lobby :yes, today'));
    assert.match(replyLine, /\+draft\/reply=/);
    const reply = page.locator('.msg', { hasText: 'yes, today' });
    await reply.locator('.quote', { hasText: 'shall we ship it?' }).waitFor();
    // carol reacts to our reply (its msgid came with the line she received).
    const msgid = /(?:^@|;)msgid=([^; ]+)/.exec(replyLine)?.[1];
    assert.ok(msgid, replyLine);
    bot.send(`@+draft/react=👍;+draft/reply=${msgid} TAGMSG #lobby`);
    await reply.getByRole('button', { name: /^👍 from carol/ }).waitFor();
    // Reactions are no lines of their own, and stay after a reload.
    assert.equal(await page.locator('.msg .text', { hasText: /^👍$/ }).count(), 0);
    await page.reload();
    await page.locator('.msg', { hasText: 'yes, today' }).getByRole('button', { name: /^👍 from carol/ }).waitFor();
  });

  test('search filters by sender and conversation', async () => {
    const searches = countRequests(page, '/api/search');
    await page.goto(`${daemon.url}/search?q=${encodeURIComponent('from:carol deploy')}`);
    await page.locator('a.hit', { hasText: 'dana: the deploy is green' }).waitFor();
    await sleep(1000);
    assert.equal(searches(), 1, 'one search per query (no request loop)');
    await page.goto(`${daemon.url}/search?q=${encodeURIComponent('in:#lobby private')}`);
    await page.getByText('No messages match').waitFor();
  });

  test('Ctrl+K switches conversations and /join opens the new channel', async () => {
    await page.goto(`${daemon.url}/chat`);
    await page.locator('#chat-input').waitFor();
    await page.keyboard.press('Control+k');
    await page.keyboard.type('caro');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/chat\/[^/]+\/carol$/);
    await say(page, '/join #second');
    await page.waitForURL(/%23second$/);
    await page.locator('.system', { hasText: 'dana joined' }).waitFor();
    assert.deepEqual(page.errors.filter((e) => !/status of 401/.test(e)), []);
  });

  test('an API token made in the settings sends for a script, until it is revoked', async () => {
    await page.goto(`${daemon.url}/settings/account`);
    await page.getByLabel('Token name').fill('deploy bot');
    await page.getByLabel('Token scope').selectOption('send');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByLabel(/^Token "deploy bot"/).inputValue();
    assert.match(secret, /^[A-Za-z0-9_-]{40,}$/);
    await page.getByRole('cell', { name: 'deploy bot', exact: true }).waitFor();
    const api = await apiFor(page.context(), daemon.url);
    const [conn] = (await api.get('/api/connections')).connections;
    const send = () =>
      fetch(`${daemon.url}/api/connection/${encodeURIComponent(conn.connection_id)}/conversation/%23lobby/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'hello from a script' }),
      });
    assert.equal((await send()).status, 200);
    await bot.waitFor((l) => l.includes('PRIVMSG #lobby :hello from a script'));
    page.dialogs.length = 0;
    page.acceptDialogs = true;
    await page.getByRole('button', { name: 'Revoke deploy bot' }).click();
    await page.getByText('No tokens yet.').waitFor();
    page.acceptDialogs = false;
    assert.match(page.dialogs[0] ?? '', /^confirm: Revoke the token "deploy bot"/);
    assert.equal((await send()).status, 401);
  });

  test('a connection keeps its history for the chosen time, after a confirmation', async () => {
    const api = await apiFor(page.context(), daemon.url);
    const [conn] = (await api.get('/api/connections')).connections;
    assert.equal(conn.retention_days, 0, 'keeps everything by default');
    await page.goto(`${daemon.url}/settings/connection/${encodeURIComponent(conn.connection_id)}`);
    page.dialogs.length = 0;
    page.acceptDialogs = true;
    await page.getByLabel('Keep messages').selectOption('30');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    page.acceptDialogs = false;
    assert.equal(page.dialogs.length, 1);
    assert.match(page.dialogs[0], /^confirm: .*older than 30 days/);
    assert.equal((await api.get('/api/connections')).connections[0].retention_days, 30);
    await screenshot(page, 'settings-connection');
  });

  test('a connection is edited with the same fields as it was added; the URL is under Advanced', async () => {
    const api = await apiFor(page.context(), daemon.url);
    const [conn] = (await api.get('/api/connections')).connections;
    await page.goto(`${daemon.url}/settings/connection/${encodeURIComponent(conn.connection_id)}`);
    assert.equal(await page.getByLabel('Server', { exact: true }).inputValue(), conn.server.host);
    await page.getByLabel(/^Connection name/).fill('Work');
    await page.getByLabel(/^Nick(?! or mask)/).fill('dana_');
    await page.getByLabel(/^Channels/).fill('#lobby #edited');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const [after] = (await api.get('/api/connections')).connections;
    assert.equal(after.server.nick, 'dana_');
    assert.equal(after.name, 'Work');
    await page.locator('nav.sidebar').getByText('Work', { exact: true }).waitFor();
    assert.deepEqual(after.server.channels, ['#lobby', '#edited']);
    assert.match(after.url, /nick=dana_/);
    await page.getByText('Advanced: connection URL').click();
    assert.match(await page.getByLabel(/^URL/).inputValue(), /nick=dana_/);
  });
});
