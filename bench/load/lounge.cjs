// The browser side of The Lounge for scripts/bench: its socket.io v4 protocol
// (auth:start -> auth:perform -> init), as its web client speaks it.
// Run with NODE_PATH pointing at the node_modules that holds socket.io-client.
//
//   node lounge.cjs latency --url U --user-fmt 'lat{}' --from 1 --to 20 --password P
//        --tag s3 --expect N --max-secs S --idle-secs S --ready-file F
//   node lounge.cjs history --url U --user NAME --password P --since-ns T --searches K
//        --older PAGES --conv '#h1' --max-secs S
// Each prints one JSON line, like convos-load. Bounded by --max-secs.
"use strict";
const { io } = require("socket.io-client");

const argv = process.argv.slice(2);
const mode = argv[0];
const args = {};
for (let i = 1; i < argv.length; i += 2) args[argv[i].replace(/^--/, "")] = argv[i + 1];
const num = (k, d) => (args[k] === undefined ? d : Number(args[k]));
const nowNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
const pct = (s, p) => (s.length ? s[Math.min(s.length - 1, Math.round((s.length - 1) * p))] : NaN);
const maxMs = num("max-secs", 120) * 1000;
const deadline = Date.now() + maxMs;
const hardStop = setTimeout(() => {
  console.error("lounge.cjs: --max-secs reached");
  process.exit(3);
}, maxMs + 5000);

// Resolves with [socket, init payload, ms at auth:start] once logged in.
function login(user, password, retry) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = io(args.url, { transports: ["websocket"], reconnection: false, timeout: 5000 });
      let started = 0;
      s.on("auth:start", () => {
        started = performance.now();
        s.emit("auth:perform", { user, password });
      });
      s.on("auth:failed", () => reject(new Error(`auth failed for ${user}`)));
      s.on("init", (data) => resolve([s, data, started]));
      s.on("connect_error", (e) => {
        s.close();
        if (retry && Date.now() < deadline) setTimeout(attempt, 10);
        else reject(e);
      });
    };
    attempt();
  });
}

async function latency() {
  const tag = `${args.tag} `;
  const expect = num("expect", 0);
  const lat = [];
  let last = 0;
  const sockets = [];
  for (let n = num("from", 1); n <= num("to", 1); n++) {
    const [s] = await login(args["user-fmt"].replace("{}", n), args.password, false);
    sockets.push(s);
    s.on("msg", (data) => {
      const text = data && data.msg && data.msg.text;
      if (typeof text !== "string" || !text.startsWith(tag)) return;
      const m = / t=(\d+)/.exec(text);
      if (!m) return;
      lat.push(Number(nowNs() - BigInt(m[1])) / 1e6);
      last = Date.now();
    });
  }
  if (args["ready-file"]) require("fs").writeFileSync(args["ready-file"], "ready\n");
  console.error(`lounge: ${sockets.length} sockets logged in`);
  const idle = num("idle-secs", 10) * 1000;
  await new Promise((resolve) => {
    const t = setInterval(() => {
      const done = (expect && lat.length >= expect) || Date.now() > deadline || (last && Date.now() - last > idle);
      if (done) {
        clearInterval(t);
        resolve();
      }
    }, 20);
  });
  lat.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      clients: sockets.length,
      received: lat.length,
      expected: expect,
      p50_ms: +pct(lat, 0.5).toFixed(3),
      p99_ms: +pct(lat, 0.99).toFixed(3),
      max_ms: +(lat.length ? lat[lat.length - 1] : NaN).toFixed(3),
    })
  );
  sockets.forEach((s) => s.close());
}

// Same vocabulary and word choice as convos-load's history command (fill.rs / history.rs).
function vocabulary() {
  let x = 0x9e3779b97f4a7c15n;
  const M = (1n << 64n) - 1n;
  const next = () => {
    x ^= (x << 13n) & M;
    x ^= x >> 7n;
    x ^= (x << 17n) & M;
    return x;
  };
  const below = (n) => Number(next() % BigInt(n));
  const common = "the to i a and is it you that in of for on this have but be not with just so if we can what there do no yes lol ok think know like get would about one all build error server code rust irc client video call test bug".split(" ");
  const syll = ["ka", "lo", "mi", "ren", "tor", "vex", "qu", "sa", "ne", "bri", "dol", "fa"];
  const v = common.slice();
  while (v.length < 20050) {
    const n = 2 + below(3);
    let w = "";
    for (let i = 0; i < n; i++) w += syll[below(syll.length)];
    v.push(w);
  }
  return v;
}

async function history() {
  const since = BigInt(args["since-ns"]);
  const msSince = () => Number(nowNs() - since) / 1e6;
  const [s, init, startedAt] = await login(args.user, args.password, true);
  const firstPage = msSince();
  const readyMs = firstPage - (performance.now() - startedAt);
  const net = init.networks[0];
  const pageMsgs = net.channels.reduce((n, c) => n + c.messages.length, 0);
  const vocab = vocabulary();
  // Rng(42) as in history.rs
  let x = 42n;
  const M = (1n << 64n) - 1n;
  const below = (n) => {
    x ^= (x << 13n) & M;
    x ^= x >> 7n;
    x ^= (x << 17n) & M;
    return Number(x % BigInt(n));
  };
  const times = [];
  let hits = 0;
  const budget = Date.now() + num("search-secs", 60) * 1000;
  for (let i = 0; i < num("searches", 30) && Date.now() < budget && Date.now() < deadline; i++) {
    const word = i % 3 === 0 ? vocab[below(50)] : i % 3 === 1 ? vocab[50 + below(500)] : vocab[5000 + below(15000)];
    const t = performance.now();
    const res = await new Promise((resolve) => {
      s.once("search:results", resolve);
      s.emit("search", { networkUuid: net.uuid, searchTerm: word, offset: 0 });
    });
    times.push(performance.now() - t);
    hits += (res.results || []).length;
  }
  // Scrolling back: its `more` (100 older messages a time) from the oldest one init gave,
  // as its client asks when the reader scrolls up (history.rs does the same over HTTP).
  const older = [];
  const ch = net.channels.find((c) => c.name === (args.conv || "#h1"));
  let lastId = ch && ch.messages.length ? ch.messages[0].id : null;
  for (let i = 0; i < num("older", 100) && lastId !== null && Date.now() < deadline; i++) {
    const t = performance.now();
    const res = await new Promise((resolve) => {
      s.once("more", resolve);
      s.emit("more", { target: ch.id, lastId, condensed: false });
    });
    older.push(performance.now() - t);
    const got = res.messages || [];
    lastId = got.length === 100 ? got[0].id : null;
  }
  older.sort((a, b) => a - b);
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      older_pages: older.length,
      older_p50_ms: +pct(older, 0.5).toFixed(3),
      older_p99_ms: +pct(older, 0.99).toFixed(3),
      ready_ms: +readyMs.toFixed(1),
      first_page_ms: +firstPage.toFixed(1),
      init_messages: pageMsgs,
      searches: times.length,
      search_hits: hits,
      search_p50_ms: +pct(times, 0.5).toFixed(2),
      search_p99_ms: +pct(times, 0.99).toFixed(2),
    })
  );
  s.close();
}

(mode === "latency" ? latency() : mode === "history" ? history() : Promise.reject(new Error(`unknown mode ${mode}`)))
  .then(() => {
    clearTimeout(hardStop);
    process.exit(0);
  })
  .catch((e) => {
    console.error(`lounge.cjs ${mode}: ${e.message || e}`);
    process.exit(1);
  });
