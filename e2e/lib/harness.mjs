// The e2e harness: real InspIRCd, the real `convos` binary and Debian's chromium driven
// by playwright-core. Every process is started by PID and stopped by PID, also when a
// test fails or the runner is interrupted. Every wait has a deadline.
//
//   const ircd = await startIrcd();                 // { port, tlsPort?, dir, stop() }
//   const d = await startDaemon({ env: {...} });    // { url, port, home, stop(), logs() }
//   await restartDaemon(d);                         // SIGTERM, then start on the same home + port
//   const browser = await launchBrowser();
//   const page = await (await browser.newContext()).newPage();
//   await registerAndConnect(page, { url: d.url, email, nick, channel, ircPort: ircd.port });
//   const bot = await IrcBot.connect(ircd.port, 'bot'); await bot.join('#chan');
//   await stopAll();                                // in an `after` hook
//
// Under CI=true a missing chromium or inspircd is an error; elsewhere `requireTools()`
// reports what is missing so the test file can skip loudly.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const E2E_DIR = path.resolve(here, '..');
export const REPO_DIR = path.resolve(E2E_DIR, '..');
export const SCREENSHOT_DIR = path.join(E2E_DIR, 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const CONVOS_BIN = path.resolve(E2E_DIR, process.env.CONVOS_BIN || '../target/debug/convos');
export const PASSWORD = 'correct horse battery';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
];

// ---------------------------------------------------------------------------------------
// Processes and cleanup

const live = new Set(); // { child, name }
const tempDirs = new Set();
const browsers = new Set();

function killTree(child, signal = 'SIGKILL') {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // its own process group (detached)
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

process.on('exit', () => {
  for (const p of live) killTree(p.child);
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    for (const p of live) killTree(p.child);
    process.exit(130);
  });
}

export function track(child, name) {
  const entry = { child, name };
  live.add(entry);
  child.once('exit', () => live.delete(entry));
  return entry;
}

/** Waits for a child to exit; SIGKILLs it after `ms`. */
export async function waitExit(child, ms = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  const t = sleep(ms).then(() => 'timeout');
  if ((await Promise.race([exited, t])) === 'timeout') {
    killTree(child);
    await exited;
  }
}

export function tempDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

