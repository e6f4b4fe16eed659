//! What the server tells a call (docs/rtcz.md §1, D9, D13), for the call store
//! (calls.svelte.ts): `rtc` events (someone calls, joins, hangs up, signals) and the state
//! changes that matter to a call (our IRC connection, PART, KICK, QUIT, NICK).
//! Functions over the store, which keeps the state and calls them.

import type { ActiveCall, Room } from './callenv';
import { addPeer, closePeer, findPeer, type PeersHost, sync } from './callpeers';
import { convKey } from './messages.svelte';
import { foldNick, type SignalIn } from './peer';
import type { Event, State } from './types';

/** What these functions need of the call store. */
export interface EventsHost extends PeersHost {
  elsewhere: { cid: string; conversation: string } | null;
  isIn(cid: string, conversation: string): boolean;
  room(cid: string, conversation: string): Room | undefined;
  roomFor(cid: string, conversation: string): Room;
  /** All rooms, by `convKey`. */
  rooms: Record<string, Room>;
  /** Rings in `room` for a while (and re-reads `ringing()` when it runs out). */
  ring(room: Room): void;
  /** The IRC connection came back: sends `call` again after a moment. */
  rejoinSoon(call: ActiveCall): void;
}

/** A `call`, `hangup` or `signal` from someone in a conversation. */
export function onRtc(h: EventsHost, f: Extract<Event, { event: 'rtc' }>): void {
  const cid = f.connection_id;
  const conversation = f.conversation_id.toLowerCase();
  const from = f.from;
  if (!cid || !conversation || !from) return;
  if (foldNick(from) === foldNick(h.env.myNick(cid))) return; // our own echo
  const phase = h.call?.phase;
  const inCall = h.isIn(cid, conversation) && phase !== 'media' && phase !== 'media-error' && phase !== 'preview';
  const ts = Date.parse(f.ts);
  const stale = !Number.isNaN(ts) && h.env.now() - ts > 120_000;
  switch (f.type) {
    case 'call': {
      const room = h.roomFor(cid, conversation);
      if (!room.nicks.some((n) => foldNick(n) === foldNick(from))) room.nicks.push(from);
      if (inCall) {
        if (stale) return;
        // They (re)joined: replace any old connection and offer to them.
        closePeer(h, from);
        addPeer(h, from, 'caller');
        h.log(`${from} joined the call.`);
        return;
      }
      if (stale) return;
      const elsewhere = h.elsewhere && convKey(h.elsewhere.cid, h.elsewhere.conversation) === convKey(cid, conversation);
      room.note = `${from} is calling.`;
      if (!elsewhere) {
        h.ring(room);
        const where = h.env.isPrivate(cid, conversation) ? '' : ` in ${h.env.conversationName(cid, conversation)}`;
        h.env.notify(`${from} is calling${where}`, 'Open the conversation to join the call.', () => h.env.open(cid, conversation));
      }
      return;
    }
    case 'hangup': {
      const room = h.roomFor(cid, conversation);
      room.nicks = room.nicks.filter((n) => foldNick(n) !== foldNick(from));
      if (room.nicks.length === 0) room.ringingUntil = 0;
      if (inCall) {
        if (closePeer(h, from)) h.log(`${from} left the call.`);
      } else {
        room.note = room.nicks.length ? `${from} left the call.` : `${from} ended the call.`;
      }
      return;
    }
    case 'signal': {
      if (!inCall || stale) return; // D9: only the tab in the call answers
      let peer = findPeer(h, from);
      const s: SignalIn =
        'offer' in f
          ? { offer: f.offer }
          : 'answer' in f
            ? { answer: f.answer }
            : { ice: f.ice, sdpMid: f.sdpMid, sdpMLineIndex: f.sdpMLineIndex };
      if (!peer) {
        if (!s.offer && !s.ice) return;
        peer = addPeer(h, from, 'callee');
        const room = h.roomFor(cid, conversation);
        if (!room.nicks.some((n) => foldNick(n) === foldNick(from))) room.nicks.push(from);
      }
      void peer.signal(s);
      return;
    }
  }
}

/** Our connection's state, and people leaving or renamed. */
export function onState(h: EventsHost, f: State): void {
  if (f.type === 'error' || f.type === 'prefs') return;
  const cid = f.connection_id;
  const call = h.call;
  switch (f.type) {
    case 'connection': {
      if (!call || call.cid !== cid) return;
      if (f.state !== 'connected') {
        if (call.phase === 'active' || call.phase === 'joining') {
          call.phase = 'paused';
          call.error = 'The IRC connection was lost: the call is paused until it comes back.';
        }
      } else if (call.phase === 'paused') {
        // Back: tell everyone again, so the call re-forms (after the channel is re-joined).
        h.rejoinSoon(call);
      }
      return;
    }
    case 'part':
    case 'kick':
      gone(h, cid, f.conversation_id.toLowerCase(), f.nick);
      return;
    case 'quit': {
      const nick = f.nick;
      for (const key of Object.keys(h.rooms)) {
        if (key.startsWith(cid + '\n')) gone(h, cid, key.slice(cid.length + 1), nick);
      }
      if (call && call.cid === cid) gone(h, cid, call.conversation, nick);
      return;
    }
    case 'nick_change': {
      const old = foldNick(f.old_nick);
      const next = f.new_nick;
      for (const [key, r] of Object.entries(h.rooms)) {
        if (key.startsWith(cid + '\n')) r.nicks = r.nicks.map((n) => (foldNick(n) === old ? next : n));
      }
      if (call && call.cid === cid) {
        const p = findPeer(h, old);
        if (p) {
          h.peers.delete(foldNick(p.nick));
          p.nick = next;
          h.peers.set(foldNick(next), p);
          sync(h, p);
        }
      }
      return;
    }
  }
}

/** Someone left the conversation (PART/QUIT): they are out of its call. */
function gone(h: EventsHost, cid: string, conversation: string, nick: string): void {
  if (!nick) return;
  const r = h.room(cid, conversation);
  if (r) {
    r.nicks = r.nicks.filter((n) => foldNick(n) !== foldNick(nick));
    if (!r.nicks.length) r.ringingUntil = 0;
  }
  if (h.isIn(cid, conversation) && closePeer(h, nick)) h.log(`${nick} left the conversation.`);
}
