// A Convos 4.08 participant for the call tests, scripted: the part its server played is
// here in Node (an IRC client on the same InspIRCd that speaks RTCZ as Convos 4.08's
// `Irc.pm` did: its lossy SDP compaction, gzip, base64, 400-character chunks, every ICE
// candidate trickled; only its reassembly is kept per sender, see `buffers`), and the
// part its browser played runs in a Chromium page (one RTCPeerConnection per
// participant, made as 4.08's `WebRTCPeerConnection.js` made them: the caller offers at
// once, the callee answers, candidates trickle, a second offer on a connection is refused
// as "Already started", and each track's `streams[0]` becomes the one picture shown).
// The format is in docs/rtcz.md (§1–§3; the 4.08 behaviour in §2.4, §5 and §7). Written
// from that description, not from Convos's code.
//
//   const olga = await Convos408.connect(browser, ircd.port, 'olga', '#call');
//   await olga.join();            // opens camera + microphone, sends CALL
//   await olga.stats()            // per peer: inbound video/audio, what the picture shows
//   await olga.hangup();          // HANGUP, closes everything
//   olga.received                 // completed RTCZ messages, e.g. { kind: 'OFR', from }

import { gunzipSync, gzipSync } from 'node:zlib';
import { IrcBot, newPage } from './harness.mjs';

const CHUNK = 400;

/** Convos's `sdp_encode` (docs/rtcz.md §3.1): lossy, as 4.08 sent every SDP. */
export function sdpEncode(sdp) {
  const out = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line === '') continue;
    if (/^a=ssrc/.test(line) || /^a=(extmap|fmtp|rtcp-fb):\d/.test(line)) continue;
    let m;
    if ((m = /a=fingerprint:(\S+)\s+(.*)$/.exec(line))) {
      const hex = m[2].trim().split(/\s+/).pop();
      const bytes = hex.split(':').map((h) => (/^[0-9a-fA-F]{1,2}$/.test(h) ? parseInt(h, 16) : 0));
      out.push(`F!${m[1]} ${Buffer.from(bytes).toString('base64')}`);
    } else if ((m = /^a=rtpmap:(\d+) telephone-event(.*)$/.exec(line))) {
      out.push(`T!${m[1]}${m[2]}`);
    } else if (line.startsWith('a=rtpmap:')) {
      out.push(`R!${line.slice(9)}`);
    } else if (line.startsWith('a=ice-')) {
      out.push(`I!${line.slice(6)}`);
    } else {
      out.push(line);
    }
  }
  return out.join('\n');
}

/** `sdp_decode` (docs/rtcz.md §3.2): what every receiver does. */
export function sdpDecode(text) {
  const lines = text.split(/\r?\n/).filter((l, i, all) => l !== '' || i < all.length - 1);
  return (
    lines
      .map((l) => {
        let m;
        if ((m = /^F!(\S+) (\S+)$/.exec(l))) {
          const hex = [...Buffer.from(m[2], 'base64')].map((b) => b.toString(16).toUpperCase().padStart(2, '0'));
          return `a=fingerprint:${m[1]} ${hex.join(':')}`;
        }
        if (l.startsWith('I!')) return `a=ice-${l.slice(2)}`;
        if (l.startsWith('R!')) return `a=rtpmap:${l.slice(2)}`;
        if ((m = /^T!(\d+)(.*)$/.exec(l))) return `a=rtpmap:${m[1]} telephone-event${m[2]}`;
        return l;
      })
      .join('\r\n') + '\r\n'
  );
}

/** Mojolicious's form encoding (docs/rtcz.md §3.3). */
function formEncode(pairs) {
  const enc = (s) =>
    [...Buffer.from(String(s), 'utf8')]
      .map((b) => {
        const c = String.fromCharCode(b);
        if (/[A-Za-z0-9*\-._]/.test(c)) return c;
        if (c === ' ') return '+';
        return '%' + b.toString(16).toUpperCase().padStart(2, '0');
      })
      .join('');
  return pairs.map(([k, v]) => `${enc(k)}=${enc(v ?? '')}`).join('&');
}

function formDecode(text) {
  const out = {};
  for (const part of text.split('&')) {
    const i = part.indexOf('=');
    const dec = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
    if (i > 0) out[dec(part.slice(0, i))] = dec(part.slice(i + 1));
  }
  return out;
}