/** Stops every browser and process this harness started, and removes temp dirs. */
export async function stopAll() {
  await Promise.allSettled([...browsers].map((b) => withTimeout(b.close(), 10_000, 'browser close')));
  browsers.clear();
  for (const p of [...live]) {
    killTree(p.child, 'SIGTERM');
  }
  await Promise.allSettled([...live].map((p) => waitExit(p.child, 5_000)));
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** Polls `fn` until it returns a truthy value; throws after `ms`. */
export async function until(fn, { ms = 10_000, every = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(every);
  }
}

// ---------------------------------------------------------------------------------------
// Tools

function which(cmd) {
  if (cmd.startsWith('/')) return fs.existsSync(cmd) ? cmd : null;
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Checks for chromium, inspircd and the convos binary. Returns `null` when all are there,
 * else a reason to skip. Under CI=true a missing tool throws (the suite must fail).
 */
export function requireTools({ ircd = true, browser = true } = {}) {
  const missing = [];
  if (browser && !which(CHROMIUM)) missing.push(`chromium (${CHROMIUM}; apt-get install chromium)`);
  if (ircd && !which('inspircd')) missing.push('inspircd (apt-get install inspircd)');
  if (!fs.existsSync(CONVOS_BIN)) missing.push(`the convos binary (${CONVOS_BIN}; cargo build)`);
  if (missing.length === 0) return null;
  const msg = `missing: ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: the e2e tests must not be skipped)`);
  console.error(`\n*** SKIPPED: ${msg} ***\n`);
  return msg;
}

// ---------------------------------------------------------------------------------------
// Ports

/**
 * A port that was free on 127.0.0.1 a moment ago, for a server that binds it itself. Taken
 * below the kernel's ephemeral range (32768 up): a port from listen(0) can become some
 * outgoing connection's local port before the server binds it.
 */
export async function freePort() {
  for (let i = 0; i < 1000; i++) {
    const port = 10000 + Math.floor(Math.random() * 22000);
    const ok = await new Promise((resolve) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port below 32000');
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

// ---------------------------------------------------------------------------------------
// InspIRCd

function ircdConfig(dir, port, tlsPort) {
  const tls = tlsPort
    ? `<bind address="127.0.0.1" port="${tlsPort}" type="clients" sslprofile="Clients">
<module name="ssl_gnutls">
<sslprofile name="Clients" provider="gnutls" certfile="${dir}/cert.pem" keyfile="${dir}/key.pem" hash="sha256" requestclientcert="no">
`
    : '';
  // defaultmodes="not": channel creators get ops (+o) as on most networks. The <connect>
  // limits are raised so bots may flood 127.0.0.1 (the default kills a client after ~10 lines).
  return `<server name="irc.test" description="test server" network="TestNet">
<admin name="admin" nick="admin" email="admin@irc.test">
<bind address="127.0.0.1" port="${port}" type="clients">
${tls}<connect allow="*" timeout="60" pingfreq="120" threshold="1000" commandrate="1000000" recvq="65536" sendq="1048576" localmax="1000" globalmax="1000" maxchans="50" limit="5000" useident="no" usednsbl="no" resolvehostnames="no">
<class name="Shutdown" commands="DIE RESTART REHASH LOADMODULE UNLOADMODULE RELOADMODULE">
<type name="NetAdmin" classes="Shutdown">
<oper name="oper" password="operpass" host="*@*" type="NetAdmin">
<files motd="${dir}/motd.txt">
<pid file="${dir}/inspircd.pid">
<dns server="127.0.0.1" timeout="1">
<options prefixquit="Quit: " hostintopic="yes" defaultmodes="not">
<security hidesplits="no" hideulines="no" announceinvites="dynamic" runasuser="" runasgroup="">
<performance netbuffersize="10240" somaxconn="128" softlimit="1024" clonesonconnect="no" timeskipwarn="2s" quietbursts="yes">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${dir}/inspircd.log">
<module name="cap"><module name="ircv3"><module name="ircv3_accounttag"><module name="ircv3_batch">
<module name="ircv3_capnotify"><module name="ircv3_chghost"><module name="ircv3_ctctags">
<module name="ircv3_echomessage"><module name="ircv3_invitenotify"><module name="ircv3_labeledresponse">
<module name="ircv3_msgid"><module name="ircv3_servertime">
<module name="monitor"><module name="namesx"><module name="uhnames"><module name="setname">
<module name="sha256">
`;
}

/**
 * Starts InspIRCd in its own temp directory (it may crash and leave a core file when
 * stopped) on free ports of 127.0.0.1 and waits until it accepts connections.
 * `tls: true` adds a TLS port with a self-signed certificate (needs `openssl`).
 */
export async function startIrcd({ tls = false } = {}) {
  const dir = tempDir('convos-e2e-ircd-');
  const port = await freePort();
  const tlsPort = tls ? await freePort() : null;
  if (tls) {
    const r = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`,
        '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { stdio: 'ignore', timeout: 30_000 },
    );
    if (r.status !== 0) throw new Error('openssl could not make a certificate for the TLS port');
  }
  fs.writeFileSync(path.join(dir, 'inspircd.conf'), ircdConfig(dir, port, tlsPort));
  fs.writeFileSync(path.join(dir, 'motd.txt'), 'Welcome to the e2e test server\n');
  const out = fs.openSync(path.join(dir, 'inspircd.out'), 'w');
  const child = spawn('inspircd', ['--nofork', '--runasroot', `--config=${dir}/inspircd.conf`], {
    cwd: dir,
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  track(child, 'inspircd');
  const log = () => fs.readFileSync(path.join(dir, 'inspircd.out'), 'utf8');
  await until(async () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`inspircd exited: ${log()}`);
    return canConnect(port);
  }, { ms: 20_000, what: 'inspircd to accept connections' });
  return {
    dir,
    port,
    tlsPort,
    pid: child.pid,
    log,
    async stop() {
      killTree(child, 'SIGKILL');
      await waitExit(child, 5_000);
    },
  };
}

// ---------------------------------------------------------------------------------------
// The convos daemon

/**
 * Starts `convos daemon --listen http://127.0.0.1:PORT` with a fresh CONVOS_HOME (or
 * `home`) on a free port (or `port`), and waits for `/healthz`. `env` adds variables
 * (e.g. CONVOS_STUN / CONVOS_TURN for call tests).
 */
export async function startDaemon({ env = {}, home, port, name = 'convos' } = {}) {
  const d = {
    name,
    home: home ?? tempDir('convos-e2e-home-'),
    port: port ?? (await freePort()),
    env,
    child: null,
    logFile: null,
    url: '',
    logs() {
      return this.logFile && fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
    },
    async stop(signal = 'SIGTERM') {
      if (!this.child) return;
      killTree(this.child, signal);
      await waitExit(this.child, 10_000);
      this.child = null;
    },
  };
  d.url = `http://127.0.0.1:${d.port}`;
  d.logFile = path.join(d.home, 'e2e-daemon.log');
  await spawnDaemon(d);
  return d;
}

async function spawnDaemon(d) {
  const out = fs.openSync(d.logFile, 'a');
  const child = spawn(CONVOS_BIN, ['daemon', '--listen', d.url], {
    env: {
      ...process.env,
      CONVOS_HOME: d.home,
      CONVOS_LOG_LEVEL: process.env.CONVOS_LOG_LEVEL || 'info',
      CONVOS_LOG_FORMAT: 'text',
      // The test InspIRCd listens on 127.0.0.1, which non-admin users may not reach otherwise.
      CONVOS_IRC_ALLOW: '127.0.0.1',
      ...d.env,
    },
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  track(child, d.name);
  d.child = child;
  await until(async () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`convos exited (${child.exitCode}): ${d.logs().slice(-2000)}`);
    const r = await fetch(`${d.url}/healthz`, { signal: AbortSignal.timeout(1000) });
    return r.ok;
  }, { ms: 20_000, what: `convos on ${d.url}/healthz` });
}

/** Stops the daemon with SIGTERM (as an operator would) and starts it on the same home and port. */
export async function restartDaemon(d, { signal = 'SIGTERM', downMs = 0 } = {}) {
  await d.stop(signal);
  if (downMs) await sleep(downMs);
  // The port may linger a moment after exit.
  await until(async () => !(await canConnect(d.port)), { ms: 5_000, what: 'the old daemon to release its port' });
  await spawnDaemon(d);
  return d;
}

// ---------------------------------------------------------------------------------------
// HTTP API (as a user, outside the browser)

/** A tiny API client with its own cookie; `origin` header set so writes pass the check. */
export class ApiClient {
  constructor(base) {
    this.base = base;
    this.cookie = '';
  }
  async req(method, p, body) {
    const headers = { Origin: this.base };
    if (this.cookie) headers.Cookie = this.cookie;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(this.base + p, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const set = r.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
    const text = await r.text();
    let json;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { text };
    }
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text.slice(0, 300)}`);
    return json;
  }
  get(p) {
    return this.req('GET', p);
  }
  post(p, body = {}) {
    return this.req('POST', p, body);
  }
  login(email, password = PASSWORD) {
    return this.post('/api/user/login', { email, password });
  }
}

/** Copies a browser context's session cookie into an ApiClient (acts as that user). */
export async function apiFor(context, base) {
  const api = new ApiClient(base);
  const c = (await context.cookies(base)).find((x) => x.name === 'convos_session');
  if (!c) throw new Error('no convos_session cookie in the browser context');
  api.cookie = `${c.name}=${c.value}`;
  return api;
}

// ---------------------------------------------------------------------------------------
// Browser

/** Launches Debian's chromium headless with the flags measured to work here. */
export async function launchBrowser({ args = [] } = {}) {
  const browser = await withTimeout(
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...args], timeout: 30_000 }),
    40_000,
    'chromium launch',
  );
  browsers.add(browser);
  browser.once('disconnected', () => browsers.delete(browser));
  return browser;
}

/**
 * A new context + page with short default timeouts, console errors collected in
 * `page.errors`, and any `alert()`/`confirm()` dialog recorded in `page.dialogs` (and
 * dismissed, so the page never hangs).
 */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const page = await context.newPage();
  page.errors = [];
  page.dialogs = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(m.text());
  });
  // Dialogs are recorded and dismissed, or accepted while `page.acceptDialogs` is true.
  page.acceptDialogs = false;
  page.on('dialog', (d) => {
    page.dialogs.push(`${d.type()}: ${d.message()}`);
    void (page.acceptDialogs ? d.accept() : d.dismiss()).catch(() => {});
  });
  return page;
}

const AXE = path.join(E2E_DIR, 'node_modules', 'axe-core', 'axe.min.js');

/**
 * Runs axe-core (WCAG 2.1 A and AA, and best practices) on the page as it is now and
 * returns its violations as readable lines (empty: none). Excluded: nothing.
 */
export async function axeViolations(page) {
  // Evaluated through the DevTools protocol: the page's CSP (no inline scripts) stays on.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(fs.readFileSync(AXE, 'utf8'));
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return found.map((v) => `${v.impact} ${v.id}: ${v.help} [${v.nodes.join(' | ')}]`);
}

export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, timeout: 15_000 });
  return file;
}

/**
 * Registers a user in the browser (the register page must be reachable: first user, open
 * registration, or an invite `inviteUrl`), then fills the connect form for 127.0.0.1:ircPort
 * without TLS and waits until the channel is open with the connection connected.
 */
export async function registerAndConnect(page, { url, email, password = PASSWORD, nick, channel, ircPort, inviteUrl }) {
  await page.goto(inviteUrl ? new URL(inviteUrl, url).href : `${url}/register`);
  const emailInput = page.getByLabel('Email');
  await emailInput.waitFor();
  // An invite link fills in (and locks) the e-mail.
  if (await emailInput.isEditable()) await emailInput.fill(email);
  else assert.equal(await emailInput.inputValue(), email, 'the invite link is for this e-mail');
  await page.locator('input[type=password]').first().fill(password);
  await page.getByRole('button', { name: /create account|set password/i }).click();
  await page.waitForURL(/\/connect/, { timeout: 15_000 });
  await connectForm(page, { nick, channel, ircPort });
}

/** Fills and submits the connect form, then waits for the channel to show up connected. */
export async function connectForm(page, { nick, channel, ircPort }) {
  await page.getByLabel('Server').fill('127.0.0.1');
  await page.getByLabel('Port').fill(String(ircPort));
  const tls = page.getByLabel('Secure connection (TLS)');
  if (await tls.isChecked()) await tls.uncheck();
  await page.getByLabel('Nick').fill(nick);
  await page.getByLabel('Channels').fill(channel ?? '');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  if (channel) {
    await page.waitForURL((u) => decodeURIComponent(u.pathname).toLowerCase().endsWith(`/${channel.toLowerCase()}`), { timeout: 15_000 });
    await page.locator('.chat h1', { hasText: channel }).waitFor({ timeout: 15_000 });
  }
  await waitConnected(page);
  if (channel) await page.locator('.system', { hasText: `${nick} joined` }).first().waitFor({ timeout: 15_000 });
}

/** Waits until the sidebar shows every connection as connected (IRC registration takes ≈1 s). */
export async function waitConnected(page, ms = 20_000) {
  await until(
    async () => {
      const dots = await page.locator('.sidebar .dot').evaluateAll((els) => els.map((e) => e.className));
      return dots.length > 0 && dots.every((c) => /\bconnected\b/.test(c));
    },
    { ms, what: 'the IRC connection to be connected' },
  );
}

/** The chat input of the open conversation. */
export function chatInput(page) {
  return page.locator('#chat-input');
}

/** Types `text` in the chat input and presses Enter. */
export async function say(page, text) {
  const input = chatInput(page);
  await input.fill(text);
  await input.press('Enter');
  await until(async () => (await input.inputValue()) === '', { ms: 10_000, what: `"${text}" to be sent` });
}

/** The message rows (rendered by the virtual list) whose text contains `text`. */
export function messageRow(page, text) {
  return page.locator('.msg .text', { hasText: text });
}

// ---------------------------------------------------------------------------------------
// A raw IRC client for bots

export class IrcBot {
  /** Connects to 127.0.0.1:port and registers as `nick` (waits for 001, at most 20 s). */
  static async connect(port, nick) {
    const bot = new IrcBot(nick);
    await bot.open(port);
    return bot;
  }

  constructor(nick) {
    this.nick = nick;
    this.lines = [];
    this.waiters = [];
    /** Called with every line (but PING), as it comes. */
    this.listeners = [];
    this.buf = '';
  }

  open(port) {
    return withTimeout(
      new Promise((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port });
        this.sock = s;
        s.setEncoding('utf8');
        s.on('data', (chunk) => this.onData(chunk));
        s.once('error', reject);
        s.once('connect', () => {
          this.send(`NICK ${this.nick}`);
          this.send(`USER ${this.nick} 0 * :${this.nick}`);
          this.waitFor((l) => / 001 /.test(l), 20_000).then(resolve, reject);
        });
      }),
      25_000,
      `${this.nick} to register`,
    );
  }

  onData(chunk) {
    this.buf += chunk;
    let i;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).replace(/\r$/, '');
      this.buf = this.buf.slice(i + 1);
      if (line.startsWith('PING ')) {
        this.send(`PONG ${line.slice(5)}`);
        continue;
      }
      this.lines.push(line);
      for (const f of this.listeners) f(line);
      for (const w of [...this.waiters]) {
        if (w.pred(line)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  }

  send(line) {
    this.sock.write(`${line}\r\n`);
  }

  /** Resolves with the first line (already received or coming) matching `pred`. */
  waitFor(pred, ms = 10_000) {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return withTimeout(
      new Promise((resolve) => this.waiters.push({ pred, resolve })),
      ms,
      `${this.nick}: a matching IRC line`,
    );
  }

  async join(channel) {
    this.send(`JOIN ${channel}`);
    await this.waitFor((l) => / 366 /.test(l) && l.toLowerCase().includes(channel.toLowerCase()), 10_000);
  }

  say(target, text) {
    this.send(`PRIVMSG ${target} :${text}`);
  }

  /** Sends many lines without waiting, then a PING round-trip so all were processed. */
  async flood(target, texts) {
    const chunk = [];
    for (const t of texts) chunk.push(`PRIVMSG ${target} :${t}\r\n`);
    await new Promise((r) => this.sock.write(chunk.join(''), r));
    const token = `done${Date.now()}`;
    this.send(`PING :${token}`);
    await this.waitFor((l) => l.includes('PONG') && l.includes(token), 30_000);
  }

  close() {
    try {
      this.send('QUIT :bye');
    } catch {
      // closed
    }
    this.sock?.destroy();
  }
}
