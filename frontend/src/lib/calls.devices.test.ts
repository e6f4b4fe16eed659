import { describe, expect, it, vi } from 'vitest';
import { CallStore, type CallEnv } from './calls.svelte';
import { constraintFor, loadChoice, options, present, STORAGE_KEY } from './devices';
import { FakePc, fakeStream, streamOf, tick } from './peer.fake';
import type { Event } from './types';

const LIST = [
  { deviceId: 'default', kind: 'audioinput', label: 'Default mic' },
  { deviceId: 'mic1', kind: 'audioinput', label: 'Headset' },
  { deviceId: 'cam0', kind: 'videoinput', label: 'Laptop camera' },
  { deviceId: 'cam1', kind: 'videoinput', label: 'USB camera' },
  { deviceId: 'default', kind: 'audiooutput', label: 'Speakers' },
  { deviceId: 'out1', kind: 'audiooutput', label: 'Headphones' },
];

function memory(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

function setup(over: Partial<CallEnv> = {}) {
  const requests: Record<string, unknown>[] = [];
  const pcs: FakePc[] = [];
  const gum: MediaStreamConstraints[] = [];
  let list = [...LIST];
  let onChange: () => void = () => {};
  const storage = memory();
  const env: CallEnv = {
    request: async (b) => {
      requests.push(b as unknown as Record<string, unknown>);
      return { id: requests.length, event: 'rtc' };
    },
    getUserMedia: async (c) => {
      gum.push(c);
      const id = (x: unknown) => ((x as { deviceId?: { exact?: string; ideal?: string } })?.deviceId?.exact ?? (x as { deviceId?: { ideal?: string } })?.deviceId?.ideal ?? 'default');
      return fakeStream({ audio: !!c.audio, video: !!c.video, audioId: id(c.audio), videoId: id(c.video) === 'default' ? 'cam0' : id(c.video) });
    },
    makeStream: streamOf,
    createPc: () => {
      const pc = new FakePc();
      pcs.push(pc);
      return pc;
    },
    myNick: () => 'carol',
    connectionState: () => 'connected',
    conversationName: (_c, conv) => conv,
    isPrivate: () => false,
    notify: () => {},
    open: () => {},
    now: () => Date.now(),
    rtc: () => ({ ice_servers: [{ urls: 'stun:127.0.0.1:3478' }] }),
    gatherMs: 20,
    enumerateDevices: async () => list,
    onDeviceChange: (fn) => (onChange = fn),
    storage,
    ...over,
  };
  const store = new CallStore(env);
  store.secure = true;
  return {
    store,
    requests,
    pcs,
    gum,
    storage,
    unplug: async (id: string) => {
      list = list.filter((d) => d.deviceId !== id);
      onChange();
      await tick(10);
    },
  };
}

const ev = (type: 'call' | 'signal', from: string, extra: Record<string, unknown> = {}): Event =>
  ({ event: 'rtc', type, connection_id: 'irc-x', conversation_id: '#chan', from, ts: new Date().toISOString(), ...extra }) as Event;

describe('devices helpers', () => {
  it('loads a remembered choice and ignores junk', () => {
    expect(loadChoice(memory({ [STORAGE_KEY]: '{"audioinput":"mic1","videoinput":5}' }))).toEqual({ audioinput: 'mic1' });
    expect(loadChoice(memory({ [STORAGE_KEY]: 'not json' }))).toEqual({});
    expect(loadChoice(null)).toEqual({});
  });
  it('builds constraints: ideal for a remembered device, exact for a picked one', () => {
    expect(constraintFor(undefined)).toBe(true);
    expect(constraintFor('mic1')).toEqual({ deviceId: { ideal: 'mic1' } });
    expect(constraintFor('mic1', true)).toEqual({ deviceId: { exact: 'mic1' } });
  });
  it('a list without ids (no permission yet) hides nothing', () => {
    const blank = [{ deviceId: '', kind: 'audioinput' as const, label: '' }];
    expect(present(blank, 'audioinput', 'mic1')).toBe(true);
    expect(present([{ deviceId: 'x', kind: 'audioinput', label: '' }], 'audioinput', 'mic1')).toBe(false);
    expect(options([{ deviceId: 'x', kind: 'audioinput', label: '' }], 'audioinput')).toEqual([{ id: 'x', label: 'Microphone 1' }]);
  });
});

describe('CallStore devices', () => {
  it('preview: media open and devices listed, nothing sent until Join', async () => {
    const { store, requests } = setup();
    await store.start('irc-x', '#chan', 'av', { preview: true });
    expect(store.call?.phase).toBe('preview');
    expect(store.devices.length).toBe(6);
    expect(requests).toEqual([]);
    // A call from someone meanwhile only rings: we are not in it yet.
    store.onFrame(ev('call', 'alice'));
    expect(store.peerList()).toEqual([]);
    await store.joinNow();
    expect(store.call?.phase).toBe('active');
    expect(requests.map((r) => r.event)).toEqual(['call']);
  });

  it('cancelling a preview sends no hangup', async () => {
    const { store, requests } = setup();
    await store.start('irc-x', '#chan', 'av', { preview: true });
    await store.hangup();
    expect(requests).toEqual([]);
  });

  it('a chosen microphone is remembered and used next time', async () => {
    const { store, storage, gum } = setup();
    await store.start('irc-x', '#chan', 'av', { preview: true });
    expect(await store.setDevice('audioinput', 'mic1')).toBe(true);
    expect(JSON.parse(storage.m.get(STORAGE_KEY) ?? '{}')).toEqual({ audioinput: 'mic1' });
    expect(gum.at(-1)).toEqual({ audio: { deviceId: { exact: 'mic1' } }, video: false });
    await store.hangup();
    const again = setup({ storage });
    await again.store.start('irc-x', '#chan');
    expect(again.gum[0]).toEqual({ audio: { deviceId: { ideal: 'mic1' } }, video: true });
  });

  it('switching the microphone in a call replaces the track in every peer, with no new offer', async () => {
    const { store, pcs, requests } = setup();
    await store.start('irc-x', '#chan');
    store.onFrame(ev('call', 'alice'));
    store.onFrame(ev('call', 'dave'));
    await tick(30);
    const offers = requests.filter((r) => r.event === 'signal').length;
    const old = store.call?.local?.getAudioTracks()[0];
    await store.setDevice('audioinput', 'mic1');
    const now = store.call?.local?.getAudioTracks()[0];
    expect(now).not.toBe(old);
    expect(now?.getSettings().deviceId).toBe('mic1');
    expect(old?.readyState).toBe('ended');
    for (const pc of pcs) {
      expect(pc.replaced).toContain(now);
      expect(pc.getTransceivers().some((t) => t.sender.track === now)).toBe(true);
    }
    await tick(30);
    expect(requests.filter((r) => r.event === 'signal').length).toBe(offers);
    // The video track is untouched.
    expect(store.call?.local?.getVideoTracks().length).toBe(1);
  });

  it('a muted microphone stays muted after a switch and is sent on unmute', async () => {
    const { store, pcs } = setup();
    await store.start('irc-x', '#chan');
    store.onFrame(ev('call', 'alice'));
    await tick(30);
    await store.toggleMic();
    await tick(5);
    await store.setDevice('audioinput', 'mic1');
    const now = store.call?.local?.getAudioTracks()[0];
    expect(now?.enabled).toBe(false);
    await store.toggleMic();
    await tick(5);
    expect(pcs[0]?.getTransceivers().some((t) => t.sender.track === now)).toBe(true);
  });

  it('an unplugged camera falls back to the default one, with a message', async () => {
    const { store, unplug } = setup();
    await store.start('irc-x', '#chan');
    await store.setDevice('videoinput', 'cam1');
    expect(store.call?.local?.getVideoTracks()[0]?.getSettings().deviceId).toBe('cam1');
    await unplug('cam1');
    expect(store.call?.local?.getVideoTracks()[0]?.getSettings().deviceId).toBe('cam0');
    expect(store.call?.log.at(-1)).toMatch(/disconnected: using the default camera/);
  });

  it('a track that ends (device gone) falls back too', async () => {
    const { store } = setup();
    await store.start('irc-x', '#chan');
    await store.setDevice('audioinput', 'mic1');
    const t = store.call?.local?.getAudioTracks()[0] as unknown as { onended: () => void; label: string };
    t.onended();
    await tick(5);
    expect(store.call?.local?.getAudioTracks()[0]?.getSettings().deviceId).toBe('default');
    expect(store.call?.log.at(-1)).toMatch(/stopped: using the default microphone/);
  });

  it('a switch that fails keeps the old device and says why', async () => {
    const busy = Object.assign(new Error('busy'), { name: 'NotReadableError' });
    const { store, storage } = setup();
    await store.start('irc-x', '#chan');
    store.env.getUserMedia = async () => Promise.reject(busy);
    expect(await store.setDevice('videoinput', 'cam1')).toBe(false);
    expect(store.call?.local?.getVideoTracks()[0]?.getSettings().deviceId).toBe('cam0');
    expect(store.call?.error).toMatch(/camera could not be started/);
    expect(loadChoice(storage)).toEqual({});
  });

  it('the speaker: setSinkId on every participant, and back to the default when unplugged', async () => {
    const setSinkId = vi.fn(async () => {});
    const { store, unplug } = setup({ setSinkId });
    expect(store.canPickSpeaker).toBe(true);
    await store.start('irc-x', '#chan');
    const audios = (store as unknown as { audios: Map<string, HTMLAudioElement> }).audios;
    const el = {} as HTMLAudioElement;
    audios.set('peer-x', el);
    await store.setDevice('audiooutput', 'out1');
    expect(setSinkId).toHaveBeenLastCalledWith(el, 'out1');
    await unplug('out1');
    expect(setSinkId).toHaveBeenLastCalledWith(el, '');
    expect(store.choice.audiooutput).toBe('');
    expect(store.call?.log.at(-1)).toMatch(/speaker was disconnected/);
    expect(setup({ setSinkId: undefined }).store.canPickSpeaker).toBe(false);
  });
});
