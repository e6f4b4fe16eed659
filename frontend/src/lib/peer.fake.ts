//! A fake RTCPeerConnection for unit tests: signalling states, implicit rollback, ICE
//! gathering that completes at once, and negotiationneeded after addTrack.

import type { PcLike, TransceiverLike } from './peer';

let n = 0;

export class FakePc implements PcLike {
  signalingState: RTCSignalingState = 'stable';
  iceConnectionState: RTCIceConnectionState = 'new';
  connectionState: RTCPeerConnectionState = 'new';
  iceGatheringState: RTCIceGatheringState = 'new';
  localDescription: { type: RTCSdpType; sdp: string } | null = null;
  remoteDescription: { type: RTCSdpType; sdp: string } | null = null;
  onnegotiationneeded: ((ev: Event) => unknown) | null = null;
  onicecandidate: ((ev: { candidate: RTCIceCandidate | null }) => unknown) | null = null;
  oniceconnectionstatechange: ((ev: Event) => unknown) | null = null;
  onconnectionstatechange: ((ev: Event) => unknown) | null = null;
  onicegatheringstatechange: ((ev: Event) => unknown) | null = null;
  ontrack: ((ev: { track: MediaStreamTrack; streams: readonly MediaStream[] }) => unknown) | null = null;
  onicecandidateerror: ((ev: Event) => unknown) | null = null;
  added: RTCIceCandidateInit[] = [];
  tracks = 0;
  transceivers: string[] = [];
  restarts = 0;
  closed = false;
  /** Gathering completes this many ms after setLocalDescription (null: never). */
  gatherDelay: number | null = 0;
  readonly name = `pc${++n}`;
  private ver = 0;

  private pendingNeeded = false;
  private needed(): void {
    if (this.pendingNeeded) return;
    this.pendingNeeded = true;
    queueMicrotask(() => {
      this.pendingNeeded = false;
      if (this.signalingState === 'stable' && !this.closed) this.onnegotiationneeded?.(new Event('negotiationneeded'));
    });
  }

  async setLocalDescription(d?: RTCSessionDescriptionInit): Promise<void> {
    await Promise.resolve();
    if (d?.type === 'rollback') {
      this.signalingState = 'stable';
      this.localDescription = null;
      return;
    }
    if (this.signalingState === 'stable' || this.signalingState === 'have-local-offer') {
      this.localDescription = { type: 'offer', sdp: `offer ${this.name} ${++this.ver}` };
      this.signalingState = 'have-local-offer';
    } else if (this.signalingState === 'have-remote-offer') {
      this.localDescription = { type: 'answer', sdp: `answer ${this.name} ${++this.ver}` };
      this.signalingState = 'stable';
    } else {
      throw new Error(`bad state ${this.signalingState}`);
    }
    this.iceGatheringState = 'gathering';
    if (this.gatherDelay !== null)
      setTimeout(() => {
        this.iceGatheringState = 'complete';
        this.onicegatheringstatechange?.(new Event('icegatheringstatechange'));
      }, this.gatherDelay);
  }

  async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
    await Promise.resolve();
    if (d.type === 'offer') {
      if (this.signalingState === 'have-local-offer') {
        this.localDescription = null; // implicit rollback
        this.signalingState = 'stable';
      }
      if (this.signalingState !== 'stable') throw new Error(`offer in ${this.signalingState}`);
      this.signalingState = 'have-remote-offer';
    } else if (d.type === 'answer') {
      if (this.signalingState !== 'have-local-offer') throw new Error(`answer in ${this.signalingState}`);
      this.signalingState = 'stable';
    }
    this.remoteDescription = { type: d.type as RTCSdpType, sdp: d.sdp ?? '' };
  }

  async addIceCandidate(c: RTCIceCandidateInit): Promise<void> {
    if (!this.remoteDescription) throw new Error('no remote description');
    this.added.push(c);
  }

  /** Transceivers made by addTrack (sending), with a sender whose replaceTrack is recorded. */
  senders: TransceiverLike[] = [];
  replaced: (MediaStreamTrack | null)[] = [];
  /** Every setParameters call: the track's kind and the first encoding. */
  params: Record<string, unknown>[] = [];

  addTrack(track?: MediaStreamTrack): unknown {
    this.tracks++;
    let params = { encodings: [{}] } as unknown as RTCRtpSendParameters;
    const sender = {
      track: track ?? null,
      replaceTrack: async (t: MediaStreamTrack | null) => {
        sender.track = t;
        this.replaced.push(t);
      },
      getParameters: () => structuredClone(params),
      setParameters: async (p: RTCRtpSendParameters) => {
        params = p;
        this.params.push({ kind: sender.track?.kind ?? '', ...(p.encodings[0] as object) });
      },
    };
    const x: TransceiverLike = { direction: 'sendrecv', receiver: { track: { kind: track?.kind ?? 'audio' } }, sender };
    this.senders.push(x);
    this.needed();
    return sender;
  }

  addTransceiver(kind: string): unknown {
    this.transceivers.push(kind);
    this.needed();
    return {};
  }

  removeTrack(sender: unknown): void {
    const i = this.senders.findIndex((x) => x.sender === sender);
    if (i >= 0) this.senders.splice(i, 1);
    this.removed++;
    this.needed();
  }
  removed = 0;

  getTransceivers(): TransceiverLike[] {
    return this.senders;
  }

  restartIce(): void {
    this.restarts++;
    this.needed();
  }

  close(): void {
    this.closed = true;
    this.signalingState = 'closed';
  }

  async getStats(): Promise<RTCStatsReport> {
    return new Map() as unknown as RTCStatsReport;
  }

  /** Test helper: change the ICE connection state. */
  setIce(s: RTCIceConnectionState): void {
    this.iceConnectionState = s;
    this.oniceconnectionstatechange?.(new Event('iceconnectionstatechange'));
  }
}

/** A track stand-in: kind, enabled, the device it came from, `stop()` recorded. */
export function fakeTrack(kind: 'audio' | 'video', deviceId = 'default', label = ''): MediaStreamTrack {
  const t = {
    kind,
    label,
    enabled: true,
    readyState: 'live',
    onended: null as (() => void) | null,
    getSettings: () => ({ deviceId }),
    stop() {
      t.readyState = 'ended';
    },
  };
  return t as unknown as MediaStreamTrack;
}

/** A stream stand-in with one audio and one video track. */
export function fakeStream(c: { audio?: boolean; video?: boolean; audioId?: string; videoId?: string } = {}): MediaStream {
  const tracks: MediaStreamTrack[] = [];
  if (c.audio !== false) tracks.push(fakeTrack('audio', c.audioId));
  if (c.video !== false) tracks.push(fakeTrack('video', c.videoId));
  return streamOf(tracks);
}

/** A stream of the given fake tracks (`CallEnv.makeStream` in tests). */
export function streamOf(tracks: MediaStreamTrack[]): MediaStream {
  return {
    getTracks: () => tracks,
    getAudioTracks: () => tracks.filter((t) => t.kind === 'audio'),
    getVideoTracks: () => tracks.filter((t) => t.kind === 'video'),
  } as unknown as MediaStream;
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
