import { describe, expect, it } from 'vitest';
import { inboundPackets, MediaWatch, QUIET_MS } from './mediawatch';

describe('MediaWatch', () => {
  it('calls a kind off when its packets stop rising for a while, on when they rise again', () => {
    const w = new MediaWatch();
    expect(w.sample('audio', 10, 0)).toBe(false);
    expect(w.sample('audio', 60, 1000)).toBe(false);
    expect(w.sample('audio', 60, 1000 + QUIET_MS - 1)).toBe(false);
    expect(w.sample('audio', 60, 1000 + QUIET_MS)).toBe(true);
    expect(w.sample('audio', 61, 5000)).toBe(false);
  });
  it('calls a kind that never sent anything off once the quiet time has passed', () => {
    const w = new MediaWatch();
    expect(w.sample('video', null, 0)).toBe(false);
    expect(w.sample('video', null, QUIET_MS)).toBe(true);
    // kinds are independent
    expect(w.sample('audio', 5, QUIET_MS)).toBe(false);
  });
  it('takes a counter that starts again (a new stream) as sending', () => {
    const w = new MediaWatch();
    w.sample('video', 500, 0);
    expect(w.sample('video', 3, QUIET_MS * 2)).toBe(false);
  });
});

describe('inboundPackets', () => {
  it('sums the inbound RTP streams of each kind and ignores the rest', () => {
    const r = new Map<string, object>([
      ['a', { type: 'inbound-rtp', kind: 'audio', packetsReceived: 7 }],
      ['b', { type: 'inbound-rtp', kind: 'video', packetsReceived: 3 }],
      ['c', { type: 'inbound-rtp', kind: 'video', packetsReceived: 4 }],
      ['d', { type: 'outbound-rtp', kind: 'audio', packetsSent: 99 }],
    ]) as unknown as RTCStatsReport;
    expect(inboundPackets(r)).toEqual({ audio: 7, video: 7 });
    expect(inboundPackets(new Map() as unknown as RTCStatsReport)).toEqual({ audio: null, video: null });
  });
});
