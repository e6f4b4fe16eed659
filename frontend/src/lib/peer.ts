//! One WebRTC peer in a call: an `RTCPeerConnection` to one remote nick, with perfect
//! negotiation (docs/rtcz.md D13) adapted to IRC signalling:
//! - descriptions are sent once ICE gathering completes (or after `gatherMs`) with the
//!   candidates inside the SDP, so a peer pair costs one OFR and one ANS and no ICE lines;
//!   candidates that turn up after that are trickled;
//! - trickled candidates from old Convos peers are queued until a remote description is set;
//! - the impolite side (smaller casefolded nick) ignores colliding offers, the polite side
//!   rolls back and answers;
//! - ICE failure (or no connection within `connectMs`) restarts ICE once; a second failure
//!   reports the peer unreachable.
//! Nothing here touches the DOM or the socket: the caller injects `createPc` and `send`.

import { changed, type VideoLimit } from './quality';
import { repairLegacySdp } from './legacy';
import { markSdp, readMark } from './share';
import type { Signal } from './types';

/** What this side sends: the server's `Signal` type. */
export type SignalOut = Signal;

export interface SignalIn {
  offer?: string;
  answer?: string;
  ice?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | string | null;
}

export type PeerState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

/** The subset of `RTCPeerConnection` that a peer uses (a fake in tests). */
export interface PcLike {
  readonly signalingState: RTCSignalingState;
  readonly iceConnectionState: RTCIceConnectionState;
  readonly connectionState: RTCPeerConnectionState;
  readonly iceGatheringState: RTCIceGatheringState;
  readonly localDescription: { type: RTCSdpType; sdp: string } | null;
  readonly remoteDescription: { type: RTCSdpType; sdp: string } | null;
  onnegotiationneeded: ((ev: Event) => unknown) | null;
  onicecandidate: ((ev: { candidate: RTCIceCandidate | null }) => unknown) | null;
  oniceconnectionstatechange: ((ev: Event) => unknown) | null;
  onconnectionstatechange: ((ev: Event) => unknown) | null;
  onicegatheringstatechange: ((ev: Event) => unknown) | null;
  ontrack: ((ev: { track: MediaStreamTrack; streams: readonly MediaStream[] }) => unknown) | null;
  onicecandidateerror: ((ev: Event) => unknown) | null;
  setLocalDescription(d?: RTCSessionDescriptionInit): Promise<void>;
  setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void>;
  addIceCandidate(c: RTCIceCandidateInit): Promise<void>;
  addTrack(track: MediaStreamTrack, ...streams: MediaStream[]): unknown;
  addTransceiver(kind: string, init?: RTCRtpTransceiverInit): unknown;
  removeTrack(sender: never): void;
  getTransceivers(): TransceiverLike[];
  restartIce(): void;
  close(): void;
  getStats(): Promise<RTCStatsReport>;
}

/** The subset of `RTCRtpTransceiver` used to start sending on a receive-only one. */
export interface TransceiverLike {
  direction: RTCRtpTransceiverDirection;
  readonly receiver: { readonly track: { readonly kind: string } };
  readonly sender: {
    readonly track: MediaStreamTrack | null;
    replaceTrack(track: MediaStreamTrack | null): Promise<void>;
    setStreams?(...streams: MediaStream[]): void;
    getParameters?(): RTCRtpSendParameters;
    setParameters?(p: RTCRtpSendParameters): Promise<void>;
  };
}

export interface PeerOptions {
  nick: string;
  /** Polite peers yield on offer collisions. */
  polite: boolean;
  /** `caller`: offers at once (we were in the call when they called). `callee`: waits. */
  role: 'caller' | 'callee';
  createPc: () => PcLike;
  send: (s: SignalOut) => Promise<void>;
  /** Local media; null for listen-only. */
  stream: MediaStream | null;
  onChange?: (p: Peer) => void;
  onTrack?: (p: Peer, stream: MediaStream) => void;
  /** A human message about this peer: TURN errors, failures. */
  onProblem?: (p: Peer, message: string) => void;
  gatherMs?: number;
  connectMs?: number;
  log?: (...a: unknown[]) => void;
  /** What our SDPs say about us (lib/share.ts): the id of the screen stream we share, or
   *  `null` to send plain SDPs as a Convos 4.08 browser does. */
  mark?: () => { screen: string | null } | null;
  /** The peer's SDP carries our mark: it understands a shared screen. */
  onModern?: (p: Peer) => void;
}

