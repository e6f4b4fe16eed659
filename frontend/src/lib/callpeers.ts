//! The peer connections of a call (docs/rtcz.md §1, D10, D13), for the call store
//! (calls.svelte.ts): one `Peer` per remote participant by folded nick, its tile, its
//! signals out to the server, and its sound played through the chosen speaker.
//! Functions over the store, which keeps the state and calls them.

import type { ActiveCall, CallEnv } from './callenv';
import type { CallWatch } from './callwatch';
import type { DeviceChoice } from './devices';
import { foldNick, isPolite, Peer, type SignalOut } from './peer';

/** What these functions need of the call store. */
export interface PeersHost {
  call: ActiveCall | null;
  env: CallEnv;
  choice: DeviceChoice;
  readonly peers: Map<string, Peer>;
  readonly audios: Map<string, HTMLAudioElement>;
  readonly watch: CallWatch;
  config(): RTCConfiguration;
  log(line: string): void;
}

export function findPeer(h: PeersHost, nick: string): Peer | undefined {
  return h.peers.get(foldNick(nick));
}

/** A connection to `nick` in the current call, with its tile; `caller` offers at once. */
export function addPeer(h: PeersHost, nick: string, role: 'caller' | 'callee'): Peer {
  const call = h.call as ActiveCall;
  const me = h.env.myNick(call.cid);
  const peer: Peer = new Peer({
    nick,
    role,
    polite: isPolite(me, nick),
    stream: call.local,
    createPc: () => h.env.createPc(h.config()),
    send: (s): Promise<void> => sendSignal(h, call, peer.nick, s),
    onChange: (p) => sync(h, p),
    onTrack: (p, stream) => playRemote(h, p, stream),
    onProblem: (p, msg) => h.log(msg),
    mark: () => ({ screen: h.call?.screen?.id ?? null }),
    onModern: (p) => {
      if (h.call === call && call.screen) p.addShare(call.screen);
    },
    gatherMs: h.env.gatherMs,
    connectMs: h.env.connectMs,
    log: (...a) => console.debug('[call]', ...a),
  });
  h.peers.set(foldNick(nick), peer);
  call.tiles.push({
    id: peer.id,
    nick,
    state: peer.state,
    problem: '',
    stream: null,
    level: 0,
    hasVideo: false,
    micOff: false,
    camOff: false,
    screen: null,
    quality: 'unknown',
    qualityText: 'Measuring the connection',
  });
  h.watch.add(peer.id);
  return peer;
}

async function sendSignal(h: PeersHost, call: ActiveCall, target: string, s: SignalOut): Promise<void> {
  if (h.call !== call) return;
  try {
    await h.env.request({
      method: 'rtc',
      event: 'signal',
      connection_id: call.cid,
      conversation_id: call.conversation,
      target,
      ...s,
    });
  } catch (e) {
    h.log(`Could not reach ${target}: ${(e as Error).message}`);
  }
}

/** Closes the connection to a nick; true if there was one. */
export function closePeer(h: PeersHost, nick: string): boolean {
  const p = findPeer(h, nick);
  if (!p) return false;
  h.peers.delete(foldNick(nick));
  p.close();
  for (const key of [p.id, `${p.id}:screen`]) {
    const a = h.audios.get(key);
    if (a) {
      a.pause();
      a.srcObject = null;
    }
    h.audios.delete(key);
  }
  h.watch.remove(p.id);
  if (h.call) h.call.tiles = h.call.tiles.filter((t) => t.id !== p.id);
  return true;
}

/** Copies a peer's state to its tile. */
export function sync(h: PeersHost, p: Peer): void {
  const t = h.call?.tiles.find((x) => x.id === p.id);
  if (!t) return;
  t.nick = p.nick;
  t.state = p.state;
  t.problem = p.problem;
  t.stream = p.remoteStream;
  t.hasVideo = !!p.remoteStream?.getVideoTracks().length;
  if (t.screen !== p.screenStream) t.screen = p.screenStream;
}

function playRemote(h: PeersHost, p: Peer, stream: MediaStream): void {
  sync(h, p);
  if (!stream.getAudioTracks().length || typeof Audio === 'undefined') return;
  // A shared tab's sound plays beside their voice.
  const key = stream === p.screenStream ? `${p.id}:screen` : p.id;
  let a = h.audios.get(key);
  if (!a) {
    a = new Audio();
    a.autoplay = true;
    h.audios.set(key, a);
  }
  if (a.srcObject !== stream) {
    if (h.choice.audiooutput) void h.env.setSinkId?.(a, h.choice.audiooutput).catch(() => {});
    a.srcObject = stream;
    void a.play()?.catch(() => {});
  }
  if (key === p.id) h.watch.meter(p.id, stream);
}
