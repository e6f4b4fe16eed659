//! Whether a remote microphone or camera is off, read from the media itself (issue 19.9):
//! a participant who mutes stops sending that kind of RTP (`replaceTrack(null)`, see
//! `Peer.setSending`), so its packet count stops rising. No new signalling: a Convos 4.08
//! peer neither sends nor needs anything more. Pure: fed samples, answers.

export type Kind = 'audio' | 'video';

/** No packets of a kind for this long: that kind is off. Opus DTX still sends a packet
 *  every 400 ms in silence, and video at least a few frames a second. */
export const QUIET_MS = 2000;

export class MediaWatch {
  private seen: Record<Kind, { packets: number; at: number } | null> = { audio: null, video: null };

  /** One reading of the packets received so far of `kind` (`null`: none yet) at `now`;
   *  returns whether that kind is off. The first reading only starts the clock. */
  sample(kind: Kind, packets: number | null, now: number): boolean {
    const n = packets ?? 0;
    const last = this.seen[kind];
    if (!last || n !== last.packets) {
      // The first reading, rising, or a new stream counting from 0 again: on, as of now.
      this.seen[kind] = { packets: n, at: now };
      return false;
    }
    return now - last.at >= QUIET_MS;
  }
}

/** Packets received per kind from a stats report (summed over its inbound RTP streams),
 *  leaving out the tracks in `skip` (a shared screen is not the camera). */
export function inboundPackets(report: RTCStatsReport, skip: readonly string[] = []): Record<Kind, number | null> {
  const out: Record<Kind, number | null> = { audio: null, video: null };
  report.forEach((s: { type?: string; kind?: string; packetsReceived?: number; trackIdentifier?: string }) => {
    if (s.type !== 'inbound-rtp' || (s.kind !== 'audio' && s.kind !== 'video')) return;
    if (s.trackIdentifier && skip.includes(s.trackIdentifier)) return;
    out[s.kind] = (out[s.kind] ?? 0) + (s.packetsReceived ?? 0);
  });
  return out;
}
