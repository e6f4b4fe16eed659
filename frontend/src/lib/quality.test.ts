import { describe as suite, expect, it } from 'vitest';
import { Peer } from './peer';
import { FakePc, fakeStream, tick } from './peer.fake';
import { adapt, budget, changed, describe, level, MIN_BITRATE, QualityWatch } from './quality';

const report = (rows: Record<string, unknown>[]) => new Map(rows.map((r, i) => [String(r.id ?? i), r])) as unknown as RTCStatsReport;

function stats(o: { lost: number; received: number; bytesIn: number; bytesOut: number; remoteLoss?: number; rtt?: number }) {
  return report([
    { type: 'inbound-rtp', kind: 'video', packetsLost: o.lost, packetsReceived: o.received, bytesReceived: o.bytesIn },
    { type: 'outbound-rtp', kind: 'video', bytesSent: o.bytesOut },
    { type: 'remote-inbound-rtp', kind: 'video', fractionLost: o.remoteLoss ?? 0, roundTripTime: (o.rtt ?? 40) / 1000 },
  ]);
}

suite('quality', () => {
  it('reads loss, round trip and bitrates between two samples', () => {
    const w = new QualityWatch();
    expect(w.sample(stats({ lost: 0, received: 0, bytesIn: 0, bytesOut: 0 }), 0).level).toBe('good');
    const q = w.sample(stats({ lost: 5, received: 95, bytesIn: 125_000, bytesOut: 250_000, rtt: 80 }), 1000);
    expect(q.loss).toBeCloseTo(0.05);
    expect(q.rtt).toBe(80);
    expect(q.inKbps).toBe(1000);
    expect(q.outKbps).toBe(2000);
    expect(q.level).toBe('fair');
    expect(describe(q)).toBe('Fair connection: 5.0% loss, 80 ms round trip, 1000 kbit/s in, 2000 kbit/s out');
  });
  it('what the far end reports counts too; levels', () => {
    const w = new QualityWatch();
    w.sample(stats({ lost: 0, received: 0, bytesIn: 0, bytesOut: 0 }), 0);
    expect(w.sample(stats({ lost: 0, received: 100, bytesIn: 1, bytesOut: 1, remoteLoss: 0.2 }), 1000).level).toBe('poor');
    expect(level(null, null)).toBe('unknown');
    expect(level(0, 700)).toBe('poor');
    expect(level(0.01, 50)).toBe('good');
  });
  it('the camera budget per copy shrinks with the participants', () => {
    expect(adapt(null, 1, 0).maxBitrate).toBe(budget(1));
    expect(adapt(null, 3, 0)).toEqual({ maxBitrate: 500_000, scaleResolutionDownBy: 1.5, maxFramerate: 30 });
    // 4-way mesh: 3 copies of camera + audio fit a 2 Mbit/s uplink.
    expect(3 * (adapt(null, 3, 0).maxBitrate + 40_000)).toBeLessThan(2_000_000);
    // Someone leaves: the next reading may go back up to the new budget, not at once.
    expect(adapt({ maxBitrate: 500_000, scaleResolutionDownBy: 1.5, maxFramerate: 30 }, 1, 0).maxBitrate).toBe(575_000);
  });
  it('loss cuts the rate, resolution and frame rate; a clean link raises it slowly', () => {
    let l = adapt(null, 1, 0);
    l = adapt(l, 1, 0.12);
    expect(l.maxBitrate).toBe(750_000);
    l = adapt(l, 1, 0.12);
    expect(l).toEqual({ maxBitrate: 375_000, scaleResolutionDownBy: 1.5, maxFramerate: 30 });
    for (let i = 0; i < 5; i++) l = adapt(l, 1, 0.2);
    expect(l).toEqual({ maxBitrate: MIN_BITRATE, scaleResolutionDownBy: 2, maxFramerate: 15 });
    const up = adapt(l, 1, 0);
    expect(up.maxBitrate).toBe(Math.round(MIN_BITRATE * 1.15));
    expect(adapt(up, 1, 0.05).maxBitrate).toBe(MIN_BITRATE);
    expect(adapt({ ...up, maxBitrate: 600_000 }, 1, 0.05).maxBitrate).toBe(420_000);
    expect(changed(l, l)).toBe(false);
    expect(changed(l, up)).toBe(true);
  });
  it('a peer applies the camera limit with setParameters and gives audio the high priority', async () => {
    const pc = new FakePc();
    const peer = new Peer({ nick: 'bob', polite: true, role: 'caller', createPc: () => pc, send: async () => {}, stream: fakeStream() });
    await tick(5);
    pc.setIce('connected');
    await peer.limitVideo(adapt(null, 3, 0));
    expect(pc.params).toEqual([
      { kind: 'audio', priority: 'high', networkPriority: 'high' },
      { kind: 'video', priority: 'low', networkPriority: 'low', maxBitrate: 500_000, scaleResolutionDownBy: 1.5, maxFramerate: 30 },
    ]);
    // The same limit again: nothing to do.
    await peer.limitVideo(adapt(null, 3, 0));
    expect(pc.params.length).toBe(2);
    await peer.limitVideo(adapt(peer.videoLimit, 3, 0.15));
    expect(pc.params.at(-1)).toMatchObject({ kind: 'video', maxBitrate: 250_000, scaleResolutionDownBy: 2, maxFramerate: 20 });
    peer.close();
  });
});
