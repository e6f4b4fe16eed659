//! Connection quality and sender adaptation (issue 25). Pure: fed `getStats()` reports
//! once a second per peer, answers
//! - a quality reading for the tile (packet loss, round-trip time, bitrates) and a level;
//! - what the camera sender should be limited to (`RTCRtpSender.setParameters`): a mesh
//!   sends one copy of the camera per participant, so the budget per copy shrinks with
//!   their number, and it is cut further while the link loses packets, then raised again
//!   slowly. Audio is never limited and is sent at high priority.

export type Level = 'good' | 'fair' | 'poor' | 'unknown';

export interface Quality {
  level: Level;
  /** Packets lost, in and out, over the last interval, 0..1 (null: unknown). */
  loss: number | null;
  /** Round-trip time in ms (null: unknown). */
  rtt: number | null;
  /** Received and sent kbit/s over the last interval. */
  inKbps: number;
  outKbps: number;
}

export interface VideoLimit {
  maxBitrate: number;
  scaleResolutionDownBy: number;
  maxFramerate: number;
}

type Stat = {
  type?: string;
  kind?: string;
  packetsLost?: number;
  packetsReceived?: number;
  bytesReceived?: number;
  bytesSent?: number;
  packetsSent?: number;
  fractionLost?: number;
  roundTripTime?: number;
  currentRoundTripTime?: number;
  state?: string;
  nominated?: boolean;
  selectedCandidatePairId?: string;
  id?: string;
};

interface Totals {
  at: number;
  lost: number;
  received: number;
  bytesIn: number;
  bytesOut: number;
}

/** Totals of one report: inbound loss and bytes, outbound bytes, what the far end says. */
function totals(report: RTCStatsReport, at: number): { t: Totals; remoteLoss: number | null; rtt: number | null } {
  const t: Totals = { at, lost: 0, received: 0, bytesIn: 0, bytesOut: 0 };
  let remoteLoss: number | null = null;
  let rtt: number | null = null;
  let pair: string | null = null;
  const pairs = new Map<string, Stat>();
  report.forEach((s: Stat) => {
    if (s.type === 'inbound-rtp') {
      t.lost += Math.max(0, s.packetsLost ?? 0);
      t.received += s.packetsReceived ?? 0;
      t.bytesIn += s.bytesReceived ?? 0;
    } else if (s.type === 'outbound-rtp') {
      t.bytesOut += s.bytesSent ?? 0;
    } else if (s.type === 'remote-inbound-rtp') {
      if (typeof s.fractionLost === 'number') remoteLoss = Math.max(remoteLoss ?? 0, s.fractionLost);
      if (typeof s.roundTripTime === 'number') rtt = Math.max(rtt ?? 0, s.roundTripTime * 1000);
    } else if (s.type === 'transport' && s.selectedCandidatePairId) {
      pair = s.selectedCandidatePairId;
    } else if (s.type === 'candidate-pair' && s.id) {
      pairs.set(s.id, s);
    }
  });
  const p = (pair && pairs.get(pair)) || [...pairs.values()].find((x) => x.state === 'succeeded' && x.nominated);
  if (rtt === null && typeof p?.currentRoundTripTime === 'number') rtt = p.currentRoundTripTime * 1000;
  return { t, remoteLoss, rtt };
}

/** The level for a loss and a round-trip time. */
export function level(loss: number | null, rtt: number | null): Level {
  if (loss === null && rtt === null) return 'unknown';
  const l = loss ?? 0;
  const r = rtt ?? 0;
  if (l >= 0.1 || r >= 600) return 'poor';
  if (l >= 0.03 || r >= 300) return 'fair';
  return 'good';
}

/** One peer's readings over time. */
export class QualityWatch {
  private last: Totals | null = null;

  sample(report: RTCStatsReport, now: number): Quality {
    const { t, remoteLoss, rtt } = totals(report, now);
    const prev = this.last;
    this.last = t;
    if (!prev || t.at <= prev.at) return { level: level(remoteLoss, rtt), loss: remoteLoss, rtt, inKbps: 0, outKbps: 0 };
    const secs = (t.at - prev.at) / 1000;
    const lost = Math.max(0, t.lost - prev.lost);
    const got = Math.max(0, t.received - prev.received);
    const inLoss = lost + got > 0 ? lost / (lost + got) : null;
    const loss = inLoss === null ? remoteLoss : Math.max(inLoss, remoteLoss ?? 0);
    return {
      level: level(loss, rtt),
      loss,
      rtt,
      inKbps: Math.round(((t.bytesIn - prev.bytesIn) * 8) / 1000 / secs),
      outKbps: Math.round(((t.bytesOut - prev.bytesOut) * 8) / 1000 / secs),
    };
  }
}

/** A tooltip: "Good connection: 0.4% loss, 32 ms, 850 kbit/s in". */
export function describe(q: Quality): string {
  const name = { good: 'Good', fair: 'Fair', poor: 'Poor', unknown: 'Measuring' }[q.level];
  const parts: string[] = [];
  if (q.loss !== null) parts.push(`${(q.loss * 100).toFixed(1)}% loss`);
  if (q.rtt !== null) parts.push(`${Math.round(q.rtt)} ms round trip`);
  parts.push(`${q.inKbps} kbit/s in`, `${q.outKbps} kbit/s out`);
  return `${name} connection: ${parts.join(', ')}`;
}

/** Camera bitrate per copy for a number of remote participants (kbit/s → bit/s). A
 *  4-way mesh sends 3 copies: 3 × (500 + audio) stays under a 2 Mbit/s uplink. */
export function budget(peers: number): number {
  if (peers <= 1) return 1_500_000;
  if (peers === 2) return 800_000;
  return 500_000;
}

export const MIN_BITRATE = 150_000;

/**
 * The next camera limit for one peer: from the budget for the participant count, cut
 * when the link to that peer loses packets (halved at 10%, by 30% at 3%), raised by 15%
 * a reading while it does not (never above the budget). Lower bitrates also get a lower
 * resolution and frame rate, so what is sent stays fluid rather than sharp and stuttering.
 */
export function adapt(prev: VideoLimit | null, peers: number, loss: number | null): VideoLimit {
  const cap = budget(peers);
  let rate = prev ? Math.min(prev.maxBitrate, cap) : cap;
  const l = loss ?? 0;
  if (l >= 0.1) rate = rate * 0.5;
  else if (l >= 0.03) rate = rate * 0.7;
  else if (prev && l < 0.01) rate = rate * 1.15;
  rate = Math.round(Math.max(MIN_BITRATE, Math.min(cap, rate)));
  const scale = rate >= 700_000 ? 1 : rate >= 350_000 ? 1.5 : 2;
  const fps = rate >= 350_000 ? 30 : rate >= 200_000 ? 20 : 15;
  return { maxBitrate: rate, scaleResolutionDownBy: scale, maxFramerate: fps };
}

/** Whether a new limit differs enough from the applied one to call setParameters. */
export function changed(a: VideoLimit | null, b: VideoLimit): boolean {
  if (!a) return true;
  return (
    Math.abs(a.maxBitrate - b.maxBitrate) / a.maxBitrate > 0.05 || a.scaleResolutionDownBy !== b.scaleResolutionDownBy || a.maxFramerate !== b.maxFramerate
  );
}
