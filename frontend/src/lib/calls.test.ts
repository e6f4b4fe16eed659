import { describe, expect, it, vi } from 'vitest';
import { CallStore, type CallEnv } from './calls.svelte';
import { FakePc, fakeStream, streamOf, tick } from './peer.fake';
import type { Event } from './types';

function setup(over: Partial<CallEnv> = {}) {
  const requests: Record<string, unknown>[] = [];
  const pcs: FakePc[] = [];
  const notify = vi.fn();
  let state = 'connected';
  const env: CallEnv = {
    request: async (b) => {
      requests.push(b as unknown as Record<string, unknown>);
      return { id: requests.length, event: 'rtc' };
    },
    getUserMedia: async (c) => fakeStream({ audio: !!c.audio, video: !!c.video }),
    makeStream: streamOf,
    createPc: () => {
      const pc = new FakePc();
      pcs.push(pc);
      return pc;
    },
    myNick: () => 'carol',
    connectionState: () => state,
    conversationName: (_c, conv) => (conv === '#chan' ? '#Chan' : conv),
    isPrivate: (_c, conv) => !conv.startsWith('#'),
    notify,
    open: () => {},
    now: () => Date.now(),
    rtc: () => ({ ice_servers: [{ urls: 'stun:127.0.0.1:3478' }] }),
    gatherMs: 20,
    rejoinDelayMs: 5,
    ...over,
  };
  const store = new CallStore(env);
  store.secure = true;
  return { store, requests, pcs, notify, setState: (s: string) => (state = s) };
}

const ev = (type: 'call' | 'hangup' | 'signal', from: string, extra: Record<string, unknown> = {}): Event =>
  ({
    event: 'rtc',
    type,
    connection_id: 'irc-x',
    conversation_id: '#chan',
    from,
    ts: new Date().toISOString(),
    ...extra,
  }) as Event;