let nextId = 1;

export class Peer {
  /** Unique per connection (tiles are keyed by this, never by nick: D10). */
  readonly id = `peer-${nextId++}`;
  nick: string;
  readonly polite: boolean;
  readonly pc: PcLike;
  state: PeerState = 'connecting';
  remoteStream: MediaStream | null = null;
  /** Their shared screen (a second video track in its own stream), if any. */
  screenStream: MediaStream | null = null;
  /** Their SDP carries our mark, so they tell their screen from their camera (a Convos
   *  4.08 peer does not: it never gets our screen, docs/calls.md). */
  modern = false;
  /** The stream id their last SDP named as their screen. */
  private remoteScreenId: string | null = null;
  private shareSenders: unknown[] = [];
  problem = '';
  /** ICE restarts tried since the last time the peer was connected. */
  restarts = 0;
  /** Signals sent (for tests and diagnostics). */
  sent = { offers: 0, answers: 0, ice: 0 };

  private makingOffer = false;
  private ignoreOffer = false;
  private pendingIce: RTCIceCandidateInit[] = [];
  /** The local description whose candidates went out inside the SDP. */
  private sentSdp = false;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly opts: PeerOptions;
  private turnErrors = new Set<string>();
  /** Serialises incoming signals so each step is awaited before the next (D13). */
  private chain: Promise<void> = Promise.resolve();

  constructor(opts: PeerOptions) {
    this.opts = opts;
    this.nick = opts.nick;
    this.polite = opts.polite;
    const pc = opts.createPc();
    this.pc = pc;
    pc.onnegotiationneeded = () => void this.negotiate();
    pc.onicecandidate = (ev) => void this.localCandidate(ev.candidate);
    pc.oniceconnectionstatechange = () => this.iceStateChanged();
    pc.onconnectionstatechange = () => this.iceStateChanged();
    pc.ontrack = (ev) => {
      const first = ev.streams[0];
      if (first && this.remoteScreenId && first.id === this.remoteScreenId) {
        this.screenStream = first;
        opts.onTrack?.(this, first);
        this.changed();
        return;
      }
      const stream = ev.streams[0] ?? this.remoteStream ?? new MediaStream([ev.track]);
      if (!ev.streams[0] && !stream.getTracks().includes(ev.track)) stream.addTrack(ev.track);
      this.remoteStream = stream;
      opts.onTrack?.(this, stream);
      this.changed();
    };
    pc.onicecandidateerror = (ev) => this.candidateError(ev as RTCPeerConnectionIceErrorEvent);
    if (opts.role === 'caller') this.addLocalMedia();
  }

  private log(...a: unknown[]): void {
    this.opts.log?.(`[${this.nick}]`, ...a);
  }

  private changed(): void {
    this.opts.onChange?.(this);
  }

  /** Adds our tracks; directions recvonly for what we do not send (audio-only, listen-only). */
  private localAdded = false;
  private addLocalMedia(): void {
    if (this.localAdded) return;
    this.localAdded = true;
    const s = this.opts.stream;
    const audio = s?.getAudioTracks()[0];
    const video = s?.getVideoTracks()[0];
    // A callee adds tracks after the remote offer, which reuses the offered transceivers;
    // what it does not send is answered recvonly without new transceivers.
    const caller = this.opts.role === 'caller';
    if (audio && s) this.pc.addTrack(audio, s);
    else if (caller) this.pc.addTransceiver('audio', { direction: 'recvonly' });
    if (video && s) this.pc.addTrack(video, s);
    else if (caller) this.pc.addTransceiver('video', { direction: 'recvonly' });
    // Muted or camera off before this peer came: send nothing of it until turned on.
    for (const t of [audio, video]) if (t && !t.enabled) void this.setSending(t.kind as 'audio' | 'video', null);
  }