/** The browser half, evaluated in the page: 4.08's peer connections, one per nick. */
function browserPart() {
  const peers = new Map(); // nick → { pc, role, video, stream, queue }
  let local = null;
  const config = { iceServers: [] };
  const emit = (msg) => window.rtcSignal(JSON.stringify(msg));

  function pcFor(nick) {
    let p = peers.get(nick);
    if (p?.pc) return p;
    p ??= { role: '', queue: [] };
    const pc = new RTCPeerConnection(config);
    for (const t of local.getTracks()) pc.addTrack(t, local);
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) emit({ target: nick, ice: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex });
    };
    // Every track replaces the one picture of this peer with the track's first stream.
    pc.ontrack = ({ streams }) => {
      p.stream = streams[0] ?? null;
      p.video.srcObject = p.stream;
    };
    p.pc = pc;
    p.video = document.createElement('video');
    p.video.autoplay = true;
    p.video.muted = true;
    p.video.dataset.nick = nick;
    document.body.append(p.video);
    peers.set(nick, p);
    return p;
  }

  function close(nick) {
    const p = peers.get(nick);
    if (!p) return;
    p.pc?.close();
    p.video?.remove();
    peers.delete(nick);
  }

  async function call(nick) {
    close(nick);
    const p = pcFor(nick);
    p.role = 'caller';
    const offer = await p.pc.createOffer();
    void p.pc.setLocalDescription(offer); // not awaited, as in 4.08
    emit({ target: nick, offer: offer.sdp });
  }

  function signal(nick, msg) {
    let p = peers.get(nick);
    if (msg.offer) {
      if (p?.role) {
        // 4.08 throws here ("Already started"): a renegotiation is never answered.
        console.error(`[4.08] Already started ${nick} as ${p.role}`);
        return;
      }
      p = pcFor(nick);
      p.role = 'callee';
      void p.pc.setRemoteDescription({ type: 'offer', sdp: msg.offer });
      void p.pc.createAnswer().then((answer) => {
        void p.pc.setLocalDescription(answer);
        emit({ target: nick, answer: answer.sdp });
      });
    } else if (msg.answer) {
      if (p?.pc?.signalingState === 'have-local-offer') void p.pc.setRemoteDescription({ type: 'answer', sdp: msg.answer });
    } else if (msg.ice && p?.pc) {
      const sdpMLineIndex = msg.sdpMLineIndex === undefined || msg.sdpMLineIndex === '' ? null : Number(msg.sdpMLineIndex);
      void p.pc.addIceCandidate({ candidate: msg.ice, sdpMid: msg.sdpMid || null, sdpMLineIndex }).catch((e) => console.error('[4.08] ice', String(e)));
    }
  }

  window.convos408 = {
    async start(iceServers) {
      config.iceServers = iceServers;
      local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    },
    /** `{type: 'call'|'hangup'|'signal', from, ...}` from the Node half. */
    event(ev) {
      if (!local) return;
      if (ev.type === 'call') void call(ev.from);
      else if (ev.type === 'hangup') close(ev.from);
      else if (ev.type === 'signal') signal(ev.from, ev);
    },
    hangup() {
      for (const nick of [...peers.keys()]) close(nick);
      local?.getTracks().forEach((t) => t.stop());
      local = null;
    },
    async stats() {
      const out = [];
      for (const [nick, p] of peers) {
        const e = { nick, state: p.pc.connectionState, videoReceivers: 0, video: [], audio: null, shown: null };
        e.videoReceivers = p.pc.getReceivers().filter((r) => r.track?.kind === 'video').length;
        (await p.pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') e.video.push({ track: s.trackIdentifier, frames: s.framesDecoded ?? 0, width: s.frameWidth ?? 0, height: s.frameHeight ?? 0 });
          if (s.type === 'inbound-rtp' && s.kind === 'audio') e.audio = { bytes: s.bytesReceived ?? 0 };
        });
        const v = p.video;
        e.shown = { width: v.videoWidth, height: v.videoHeight, frames: v.getVideoPlaybackQuality().totalVideoFrames, track: p.stream?.getVideoTracks()[0]?.id ?? null };
        out.push(e);
      }
      return out;
    },
  };
}