describe('CallStore', () => {
  it('is unavailable without ICE servers or a secure page, and says why', () => {
    const { store } = setup({ rtc: () => ({ ice_servers: [] }) });
    expect(store.enabled).toBe(false);
    expect(store.unavailable).toMatch(/STUN or TURN/);
    store.secure = false;
    expect(store.unavailable).toMatch(/https/);
  });

  it('start opens media, then sends call', async () => {
    const { store, requests } = setup();
    await store.start('irc-x', '#Chan');
    expect(store.call?.phase).toBe('active');
    expect(store.call?.conversation).toBe('#chan');
    expect(requests).toEqual([{ method: 'rtc', event: 'call', connection_id: 'irc-x', conversation_id: '#chan' }]);
  });

  it('camera denied: says so and offers audio only / listen only; nothing is sent', async () => {
    const denied = Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' });
    const { store, requests } = setup({ getUserMedia: async () => Promise.reject(denied) });
    await store.start('irc-x', '#chan');
    expect(store.call?.phase).toBe('media-error');
    expect(store.call?.error).toMatch(/camera and microphone was denied/);
    expect(requests).toEqual([]);
    await store.start('irc-x', '#chan', 'listen');
    expect(store.call?.phase).toBe('active');
    expect(store.call?.mode).toBe('listen');
    expect(requests.length).toBe(1);
  });

  it('a call while not in it rings, notifies and notes it; hangup ends the ring', () => {
    const { store, notify } = setup();
    store.onFrame(ev('call', 'alice'));
    expect(store.ringing('irc-x', '#chan')).toBe(true);
    expect(store.room('irc-x', '#chan')?.note).toBe('alice is calling.');
    expect(notify).toHaveBeenCalledWith('alice is calling in #Chan', expect.any(String), expect.any(Function));
    store.onFrame(ev('hangup', 'alice'));
    expect(store.ringing('irc-x', '#chan')).toBe(false);
    expect(store.room('irc-x', '#chan')?.note).toBe('alice ended the call.');
  });

  it('ignores its own echo and signals when not in the call (D9)', () => {
    const { store, pcs } = setup();
    store.onFrame(ev('call', 'Carol'));
    expect(store.ringing('irc-x', '#chan')).toBe(false);
    store.onFrame(ev('signal', 'alice', { offer: 'v=0' }));
    expect(pcs.length).toBe(0);
  });

  it('in the call: a call from someone makes us offer to them; their hangup closes only them', async () => {
    const { store, requests, pcs } = setup();
    await store.start('irc-x', '#chan');
    store.onFrame(ev('call', 'alice'));
    store.onFrame(ev('call', 'dave'));
    await tick(30);
    expect(pcs.length).toBe(2);
    const offers = requests.filter((r) => r.event === 'signal');
    expect(offers.map((r) => [r.target, typeof r.offer])).toEqual([
      ['alice', 'string'],
      ['dave', 'string'],
    ]);
    expect(store.call?.tiles.map((t) => t.nick)).toEqual(['alice', 'dave']);
    store.onFrame(ev('hangup', 'alice'));
    expect(pcs[0]?.closed).toBe(true);
    expect(pcs[1]?.closed).toBe(false);
    expect(store.call?.tiles.map((t) => t.nick)).toEqual(['dave']);
    expect(store.call?.log.at(-1)).toBe('alice left the call.');
  });

  it('newcomer answers offers and never offers', async () => {
    const { store, requests, pcs } = setup();
    await store.start('irc-x', '#chan');
    store.onFrame(ev('signal', 'alice', { ice: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: '0' }));
    store.onFrame(ev('signal', 'alice', { offer: 'v=0 a' }));
    await tick(30);
    expect(pcs.length).toBe(1);
    expect(pcs[0]?.added.length).toBe(1);
    const sig = requests.filter((r) => r.event === 'signal');
    expect(sig).toEqual([expect.objectContaining({ target: 'alice', answer: expect.any(String) })]);
  });

  it('a PART of a participant closes their connection; a nick change re-keys it', async () => {
    const { store, pcs } = setup();
    await store.start('irc-x', '#chan');
    store.onFrame(ev('call', 'alice'));
    store.onFrame(ev('call', 'bob'));
    store.onFrame({ event: 'state', type: 'nick_change', connection_id: 'irc-x', old_nick: 'bob', new_nick: 'bobby' });
    expect(store.call?.tiles.map((t) => t.nick)).toEqual(['alice', 'bobby']);
    store.onFrame({ event: 'state', type: 'part', connection_id: 'irc-x', conversation_id: '#chan', nick: 'alice', message: '' });
    expect(pcs[0]?.closed).toBe(true);
    store.onFrame({ event: 'state', type: 'quit', connection_id: 'irc-x', nick: 'BobBy', message: '' });
    expect(pcs[1]?.closed).toBe(true);
    expect(store.call?.tiles).toEqual([]);
  });

  it('pauses when the IRC connection drops and sends call again when it returns', async () => {
    const { store, requests, setState } = setup();
    await store.start('irc-x', '#chan');
    setState('disconnected');
    store.onFrame({ event: 'state', type: 'connection', connection_id: 'irc-x', state: 'disconnected', message: '' });
    expect(store.call?.phase).toBe('paused');
    expect(store.call?.error).toMatch(/paused/);
    setState('connected');
    store.onFrame({ event: 'state', type: 'connection', connection_id: 'irc-x', state: 'connected', message: '' });
    await tick(20);
    expect(store.call?.phase).toBe('active');
    expect(requests.filter((r) => r.event === 'call').length).toBe(2);
  });

  it('hangup tells the others and closes every peer', async () => {
    const { store, requests, pcs } = setup();
    await store.start('irc-x', '#chan');
    store.onFrame(ev('call', 'alice'));
    await store.hangup();
    expect(store.call).toBeNull();
    expect(pcs[0]?.closed).toBe(true);
    expect(requests.at(-1)).toEqual({ method: 'rtc', event: 'hangup', connection_id: 'irc-x', conversation_id: '#chan' });
  });

  it('camera on after an audio-only join opens the camera and renegotiates with every peer', async () => {
    const { store, pcs } = setup();
    await store.start('irc-x', '#chan', 'audio');
    store.onFrame(ev('call', 'alice'));
    await tick(20);
    const before = pcs[0]?.tracks ?? 0;
    expect(store.call?.local?.getVideoTracks().length).toBe(0);
    await store.toggleCam();
    expect(store.call?.camOn).toBe(true);
    expect(store.call?.local?.getVideoTracks().length).toBe(1);
    expect(pcs[0]?.tracks).toBe(before + 1);
  });

  it('unmute after a listen-only join opens the microphone and sends it', async () => {
    const { store, pcs } = setup();
    await store.start('irc-x', '#chan', 'listen');
    store.onFrame(ev('call', 'alice'));
    await tick(20);
    const before = pcs[0]?.tracks ?? 0;
    expect(store.call?.micOn).toBe(false);
    await store.toggleMic();
    expect(store.call?.micOn).toBe(true);
    expect(store.call?.local?.getAudioTracks().length).toBe(1);
    expect(store.call?.local?.getVideoTracks().length).toBe(0);
    expect(pcs[0]?.tracks).toBe(before + 1);
  });

  it('a camera that cannot be opened during a call is reported, the call goes on', async () => {
    const denied = Object.assign(new Error('denied'), { name: 'NotAllowedError' });
    const { store } = setup({
      getUserMedia: async (c) => (c.video ? Promise.reject(denied) : fakeStream({ video: false })),
    });
    await store.start('irc-x', '#chan', 'audio');
    await store.toggleCam();
    expect(store.call?.phase).toBe('active');
    expect(store.call?.camOn).toBe(false);
    expect(store.call?.error).toMatch(/Access to the camera was denied/);
  });

  it('mute and camera off disable the local tracks', async () => {
    const { store } = setup();
    await store.start('irc-x', '#chan');
    store.toggleMic();
    store.toggleCam();
    expect(store.call?.local?.getAudioTracks()[0]?.enabled).toBe(false);
    expect(store.call?.local?.getVideoTracks()[0]?.enabled).toBe(false);
    expect(store.call?.micOn).toBe(false);
  });
});
