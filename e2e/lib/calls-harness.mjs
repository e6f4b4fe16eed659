// Helpers for the call tests (e2e/calls.test.mjs): coturn, users on a daemon, and
// WebRTC stats read from the page through `window.__convosCalls`.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiFor, freePort, newPage, registerAndConnect, tempDir, until, waitExit } from './harness.mjs';

const turns = new Set();

/** Is coturn's `turnserver` installed? */
export function haveTurnserver() {
  return spawnSync('sh', ['-c', 'command -v turnserver'], { encoding: 'utf8' }).status === 0;
}

/**
 * Starts coturn on 127.0.0.1 (STUN + TURN, long-term credentials test:testpass),
 * with `--allow-loopback-peers` so relays to 127.x work.
 */
export async function startTurn() {
  const dir = tempDir('convos-e2e-turn-');
  const port = await freePort();
  const base = 40000 + Math.floor(Math.random() * 200) * 100;
  const out = fs.openSync(path.join(dir, 'turn.log'), 'w');
  const child = spawn(
    'turnserver',
    ['-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
      `--min-port=${base}`, `--max-port=${base + 99}`, '--lt-cred-mech', '--user=test:testpass',
      '--realm=test.local', '--fingerprint', '--allow-loopback-peers', '--no-cli', '--no-tls', '--no-dtls',
      `--pidfile=${dir}/turn.pid`, `--userdb=${dir}/turndb`, '--log-file=stdout', '--simple-log'],
    { cwd: dir, stdio: ['ignore', out, out], detached: true },
  );
  fs.closeSync(out);
  const t = {
    port,
    dir,
    child,
    log: () => fs.readFileSync(path.join(dir, 'turn.log'), 'utf8'),
    async stop() {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // gone
      }
      await waitExit(child, 5_000);
      turns.delete(t);
    },
  };
  turns.add(t);
  // Ready when it accepts TCP on its port.
  await until(
    () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(false);
        const s = net.connect({ host: '127.0.0.1', port });
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }),
    { ms: 10_000, what: 'turnserver to listen' },
  );
  return t;
}

export async function stopTurns() {
  await Promise.allSettled([...turns].map((t) => t.stop()));
}
process.on('exit', () => {
  for (const t of turns) {
    try {
      process.kill(-t.child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

/**
 * Registers users on one daemon (the first becomes admin, the others come with invites)
 * and connects each to the IRC server with `channel`. Returns their pages, in order.
 */
export async function users(browser, daemon, ircPort, channel, nicks, pageOptions = {}) {
  const pages = [];
  for (const nick of nicks) {
    const page = await newPage(browser, pageOptions);
    page.nick = nick;
    const email = `${nick}@example.com`;
    if (pages.length === 0) {
      await registerAndConnect(page, { url: daemon.url, email, nick, channel, ircPort });
    } else {
      const admin = await apiFor(pages[0].context(), daemon.url);
      const invite = await admin.post(`/api/user/${encodeURIComponent(email)}/invite`, {});
      await registerAndConnect(page, { url: daemon.url, inviteUrl: invite.url, email, nick, channel, ircPort });
    }
    page.on('console', (m) => {
      if (process.env.E2E_DEBUG) console.log(`[${nick}] ${m.text()}`);
    });
    pages.push(page);
  }
  return pages;
}

/** One entry per peer connection of the page's call: state, inbound media, selected pair. */
export function callStats(page) {
  return page.evaluate(async () => {
    const calls = window.__convosCalls;
    const out = [];
    for (const p of calls.peerList()) {
      const stats = await p.pc.getStats();
      const e = { nick: p.nick, state: p.state, ice: p.pc.iceConnectionState, sent: p.sent, video: null, audio: null, outAudio: null, local: null, remote: null };
      let pairId = null;
      // The camera and microphone: tracks still received, not a shared screen (whose
      // stats stay in the report after it stopped).
      const screen = new Set(p.screen?.getTracks().map((t) => t.id) ?? []);
      const live = new Set(
        p.pc
          .getTransceivers()
          .filter((t) => /sendrecv|recvonly/.test(t.currentDirection ?? '') && !screen.has(t.receiver.track.id))
          .map((t) => t.receiver.track.id),
      );
      stats.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.trackIdentifier && !live.has(s.trackIdentifier)) return;
        if (s.type === 'inbound-rtp' && s.kind === 'video') e.video = { frames: s.framesDecoded ?? 0, bytes: s.bytesReceived ?? 0, width: s.frameWidth ?? 0 };
        if (s.type === 'inbound-rtp' && s.kind === 'audio')
          e.audio = { bytes: s.bytesReceived ?? 0, packets: s.packetsReceived ?? 0, energy: s.totalAudioEnergy ?? 0, level: s.audioLevel ?? 0 };
        if (s.type === 'outbound-rtp' && s.kind === 'audio') e.outAudio = { bytes: s.bytesSent ?? 0, packets: s.packetsSent ?? 0 };
        if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      });
      if (!pairId) stats.forEach((s) => {
        if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) pairId = s.id;
      });
      const pair = pairId ? stats.get(pairId) : null;
      if (pair) {
        e.local = stats.get(pair.localCandidateId)?.candidateType ?? null;
        e.remote = stats.get(pair.remoteCandidateId)?.candidateType ?? null;
      }
      out.push(e);
    }
    return out;
  });
}

/** Waits until the page's call has a connected peer for each of `nicks` (and no others). */
export async function waitPeers(page, nicks, ms = 60_000) {
  const want = [...nicks].map((n) => n.toLowerCase()).sort();
  return until(
    async () => {
      const s = await callStats(page);
      const have = s.map((x) => x.nick.toLowerCase()).sort();
      return JSON.stringify(have) === JSON.stringify(want) && s.every((x) => x.state === 'connected') ? s : null;
    },
    { ms, every: 250, what: `${page.nick}: connected peers ${want.join(', ')}` },
  );
}

/**
 * Asserts that the page receives video (frames decoded increasing) and audio (bytes and
 * audio energy increasing) from each of `nicks`. Returns the second sample.
 */
export async function assertMediaFrom(page, nicks, assert) {
  const a = await callStats(page);
  await sleep(2000);
  const b = await callStats(page);
  for (const nick of nicks) {
    const x = a.find((e) => e.nick.toLowerCase() === nick.toLowerCase());
    const y = b.find((e) => e.nick.toLowerCase() === nick.toLowerCase());
    assert.ok(x && y, `${page.nick} has a peer connection to ${nick}`);
    assert.ok(y.video && y.video.frames > (x.video?.frames ?? 0), `${page.nick} decodes video from ${nick}: ${JSON.stringify([x.video, y.video])}`);
    assert.ok(y.video.width > 0, `${page.nick}: video from ${nick} has a size`);
    assert.ok(y.audio && y.audio.bytes > (x.audio?.bytes ?? 0), `${page.nick} receives audio from ${nick}: ${JSON.stringify([x.audio, y.audio])}`);
  }
  return b;
}

/** Inbound audio energy from `nick` gained over `ms` (0 when they are muted). */
export async function audioEnergyFrom(page, nick, ms = 2500) {
  const pick = (s) => s.find((e) => e.nick.toLowerCase() === nick.toLowerCase())?.audio?.energy ?? 0;
  const a = pick(await callStats(page));
  await sleep(ms);
  return pick(await callStats(page)) - a;
}