  /**
   * Stops (`null`) or resumes sending one kind, without renegotiating: the others see its
   * packets stop, which is how they show "muted" or "camera off" (lib/mediawatch.ts).
   */
  async setSending(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    if (this.state === 'closed') return;
    const t = this.pc
      .getTransceivers()
      .find((x) => x.receiver.track.kind === kind && (x.direction === 'sendrecv' || x.direction === 'sendonly'));
    if (!t || t.sender.track === track) return;
    try {
      await t.sender.replaceTrack(track);
    } catch {
      // Closed meanwhile.
    }
  }

  /**
   * A device switch (issue 25): sends `next` instead of `old` wherever `old` was being
   * sent, with no renegotiation. A muted kind sends nothing now and `next` on unmute.
   */
  async replaceLocal(old: MediaStreamTrack, next: MediaStreamTrack, stream: MediaStream): Promise<void> {
    this.opts.stream = stream;
    if (this.state === 'closed') return;
    for (const t of this.pc.getTransceivers()) {
      if (t.sender.track !== old) continue;
      try {
        await t.sender.replaceTrack(next);
      } catch (e) {
        this.log('replaceTrack failed', e);
      }
    }
  }

  /**
   * Starts sending a camera or microphone opened after joining (audio-only or listen-only
   * at first): the transceiver of that kind negotiated receive-only turns send-receive,
   * which asks for one more offer/answer exchange (perfect negotiation handles a collision
   * with theirs).
   */
  async sendTrack(track: MediaStreamTrack, stream: MediaStream): Promise<void> {
    if (this.state === 'closed') return;
    const t = this.pc.getTransceivers().find((x) => x.receiver.track.kind === track.kind && !x.sender.track);
    if (!t) {
      this.pc.addTrack(track, stream);
      return;
    }
    await t.sender.replaceTrack(track);
    t.sender.setStreams?.(stream);
    if (t.direction === 'recvonly') t.direction = 'sendrecv';
    else if (t.direction === 'inactive') t.direction = 'sendonly';
  }

  /** Sends our shared screen as extra tracks in its own stream (the camera stays); the
   *  browser asks for an offer, which goes over IRC like any renegotiation. */
  addShare(stream: MediaStream): void {
    if (this.state === 'closed' || !this.modern || this.shareSenders.length) return;
    for (const t of stream.getTracks()) this.shareSenders.push(this.pc.addTrack(t, stream));
  }

  /** Stops sending the screen (one more offer/answer). */
  removeShare(): void {
    const senders = this.shareSenders;
    this.shareSenders = [];
    if (this.state === 'closed') return;
    for (const s of senders) {
      try {
        this.pc.removeTrack(s as never);
      } catch (e) {
        this.log('removeTrack failed', e);
      }
    }
  }

  /** The camera limit last applied (lib/quality.ts). */
  videoLimit: VideoLimit | null = null;

  /**
   * Limits what the camera sends to this peer (`setParameters`: no renegotiation), and
   * gives audio the high priority and the camera the low one, so that on a congested link
   * the voice gets through first.
   */
  async limitVideo(limit: VideoLimit): Promise<void> {
    if (this.state !== 'connected') return;
    const apply = changed(this.videoLimit, limit);
    for (const t of this.pc.getTransceivers()) {
      const s = t.sender;
      if (!s.track || !s.getParameters || !s.setParameters || this.shareSenders.includes(s)) continue;
      const audio = s.track.kind === 'audio';
      if (!audio && !apply) continue;
      const p = s.getParameters();
      const e = p.encodings?.[0];
      if (!e) continue;
      const want = audio ? 'high' : 'low';
      if (audio && e.priority === want) continue;
      e.priority = want;
      e.networkPriority = want;
      if (!audio) {
        e.maxBitrate = limit.maxBitrate;
        e.scaleResolutionDownBy = limit.scaleResolutionDownBy;
        e.maxFramerate = limit.maxFramerate;
      }
      try {
        await s.setParameters(p);
        if (!audio) this.videoLimit = limit;
      } catch (err) {
        this.log('setParameters failed', err);
      }
    }
  }

  /** Whether we send our screen to this peer now. */
  get sharing(): boolean {
    return this.shareSenders.length > 0;
  }