export class Convos408 {
  /**
   * Connects `nick` to the IRC server on `ircPort`, joins `channel`, and opens the
   * browser half in a new page of `browser`. `iceServers` as the page's RTCPeerConnection
   * wants them (4.08 took them from its server's CONVOS_STUN/CONVOS_TURN).
   */
  static async connect(browser, ircPort, nick, channel, iceServers = []) {
    const page = await newPage(browser);
    page.nick = `${nick} (4.08)`;
    const o = new Convos408(page, nick, channel);
    await page.exposeFunction('rtcSignal', (json) => o.fromBrowser(JSON.parse(json)));
    // A secure context without a server of its own: 127.0.0.1, answered by the test.
    await page.route('http://127.0.0.1:9/convos-408', (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Convos 4.08</title><body></body>' }));
    await page.goto('http://127.0.0.1:9/convos-408');
    await page.evaluate(browserPart);
    page.on('console', (m) => {
      if (process.env.E2E_DEBUG) console.log(`[${nick} 4.08] ${m.text()}`);
    });
    o.irc = await IrcBot.connect(ircPort, nick);
    o.irc.listeners.push((line) => o.fromIrc(line));
    await o.irc.join(channel);
    o.iceServers = iceServers;
    return o;
  }

  constructor(page, nick, channel) {
    this.page = page;
    this.nick = nick;
    this.channel = channel;
    /** Partial messages by sender, conversation name and kind. 4.08 kept one buffer per
     *  conversation and kind (docs/rtcz.md D1), so offers from two people at once wiped
     *  each other and it then refused the real ones; that would fail this test at random
     *  for 4.08's own reason, which nothing on our side can change: here, per sender. */
    this.buffers = new Map();
    /** Completed messages: { kind, from }. */
    this.received = [];
    this.inCall = false;
  }

  /** Presses 4.08's call button: camera and microphone, then CALL to the channel. */
  async join() {
    await this.page.evaluate((s) => window.convos408.start(s), this.iceServers);
    this.inCall = true;
    this.irc.send(`NOTICE ${this.channel} :\x01RTCZ CALL\x01`);
  }

  async hangup() {
    this.irc.send(`NOTICE ${this.channel} :\x01RTCZ HANGUP\x01`);
    this.inCall = false;
    await this.page.evaluate(() => window.convos408.hangup());
  }

  stats() {
    return this.page.evaluate(() => window.convos408.stats());
  }

  /** A signal from the page: out as RTCZ chunks to one nick, everything at once. */
  fromBrowser(msg) {
    let kind;
    let data;
    if (msg.offer) [kind, data] = ['OFR', sdpEncode(msg.offer)];
    else if (msg.answer) [kind, data] = ['ANS', sdpEncode(msg.answer)];
    else if (msg.ice) {
      const pairs = [['ice', msg.ice]];
      if (msg.sdpMid !== undefined) pairs.push(['sdpMid', msg.sdpMid ?? '']);
      if (msg.sdpMLineIndex !== undefined) pairs.push(['sdpMLineIndex', msg.sdpMLineIndex ?? '']);
      [kind, data] = ['ICE', formEncode(pairs)];
    } else return;
    const payload = gzipSync(Buffer.from(data, 'utf8'), { level: 6 }).toString('base64');
    const chunks = [];
    for (let i = 0; i < payload.length; i += CHUNK) chunks.push(payload.slice(i, i + CHUNK));
    const last = chunks.length - 1;
    chunks.forEach((c, i) => this.irc.send(`NOTICE ${msg.target} :\x01RTCZ ${kind} ${i}/${last} ${this.channel} ${c}\x01`));
  }

  /** An IRC line: RTCZ in a NOTICE becomes an event for the page. */
  fromIrc(line) {
    const m = /^:([^!\s]+)\S*\s+NOTICE\s+(\S+)\s+:\x01RTCZ\s+([^\x01]*)\x01?$/i.exec(line);
    if (!m) return;
    const [, from, target, body] = m;
    if (from === this.nick) return;
    const word = body.trim().toLowerCase();
    if (word === 'call' || word === 'hangup') {
      if (target.toLowerCase() === this.channel.toLowerCase()) this.toPage({ type: word, from });
      return;
    }
    const c = /^(ANS|ICE|OFR)\s(\d+)\/(\d+)\s(\S+)\s(.+)/.exec(body);
    if (!c || Number(c[2]) > 20) return;
    const [, kind, i, n, conv, chunk] = c;
    const key = `${from}\n${conv}\n${kind}`;
    if (i === '0') this.buffers.set(key, []);
    const buf = this.buffers.get(key) ?? [];
    buf[Number(i)] = chunk;
    this.buffers.set(key, buf);
    if (i !== n) return;
    const joined = Array.from(buf, (x) => x ?? '').join('');
    this.buffers.delete(key);
    let data;
    try {
      data = gunzipSync(Buffer.from(joined, 'base64')).toString('utf8');
    } catch {
      data = joined;
    }
    this.received.push({ kind, from });
    if (kind === 'ICE') this.toPage({ ...formDecode(data), type: 'signal', from });
    else this.toPage({ type: 'signal', from, [kind === 'OFR' ? 'offer' : 'answer']: sdpDecode(data) });
  }

  toPage(ev) {
    if (!this.inCall) return;
    void this.page.evaluate((e) => window.convos408.event(e), ev).catch(() => {});
  }

  async close() {
    this.irc.close();
    await this.page.context().close();
  }
}
