// A small stand-in for the Rust backend (docs/api.md), for looking at the UI before the
// real server is ready: serves dist/ with index.html for unknown paths, the REST API from
// memory, and /events with replay by seq. Not used by tests or the build.
//
//   npm run build && node dev/mock-server.mjs [port]     (MOCK_ANON=1: start signed out)
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 8080);
const dist = new URL('../dist/', import.meta.url).pathname;
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:";
let signedIn = !process.env.MOCK_ANON;

const user = {
  email: 'superman@example.com', uid: 1, roles: ['admin'], registered: '2026-01-01T10:00:00Z',
  highlight_keywords: ['rust'], unread: 2, default_connection: 'irc://irc.libera.chat:6697/%23convos',
  forced_connection: false, video_service: '', rtc: { ice_servers: [] },
};
const connections = [
  { connection_id: 'irc-libera', name: 'libera', url: 'irc://irc.libera.chat:6697?nick=superman&tls=1', nick: 'superman',
    me: { nick: 'superman', authenticated: true }, state: 'connected', wanted_state: 'connected', message: '', on_connect_commands: [] },
  { connection_id: 'irc-oftc', name: 'oftc', url: 'irc://irc.oftc.net:6697?nick=superman&tls=1', nick: 'superman',
    me: { nick: 'superman' }, state: 'disconnected', wanted_state: 'connected', message: 'Connection refused (retrying in 30s)', on_connect_commands: [] },
];
const conv = (cid, id, o = {}) => ({ connection_id: cid, conversation_id: id, name: id || cid, topic: '', frozen: '',
  unread: 0, notifications: 0, last_read: 0, is_private: id !== '' && !id.startsWith('#'), info: {}, ...o });
const conversations = [
  conv('irc-libera', '', { name: 'libera' }),
  conv('irc-libera', '#convos', { topic: 'Convos — the \x02always online\x02 web IRC client | https://convos.chat', unread: 3, notifications: 1 }),
  conv('irc-libera', '#rust', { topic: 'Rust programming language', unread: 12 }),
  conv('irc-libera', '#svelte', { frozen: '' }),
  conv('irc-libera', 'batman', { name: 'batman', unread: 2 }),
  conv('irc-oftc', '', { name: 'oftc' }),
  conv('irc-oftc', '#debian', { frozen: 'Not connected.' }),
];
const nicks = ['batman', 'wonderwoman', 'flash', 'aquaman', 'cyborg', 'robin', 'alfred', 'superman'];
const lines = [
  'hello everyone', 'has anyone tried the new release?', 'yes, works great on my phone',
  'see https://example.com/docs/getting-started_(guide) for details.', '\x02bold\x02 and \x1ditalic\x1d and \x1funderline\x1f',
  '\x0304red\x03 \x0309green\x03 \x0312,08blue on yellow\x03 \x04ff8800hex orange\x0f back', 'I think rust is the way to go here',
  '<img src=x onerror=alert(1)> should be text', 'a much longer line that goes on and on to check how wrapping behaves in the message list when the text is longer than the viewport is wide, which happens a lot on phones',
  '\x11monospace code()\x11 inline', 'lol', 'brb', 'superman: can you check this?',
];
const messages = [];
let msgId = 1;
function addMsg(cid, cv, o) {
  const m = { id: msgId++, connection_id: cid, conversation_id: cv, ts: new Date().toISOString(), type: 'private', from: 'batman',
    message: '', highlight: false, self: false, ...o };
  messages.push(m);
  return m;
}
{
  const start = Date.now() - 3 * 24 * 3600 * 1000;
  const N = Number(process.env.MOCK_HISTORY ?? 5000);
  for (let i = 0; i < N; i++) {
    const ts = new Date(start + (i * (3 * 24 * 3600 * 1000)) / N).toISOString();
    const from = nicks[(i * 7 + (i >> 3)) % nicks.length];
    let type = 'private';
    let text = lines[(i * 5) % lines.length];
    if (i % 23 === 0) { type = 'join'; text = ''; }
    else if (i % 23 === 1) { type = 'quit'; text = 'Ping timeout'; }
    else if (i % 31 === 0) { type = 'action'; text = 'waves at everyone'; }
    else if (i % 97 === 0) { type = 'notice'; text = 'Server maintenance tonight'; }
    addMsg('irc-libera', '#convos', { ts, from, type, message: text, self: from === 'superman',
      highlight: from !== 'superman' && /superman|rust/.test(text) });
  }
  conversations[1].last_read = msgId - 4;
  for (let i = 0; i < 40; i++) addMsg('irc-libera', '#rust', { ts: new Date(Date.now() - (40 - i) * 60000).toISOString(), from: nicks[i % 5], message: `rust message ${i}` });
  addMsg('irc-libera', 'batman', { from: 'batman', message: 'hey, are you around?', ts: new Date(Date.now() - 120000).toISOString() });
  addMsg('irc-libera', 'batman', { from: 'batman', message: 'ping me when you are', ts: new Date(Date.now() - 60000).toISOString() });
  addMsg('irc-libera', '', { type: 'server', from: '', message: 'Welcome to the Libera.Chat Internet Relay Chat Network superman' });
  addMsg('irc-oftc', '', { type: 'error', from: '', message: 'Connection refused' });
}

