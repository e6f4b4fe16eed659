// The chat and a call through Debian's nginx with TLS at a sub-path
// (https://127.0.0.1:P/chat/, the README recipe): register, connect to InspIRCd, a line
// that reaches an IRC bot and one back, an upload link, a second user from an invite link,
// and a 2-party video call whose signalling rides the wss:// stream through the proxy.
// Every request the pages make stays under /chat/.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IrcBot, launchBrowser, messageRow, newPage, registerAndConnect, requireTools, say, startDaemon, startIrcd, stopAll } from './lib/harness.mjs';
import { assertMediaFrom, haveTurnserver, startTurn, stopTurns, waitPeers } from './lib/calls-harness.mjs';
import { requireNginx, startNginx } from './lib/nginx.mjs';

let skip = requireTools() ?? requireNginx();
if (!skip && !haveTurnserver()) {
  if (process.env.CI === 'true') throw new Error('missing: turnserver (apt-get install coturn)');
  skip = 'missing: turnserver (apt-get install coturn)';
}

const CHANNEL = '#proxied';

describe('behind nginx with TLS at /chat/', { skip: skip ?? false, timeout: 180_000 }, () => {
  let ircd, turn, daemon, ngx, browser, alice, bob, bot;
  const outside = [];
  const sockets = [];

  /** A page that trusts nginx's self-signed certificate and records requests outside /chat/. */
  async function proxiedPage(nick) {
    const page = await newPage(browser, { ignoreHTTPSErrors: true });
    page.nick = nick;
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (/^(data|blob):/.test(r.url())) return;
      if (u.origin !== `https://127.0.0.1:${ngx.port}` || !u.pathname.startsWith('/chat/')) outside.push(`${nick}: ${r.url()}`);
    });
    page.on('websocket', (ws) => sockets.push(ws.url()));
    return page;
  }

  before(async () => {
    [ircd, turn, browser] = await Promise.all([startIrcd(), startTurn(), launchBrowser({ args: ['--autoplay-policy=no-user-gesture-required'] })]);
    daemon = await startDaemon({ env: { CONVOS_REVERSE_PROXY: '1', CONVOS_STUN: `stun://127.0.0.1:${turn.port}` } });
    ngx = await startNginx(daemon.port);
    bot = await IrcBot.connect(ircd.port, 'watcher');
    bot.send(`JOIN ${CHANNEL}`);
  });

  after(async () => {
    bot?.close();
    await stopAll();
    await stopTurns();
  });

  test('chat: register, connect, messages both ways, an upload link', async () => {
    alice = await proxiedPage('alice');
    await registerAndConnect(alice, { url: ngx.url, email: 'alice@example.com', nick: 'alice', channel: CHANNEL, ircPort: ircd.port });
    assert.match(alice.url(), /^https:\/\/127\.0\.0\.1:\d+\/chat\//);
    await say(alice, 'hello through nginx');
    await bot.waitFor((l) => l.includes(`PRIVMSG ${CHANNEL} :hello through nginx`), 15_000);
    bot.send(`PRIVMSG ${CHANNEL} :hello back from irc`);
    await messageRow(alice, 'hello back from irc').waitFor({ timeout: 15_000 });
    // An upload from the page: its link carries the public origin and the prefix.
    const file = await alice.evaluate(async () => {
      const r = await fetch('api/files?name=note.txt', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'through the proxy' });
      return r.json();
    });
    assert.ok(file.url.startsWith(`https://127.0.0.1:${ngx.port}/chat/file/`), file.url);
    const text = await alice.evaluate(async (u) => (await fetch(u)).text(), file.url);
    assert.equal(text, 'through the proxy');
    // The app's links carry the prefix (a new tab opens the right page); a click routes.
    const settings = alice.locator('.sidebar a.nav', { hasText: 'Settings' });
    assert.equal(await settings.getAttribute('href'), '/chat/settings');
    await settings.click();
    await alice.waitForURL(/\/chat\/settings/);
    await alice.goBack();
    await alice.locator('.chat h1', { hasText: CHANNEL }).waitFor();
  });

  test('a second user from an invite link, then a 2-party call', async () => {
    const invite = await alice.evaluate(async () => {
      const r = await fetch('api/user/bob%40example.com/invite', { method: 'POST' });
      return r.json();
    });
    assert.ok(invite.url.startsWith(`https://127.0.0.1:${ngx.port}/chat/register?`), invite.url);
    bob = await proxiedPage('bob');
    await registerAndConnect(bob, { url: ngx.url, inviteUrl: invite.url, email: 'bob@example.com', nick: 'bob', channel: CHANNEL, ircPort: ircd.port });

    await alice.locator('[data-testid=call-button]').click();
    // The pre-join preview, then the call.
    await alice.locator('[data-testid=call-join-now]').click({ timeout: 15_000 });
    await alice.locator('[data-testid=call-panel][data-phase=active]').waitFor({ timeout: 15_000 });
    const ring = bob.locator('[data-testid=call-ringing]');
    await ring.filter({ hasText: 'alice' }).waitFor({ timeout: 20_000 });
    await ring.getByRole('button', { name: 'Join', exact: true }).click();
    await bob.locator('[data-testid=call-join-now]').click({ timeout: 15_000 });
    await Promise.all([waitPeers(alice, ['bob']), waitPeers(bob, ['alice'])]);
    await assertMediaFrom(alice, ['bob'], assert);
    await assertMediaFrom(bob, ['alice'], assert);
    await alice.locator('[data-testid=call-hangup]').click();
    await bob.locator('[data-testid=call-hangup]').click();
    assert.deepEqual(outside, [], 'every request stays under /chat/');
    // The event streams (and with them the call's signalling) went over wss:// through nginx.
    assert.ok(sockets.length >= 2 && sockets.every((u) => u.startsWith(`wss://127.0.0.1:${ngx.port}/chat/events`)), sockets.join(' '));
  });
});
