//! What a call measures of its participants (issue 25), for the call store
//! (calls.svelte.ts): how loud each one is (an analyser per stream, read every 150 ms)
//! and who the active speaker is (lib/speaker.ts); and, once a second from each peer
//! connection's `getStats()`, whether their microphone and camera send (lib/mediawatch.ts),
//! the connection's quality for the tile, and the camera limit that follows from it
//! (lib/quality.ts → `Peer.limitVideo`).

import type { ActiveCall } from './callenv';
import { inboundPackets, MediaWatch } from './mediawatch';
import type { Peer } from './peer';
import { adapt, describe as describeQuality, QualityWatch } from './quality';
import { SpeakerPicker } from './speaker';

/** What the measurements need of the call store. */
export interface WatchHost {
  readonly call: ActiveCall | null;
  readonly peers: Map<string, Peer>;
}

export class CallWatch {
  private ctx: AudioContext | null = null;
  private meters = new Map<string, () => number>();
  private meterTimer: ReturnType<typeof setInterval> | null = null;
  private watches = new Map<string, MediaWatch>();
  private speakers = new SpeakerPicker();
  private qualities = new Map<string, QualityWatch>();
  private watchTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private host: WatchHost,
    private now: () => number,
  ) {}

  /** Opens the audio context the meters use (once per call). */
  ensureAudio(): void {
    if (this.ctx || typeof AudioContext === 'undefined') return;
    try {
      this.ctx = new AudioContext();
      void this.ctx.resume().catch(() => {});
    } catch {
      this.ctx = null;
    }
  }

  /** Measures how loud `stream` is, as `id` ('local', or a tile's id). */
  meter(id: string, stream: MediaStream): void {
    const ctx = this.ctx;
    if (!ctx || !stream.getAudioTracks().length) return;
    try {
      const src = ctx.createMediaStreamSource(stream);
      const an = ctx.createAnalyser();
      an.fftSize = 512;
      src.connect(an);
      const buf = new Float32Array(an.fftSize);
      this.meters.set(id, () => {
        an.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        return Math.min(1, Math.sqrt(sum / buf.length) * 4);
      });
    } catch {
      return;
    }
    this.meterTimer ??= setInterval(() => this.readMeters(), 150);
  }

  /** A new peer connection: its media is read once a second from now on. */
  add(id: string): void {
    this.watches.set(id, new MediaWatch());
    this.watchTimer ??= setInterval(() => void this.readMedia(), 1000);
  }

  /** A peer connection closed: nothing of it is measured any more. */
  remove(id: string): void {
    this.meters.delete(id);
    this.watches.delete(id);
    this.qualities.delete(id);
  }

  /** The call ended: timers, meters and the audio context go. */
  stop(): void {
    this.meters.clear();
    if (this.meterTimer) clearInterval(this.meterTimer);
    this.meterTimer = null;
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = null;
    this.watches.clear();
    this.qualities.clear();
    void this.ctx?.close().catch(() => {});
    this.ctx = null;
  }

  /** Who sends what: each connected peer's inbound packet counts, once a second. */
  private async readMedia(): Promise<void> {
    const c = this.host.call;
    if (!c) return;
    const now = this.now();
    const peers = this.host.peers;
    for (const p of peers.values()) {
      const w = this.watches.get(p.id);
      const t = c.tiles.find((x) => x.id === p.id);
      if (!w || !t || p.state !== 'connected') continue;
      let got: ReturnType<typeof inboundPackets>;
      let report: RTCStatsReport;
      try {
        report = await p.pc.getStats();
        got = inboundPackets(report, p.screenStream?.getTracks().map((x) => x.id) ?? []);
      } catch {
        continue;
      }
      // Quality for the tile, and the camera limit for this peer (lib/quality.ts).
      let qw = this.qualities.get(p.id);
      if (!qw) this.qualities.set(p.id, (qw = new QualityWatch()));
      const q = qw.sample(report, now);
      const text = describeQuality(q);
      if (t.quality !== q.level) t.quality = q.level;
      if (t.qualityText !== text) t.qualityText = text;
      void p.limitVideo(adapt(p.videoLimit, peers.size, q.loss));
      const micOff = w.sample('audio', got.audio, now);
      const camOff = w.sample('video', got.video, now);
      if (t.micOff !== micOff) t.micOff = micOff;
      if (t.camOff !== camOff) t.camOff = camOff;
    }
  }

  private readMeters(): void {
    const c = this.host.call;
    if (!c) return;
    const levels = new Map<string, number>();
    for (const [id, read] of this.meters) {
      const v = Math.round(read() * 100) / 100;
      if (id === 'local') {
        const lv = c.micOn ? v : 0;
        if (lv !== c.localLevel) c.localLevel = lv;
      } else {
        const t = c.tiles.find((x) => x.id === id);
        if (t && t.level !== v) t.level = v;
        if (t) levels.set(id, t.micOff ? 0 : v);
      }
    }
    const speaker = this.speakers.sample(levels);
    if (speaker !== c.speaker) c.speaker = speaker;
  }
}