// Events with seq for resume.
const events = [];
let seq = 0;
const sockets = new Set();
function emit(ev) {
  const e = { seq: ++seq, ...ev };
  events.push(e);
  for (const ws of sockets) ws.send(JSON.stringify(e));
}

const json = (res, status, body) => {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Security-Policy': CSP });
  res.end(JSON.stringify(body));
};
const err = (res, status, message) => json(res, status, { errors: [{ message, path: '/' }] });
const body = (req) => new Promise((ok) => { let b = ''; req.on('data', (c) => (b += c)); req.on('end', () => { try { ok(JSON.parse(b || '{}')); } catch { ok({}); } }); });
const key = (s) => s.toLowerCase();

function page(list, q) {
  const limit = Math.min(200, Number(q.get('limit') ?? 60));
  if (q.get('before')) { const b = Number(q.get('before')); const o = list.filter((m) => m.id < b); return { messages: o.slice(-limit), end: o.length <= limit }; }
  if (q.get('after')) { const a = Number(q.get('after')); const n = list.filter((m) => m.id > a); return { messages: n.slice(0, limit), end: n.length <= limit }; }
  if (q.get('around')) { const a = Number(q.get('around')); const i = Math.max(0, list.findIndex((m) => m.id >= a)); const s = Math.max(0, i - (limit >> 1)); return { messages: list.slice(s, s + limit), end: false }; }
  return { messages: list.slice(-limit), end: list.length <= limit };
}

