import { describe, expect, it } from 'vitest';
import { CallStore, type CallEnv } from './calls.svelte';
import { FakePc, fakeStream, fakeTrack, streamOf, tick } from './peer.fake';
import { markSdp, readMark } from './share';
import type { Event } from './types';

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n';

function screenStream(id = 'scr-1'): MediaStream {
  const s = streamOf([fakeTrack('video', 'screen:0')]);
  return Object.assign(s, { id });
}

function setup(over: Partial<CallEnv> = {}) {
  const requests: Record<string, unknown>[] = [];
  const pcs: FakePc[] = [];
  let shares = 0;
  const env: CallEnv = {
    request: async (b) => {
      requests.push(b as unknown as Record<string, unknown>);
      return { id: requests.length, event: 'rtc' };
    },
    getUserMedia: async (c) => fakeStream({ audio: !!c.audio, video: !!c.video }),
    getDisplayMedia: async () => screenStream(`scr-${++shares}`),
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
    gatherMs: 10,
    ...over,
  };
  const store = new CallStore(env);
  store.secure = true;
  return { store, requests, pcs };
}

const ev = (type: 'call' | 'signal', from: string, extra: Record<string, unknown> = {}): Event =>
  ({ event: 'rtc', type, connection_id: 'irc-x', conversation_id: '#chan', from, ts: new Date().toISOString(), ...extra }) as Event;

const signals = (requests: Record<string, unknown>[], target: string) => requests.filter((r) => r.event === 'signal' && r.target === target);

/** In a call with alice (our kind of client) and dave (a Convos 4.08 browser). */
async function inCall(over: Partial<CallEnv> = {}) {
  const t = setup(over);
  await t.store.start('irc-x', '#chan');
  t.store.onFrame(ev('call', 'alice'));
  t.store.onFrame(ev('call', 'dave'));
  await tick(30);
  t.store.onFrame(ev('signal', 'alice', { answer: markSdp(SDP, { screen: null }) }));
  t.store.onFrame(ev('signal', 'dave', { answer: SDP }));
  await tick(30);
  return t;
}

describe('SDP mark', () => {
  it('goes before the first m= line and reads back', () => {
    const out = markSdp(SDP, { screen: 'abc-1' });
    expect(out.split('\r\n').slice(4, 7)).toEqual(['a=x-convos:1', 'a=x-convos-screen:abc-1', 'm=audio 9 UDP/TLS/RTP/SAVPF 111']);
    expect(readMark(out)).toEqual({ screen: 'abc-1' });
    expect(readMark(markSdp(SDP, { screen: null }))).toEqual({ screen: null });
  });
  it('a plain SDP (Convos 4.08) has no mark; legacy mode sends none; junk ids are dropped', () => {
    expect(readMark(SDP)).toBeNull();
    expect(markSdp(SDP, null)).toBe(SDP);
    expect(readMark(markSdp(SDP, { screen: 'a b' }))).toEqual({ screen: null });
    // Only the session level counts.
    expect(readMark(SDP + 'a=x-convos:1\r\n')).toBeNull();
  });
});

describe('CallStore screen sharing', () => {
  it('our offers carry the mark; peers answering with it are modern', async () => {
    const { store, requests } = await inCall();
    expect(readMark(signals(requests, 'alice')[0]?.offer as string)).toEqual({ screen: null });
    expect(store.peerList().map((p) => [p.nick, p.modern])).toEqual([
      ['alice', true],
      ['dave', false],
    ]);
  });

  it('sharing adds a track for modern peers only, renegotiates, and names the screen stream', async () => {
    const { store, requests, pcs } = await inCall();
    const [alicePc, davePc] = pcs as [FakePc, FakePc];
    const before = [alicePc.tracks, davePc.tracks];
    await store.toggleShare();
    await tick(30);
    expect(store.call?.screen?.id).toBe('scr-1');
    expect(alicePc.tracks).toBe(before[0]! + 1);
    expect(davePc.tracks).toBe(before[1]);
    const offers = signals(requests, 'alice').filter((r) => r.offer);
    expect(offers.length).toBe(2);
    expect(readMark(offers[1]?.offer as string)).toEqual({ screen: 'scr-1' });
    expect(signals(requests, 'dave').filter((r) => r.offer).length).toBe(1);
    expect(store.call?.log.at(-1)).toMatch(/sharing your screen\. dave cannot see it/);
    // The camera is still sent.
    expect(store.call?.local?.getVideoTracks().length).toBe(1);
  });

  it("the browser's own Stop sharing ends the track: sharing stops and renegotiates", async () => {
    const { store, requests, pcs } = await inCall();
    await store.toggleShare();
    await tick(30);
    alicePcAnswer(store);
    await tick(30);
    const track = store.call?.screen?.getVideoTracks()[0] as unknown as { onended: () => void; readyState: string };
    track.onended();
    await tick(30);
    expect(store.call?.screen).toBeNull();
    expect(pcs[0]?.removed).toBe(1);
    expect(track.readyState).toBe('ended');
    const last = signals(requests, 'alice').filter((r) => r.offer).at(-1);
    expect(readMark(last?.offer as string)).toEqual({ screen: null });
    expect(store.call?.log.at(-1)).toBe('You stopped sharing your screen.');
  });

  it('a peer that turns out modern while we share gets the screen too', async () => {
    const { store, pcs } = setup();
    await store.start('irc-x', '#chan');
    await store.toggleShare();
    store.onFrame(ev('signal', 'erin', { offer: markSdp(SDP, { screen: null }) }));
    await tick(30);
    expect(pcs[0]?.tracks).toBe(3); // microphone, camera, screen
    expect(store.peerList()[0]?.sharing).toBe(true);
  });

  it('a screen that cannot be shared says why; closing the picker says nothing', async () => {
    const cancel = Object.assign(new Error('no'), { name: 'NotAllowedError' });
    const t = await inCall({ getDisplayMedia: async () => Promise.reject(cancel) });
    await t.store.toggleShare();
    expect(t.store.call?.error).toBe('');
    t.store.env.getDisplayMedia = async () => Promise.reject(new Error('boom'));
    await t.store.toggleShare();
    expect(t.store.call?.error).toMatch(/Could not share the screen: boom/);
  });

  it("their screen: the stream their SDP names is shown as a screen, and goes when they stop", async () => {
    const { store, pcs } = setup();
    await store.start('irc-x', '#chan');
    store.onFrame(ev('signal', 'alice', { offer: markSdp(SDP, { screen: null }) }));
    await tick(30);
    const pc = pcs[0] as FakePc;
    const cam = Object.assign(fakeStream(), { id: 'cam' });
    pc.ontrack?.({ track: cam.getVideoTracks()[0] as MediaStreamTrack, streams: [cam] });
    store.onFrame(ev('signal', 'alice', { offer: markSdp(SDP, { screen: 'scr-9' }) }));
    await tick(30);
    const scr = screenStream('scr-9');
    pc.ontrack?.({ track: scr.getVideoTracks()[0] as MediaStreamTrack, streams: [scr] });
    expect(store.call?.tiles[0]?.screen?.id).toBe('scr-9');
    expect(store.call?.tiles[0]?.stream?.id).toBe('cam');
    store.onFrame(ev('signal', 'alice', { offer: markSdp(SDP, { screen: null }) }));
    await tick(30);
    expect(store.call?.tiles[0]?.screen).toBeNull();
    expect(store.call?.tiles[0]?.stream?.id).toBe('cam');
  });
});

function alicePcAnswer(store: CallStore) {
  store.onFrame(ev('signal', 'alice', { answer: markSdp(SDP, { screen: null }) }));
}