  /** Perfect negotiation: make and send an offer when the browser asks for one. */
  private async negotiate(): Promise<void> {
    if (this.state === 'closed' || this.makingOffer) return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      await this.sendLocal();
    } catch (e) {
      this.log('offer failed', e);
    } finally {
      this.makingOffer = false;
    }
  }

  /** Sends the local description once gathering completes (or after the cap). */
  private async sendLocal(): Promise<void> {
    const desc = this.pc.localDescription;
    if (!desc) return;
    await this.gathered();
    const now = this.pc.localDescription;
    // A rollback or a newer description while we waited: this one is stale.
    if (!now || now.type !== desc.type || this.state === 'closed') return;
    if (now.type === 'offer' && this.pc.signalingState !== 'have-local-offer') return;
    this.sentSdp = true;
    const sdp = markSdp(now.sdp, this.opts.mark?.() ?? null);
    if (now.type === 'offer') {
      this.sent.offers++;
      await this.opts.send({ offer: sdp });
    } else if (now.type === 'answer') {
      this.sent.answers++;
      await this.opts.send({ answer: sdp });
    }
  }

  private gathered(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, this.opts.gatherMs ?? 1000);
      const prev = this.pc.onicegatheringstatechange;
      const pc = this.pc;
      function done() {
        clearTimeout(t);
        if (pc.onicegatheringstatechange === check) pc.onicegatheringstatechange = prev;
        resolve();
      }
      function check(ev: Event) {
        prev?.(ev);
        if (pc.iceGatheringState === 'complete') done();
      }
      pc.onicegatheringstatechange = check;
    });
  }

  /** Candidates found after the description went out are trickled (rare: slow TURN). */
  private async localCandidate(c: RTCIceCandidate | null): Promise<void> {
    if (!c || !c.candidate || !this.sentSdp || this.state === 'closed') return;
    if (this.pc.iceGatheringState === 'complete') return;
    this.sent.ice++;
    try {
      await this.opts.send({ ice: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
    } catch (e) {
      this.log('ice send failed', e);
    }
  }

  /** Handles one incoming signal (in order with the others). */
  signal(s: SignalIn): Promise<void> {
    const run = () => this.handle(s).catch((e) => this.log('signal failed', e));
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  private async handle(s: SignalIn): Promise<void> {
    if (this.state === 'closed') return;
    const pc = this.pc;
    if (s.offer || s.answer) {
      const description: RTCSessionDescriptionInit = s.offer ? { type: 'offer', sdp: s.offer } : { type: 'answer', sdp: s.answer };
      const collision = description.type === 'offer' && (this.makingOffer || pc.signalingState !== 'stable');
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) {
        this.log('ignoring colliding offer (impolite)');
        return;
      }
      if (description.type === 'answer' && pc.signalingState !== 'have-local-offer') {
        this.log('ignoring answer in state', pc.signalingState);
        return;
      }
      // Before setRemoteDescription: its `track` events must know which stream is the screen.
      const mark = readMark(description.sdp ?? '');
      const becameModern = !!mark && !this.modern;
      this.modern ||= !!mark;
      this.remoteScreenId = mark?.screen ?? null;
      // A Convos 4.x peer's SDP lost lines on the way (lib/legacy.ts): put back what we can.
      if (!mark && description.sdp) {
        const ours = description.type === 'answer' ? (pc.localDescription?.sdp ?? null) : null;
        description.sdp = repairLegacySdp(description.sdp, ours);
      }
      // Polite and colliding: setRemoteDescription rolls our offer back implicitly.
      await pc.setRemoteDescription(description);
      if (this.screenStream && this.screenStream.id !== this.remoteScreenId) {
        this.screenStream = null;
        this.changed();
      }
      if (becameModern) this.opts.onModern?.(this);
      await this.flushIce();
      if (description.type === 'offer') {
        this.addLocalMedia();
        this.makingOffer = false;
        await pc.setLocalDescription();
        await this.sendLocal();
      }
      this.armConnectTimer();
      return;
    }
    if (s.ice) {
      const idx = s.sdpMLineIndex;
      const cand: RTCIceCandidateInit = {
        candidate: s.ice,
        sdpMid: s.sdpMid ?? null,
        sdpMLineIndex: idx === null || idx === undefined || idx === '' ? null : Number(idx),
      };
      if (!pc.remoteDescription) {
        this.pendingIce.push(cand);
        return;
      }
      try {
        await pc.addIceCandidate(cand);
      } catch (e) {
        if (!this.ignoreOffer) this.log('addIceCandidate failed', e);
      }
    }
  }

  private async flushIce(): Promise<void> {
    const list = this.pendingIce;
    this.pendingIce = [];
    for (const c of list) {
      try {
        await this.pc.addIceCandidate(c);
      } catch (e) {
        this.log('queued candidate failed', e);
      }
    }
  }

  /** Candidates queued until a remote description is set (for tests). */
  get queuedIce(): number {
    return this.pendingIce.length;
  }

  private armConnectTimer(): void {
    if (this.state === 'connected' || this.connectTimer) return;
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      if (this.state !== 'connected' && this.state !== 'closed') this.iceFailed();
    }, this.opts.connectMs ?? 15_000);
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private iceStateChanged(): void {
    if (this.state === 'closed') return;
    const ice = this.pc.iceConnectionState;
    const conn = this.pc.connectionState;
    if (ice === 'connected' || ice === 'completed' || conn === 'connected') {
      this.clearConnectTimer();
      this.restarts = 0;
      this.problem = '';
      this.state = 'connected';
    } else if (ice === 'failed' || conn === 'failed') {
      this.iceFailed();
      return;
    } else if (ice === 'disconnected' && this.state === 'connected') {
      this.state = 'reconnecting';
    }
    this.changed();
  }

  private iceFailed(): void {
    this.clearConnectTimer();
    if (this.state === 'failed' || this.state === 'closed') return;
    if (this.restarts < 1) {
      this.restarts++;
      this.state = 'reconnecting';
      this.log('ICE failed: restarting');
      this.changed();
      // Only the impolite side offers a restart at once; the polite side waits a little
      // for it, so both do not spend IRC lines on colliding offers.
      const restart = () => {
        if (this.state === 'reconnecting') this.pc.restartIce();
      };
      if (this.polite) setTimeout(restart, 3000);
      else restart();
      this.armConnectTimer();
      return;
    }
    this.state = 'failed';
    const turn = [...this.turnErrors];
    this.problem =
      `Could not connect to ${this.nick} — a TURN server may be needed.` + (turn.length ? ` (${turn.join(' ')})` : '');
    this.opts.onProblem?.(this, this.problem);
    this.changed();
  }

  private candidateError(ev: RTCPeerConnectionIceErrorEvent): void {
    const url = ev.url ?? '';
    if (!/^turns?:/.test(url)) return;
    let msg = '';
    if (ev.errorCode === 401) msg = `The TURN server ${url} rejected the credentials.`;
    else if (ev.errorCode === 701) msg = `The TURN server ${url} could not be reached.`;
    else msg = `The TURN server ${url} answered ${ev.errorCode} ${ev.errorText ?? ''}.`.replace(' .', '.');
    if (this.turnErrors.has(msg)) return;
    this.turnErrors.add(msg);
    if (ev.errorCode === 401) this.opts.onProblem?.(this, msg);
  }

  /** Closes for good. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearConnectTimer();
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.oniceconnectionstatechange = null;
    this.pc.onconnectionstatechange = null;
    this.pc.ontrack = null;
    this.pc.onicecandidateerror = null;
    this.pc.close();
    this.changed();
  }
}

/** IRC casefolding (rfc1459: also `[]\~` ↔ `{}|^`). */
export function foldNick(nick: string, mapping = 'rfc1459'): string {
  let s = nick.toLowerCase();
  if (mapping !== 'ascii') s = s.replace(/\[/g, '{').replace(/\]/g, '}').replace(/\\/g, '|');
  if (mapping === 'rfc1459') s = s.replace(/~/g, '^');
  return s;
}

/** Perfect negotiation roles: the smaller casefolded nick is impolite (D13). */
export function isPolite(me: string, them: string): boolean {
  return foldNick(me) > foldNick(them);
}