async function api(req, res, url) {
  const p = url.pathname;
  const q = url.searchParams;
  const m = req.method;
  if (p === '/api/settings/public') return json(res, 200, { organization_name: '', organization_url: '', open_to_public: false, first_user: false, default_connection: user.default_connection, forced_connection: false });
  if (p === '/api/user/login' && m === 'POST') { const b = await body(req); if (b.password !== 'supersecret1') return err(res, 400, 'Invalid email or password.'); signedIn = true; return json(res, 200, user); }
  if (p === '/api/user/register' && m === 'POST') { signedIn = true; return json(res, 200, user); }
  if (!signedIn) return err(res, 401, 'Need to log in first.');
  if (p === '/api/user/logout') { signedIn = false; return json(res, 200, {}); }
  if (p === '/api/user' && m === 'GET') return json(res, 200, { ...user, connections, conversations });
  if (p === '/api/user' && m === 'POST') { const b = await body(req); if (b.highlight_keywords) user.highlight_keywords = b.highlight_keywords; return json(res, 200, user); }
  if (p === '/api/users') return json(res, 200, { users: [user, { ...user, email: 'lois@example.com', roles: [] }] });
  if (p === '/api/settings') return json(res, 200, { organization_name: 'Daily Planet', organization_url: '', contact: '', default_connection: user.default_connection, forced_connection: false, open_to_public: false });
  if (/^\/api\/user\/[^/]+\/invite$/.test(p)) return json(res, 200, { url: '/register?email=lois%40example.com&token=abc123', expires: new Date(Date.now() + 86400000).toISOString() });
  if (p === '/api/connections' && m === 'POST') {
    const b = await body(req); const u = new URL(b.url); const c = { connection_id: 'irc-' + u.hostname.split('.')[1], name: u.hostname.split('.')[1], url: b.url, nick: u.searchParams.get('nick') ?? 'me', state: 'connecting', wanted_state: 'connected', message: '', on_connect_commands: [] };
    connections.push(c); conversations.push(conv(c.connection_id, '', { name: c.name }));
    return json(res, 200, c);
  }
  let r;
  if ((r = /^\/api\/connection\/([^/]+)\/messages$/.exec(p))) { const cid = decodeURIComponent(r[1]); return json(res, 200, page(messages.filter((x) => x.connection_id === cid && x.conversation_id === ''), q)); }
  if ((r = /^\/api\/connection\/([^/]+)\/conversation\/([^/]+)\/messages$/.exec(p))) {
    const cid = decodeURIComponent(r[1]); const cv = key(decodeURIComponent(r[2]));
    await new Promise((ok) => setTimeout(ok, 150));
    return json(res, 200, page(messages.filter((x) => x.connection_id === cid && key(x.conversation_id) === cv), q));
  }
  if ((r = /^\/api\/connection\/([^/]+)\/conversation\/([^/]+)\/participants$/.exec(p))) {
    return json(res, 200, { participants: nicks.map((n, i) => ({ nick: n, mode: i === 0 ? '@' : i === 1 ? '+' : '' })) });
  }
  if ((r = /^\/api\/connection\/([^/]+)\/conversation\/([^/]+)\/read$/.exec(p))) {
    const c = conversations.find((x) => x.connection_id === decodeURIComponent(r[1]) && key(x.conversation_id) === key(decodeURIComponent(r[2])));
    if (c) { c.unread = 0; c.notifications = 0; c.last_read = msgId - 1; }
    return json(res, 200, c ?? {});
  }
  if ((r = /^\/api\/connection\/([^/]+)$/.exec(p))) {
    const c = connections.find((x) => x.connection_id === decodeURIComponent(r[1]));
    if (!c) return err(res, 404, 'Not found.');
    if (m === 'DELETE') { connections.splice(connections.indexOf(c), 1); return json(res, 200, {}); }
    const b = await body(req); Object.assign(c, b); if (b.wanted_state) c.state = b.wanted_state === 'connected' ? 'connecting' : 'disconnected';
    return json(res, 200, c);
  }
  if (p === '/api/search') {
    const match = q.get('match') ?? ''; let from = ''; let inn = ''; const terms = [];
    for (const w of match.split(/\s+/).filter(Boolean)) { if (w.startsWith('from:')) from = w.slice(5); else if (w.startsWith('in:')) inn = w.slice(3); else terms.push(w.toLowerCase()); }
    const before = Number(q.get('before') ?? Infinity);
    const hits = messages.filter((x) => x.id < before && (!from || key(x.from) === key(from)) && (!inn || key(x.conversation_id) === key(inn)) && terms.every((t) => x.message.toLowerCase().includes(t))).reverse();
    return json(res, 200, { messages: hits.slice(0, 60), end: hits.length <= 60 });
  }
  if (p === '/api/notifications' && m === 'GET') { const h = messages.filter((x) => x.highlight).reverse().slice(0, 50).map((x, i) => ({ ...x, read: i > 1 })); return json(res, 200, { messages: h, end: true }); }
  if (p === '/api/notifications/read') { user.unread = 0; return json(res, 200, {}); }
  return err(res, 404, 'Not found.');
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };
const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/api')) return api(req, res, url);
  let file = join(dist, url.pathname);
  if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CSP });
  res.end(readFileSync(file));
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, sock, head) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname !== '/events' || !signedIn) return sock.destroy();
  wss.handleUpgrade(req, sock, head, (ws) => {
    const since = url.searchParams.get('since');
    if (since !== null) for (const e of events) if (e.seq > Number(since)) ws.send(JSON.stringify(e));
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.method === 'ping') return ws.send(JSON.stringify({ id: f.id, event: 'pong', ts: new Date().toISOString() }));
      if (f.method === 'send') {
        const text = String(f.message);
        if (text.startsWith('/') && !/^\/(me|say|join|query|nick) /.test(text)) return ws.send(JSON.stringify({ id: f.id, errors: [{ message: `Unknown command: ${text.split(' ')[0]}`, path: '/message' }] }));
        ws.send(JSON.stringify({ id: f.id, event: 'sent', connection_id: f.connection_id, conversation_id: f.conversation_id, message: text }));
        const me = text.startsWith('/me ');
        const msg = addMsg(f.connection_id, f.conversation_id, { from: 'superman', self: true, type: me ? 'action' : 'private', message: me ? text.slice(4) : text });
        emit({ event: 'message', ...msg });
      }
    });
  });
});

// Live chatter so the UI has something to show.
setInterval(() => {
  const from = nicks[Math.floor(Math.random() * 6)];
  const text = lines[Math.floor(Math.random() * lines.length)];
  const msg = addMsg('irc-libera', Math.random() < 0.7 ? '#convos' : '#rust', { from, message: text, highlight: /superman|rust/.test(text) });
  emit({ event: 'message', ...msg });
  if (msg.highlight) emit({ event: 'notification', ...msg });
}, Number(process.env.MOCK_TICK ?? 4000));

server.listen(port, '127.0.0.1', () => console.log(`mock convos on http://127.0.0.1:${port}`));
