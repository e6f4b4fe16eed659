//! Video/voice calls (issue 8, docs/rtcz.md §1): the call this tab is in, who is calling in each
//! conversation, and one `Peer` per remote participant (full mesh).
//!
//! Flow: `start()` opens the camera/microphone and sends `call`. Someone in the call who
//! receives our `call` offers to us; we answer (newcomers never offer). A `call` from
//! someone while we are in the call makes us offer to them. `hangup` from someone closes
//! only our connection to them. Signals are handled only by the tab that is in the call
//! (D9); other tabs of the same browser learn about it over a BroadcastChannel.
//! Types and the browser environment: callenv.ts; screen sharing and devices: callmedia.ts.

import { type ActiveCall, browserEnv, type CallEnv, type MediaMode, mediaErrorMessage, type Room, type RtcConfig } from './callenv';
import * as media from './callmedia';
import { chat } from './chat.svelte';
import { inboundPackets, MediaWatch } from './mediawatch';
import { constraintFor, type DeviceChoice, type DeviceInfo, type DeviceKind, loadChoice } from './devices';
import { convKey } from './messages.svelte';
import { foldNick, isPolite, Peer, type PcLike, type PeerState, type SignalIn, type SignalOut } from './peer';
import { adapt, describe as describeQuality, QualityWatch } from './quality';
import { SpeakerPicker } from './speaker';
import type { Event, State } from './types';

export type { ActiveCall, CallEnv, MediaMode, Room, RtcConfig, Tile } from './callenv';

const RING_MS = 60_000;

export class CallStore {
  call = $state<ActiveCall | null>(null);
  rooms = $state<Record<string, Room>>({});
  /** Bumped when a ring runs out, so `ringing()` is re-read. */
  private tick = $state(0);
  /** A call this user has in another tab of this browser (D9). */
  elsewhere = $state<{ cid: string; conversation: string } | null>(null);
  /** The server's ICE configuration (`user.rtc`). */
  get rtc(): RtcConfig | null {
    return this.env.rtc();
  }
  secure = typeof window !== 'undefined' ? window.isSecureContext : true;
  /** Microphones, cameras and speakers the browser offers (labels once media is allowed). */
  devices = $state<DeviceInfo[]>([]);
  /** The chosen devices, remembered per browser. */
  choice = $state<DeviceChoice>({});
  private startPreview = false;
  /** Send SDPs without our mark, as a Convos 4.08 browser does (tests, diagnostics). */
  legacySdp = false;

  /** By folded nick (lib/callmedia.ts uses these too). */
  readonly peers = new Map<string, Peer>();
  readonly audios = new Map<string, HTMLAudioElement>();
  private ctx: AudioContext | null = null;
  private meters = new Map<string, () => number>();
  private meterTimer: ReturnType<typeof setInterval> | null = null;
  private watches = new Map<string, MediaWatch>();
  private speakers = new SpeakerPicker();
  private qualities = new Map<string, QualityWatch>();
  private watchTimer: ReturnType<typeof setInterval> | null = null;
  private channel: BroadcastChannel | null = null;
  private rejoinTimer: ReturnType<typeof setTimeout> | null = null;
  env: CallEnv;

  constructor(env: CallEnv) {
    this.env = env;
    this.choice = loadChoice(env.storage);
    env.onDeviceChange?.(() => void this.refreshDevices());
    if (typeof BroadcastChannel !== 'undefined') {
      try {
        this.channel = new BroadcastChannel('convos-calls');
        this.channel.onmessage = (ev) => this.fromOtherTab(ev.data);
        this.channel.postMessage({ type: 'who' });
      } catch {
        this.channel = null;
      }
    }
  }

  /** Why calls cannot be made here, or "" when they can. */
  get unavailable(): string {
    if (!this.secure)
      return 'Video calls need a secure page: open Convos over https (or on localhost) to use the camera and microphone.';
    if (!this.rtc?.ice_servers?.length)
      return 'Video calls are not set up on this server: the administrator must configure a STUN or TURN server (CONVOS_STUN / CONVOS_TURN).';
    return '';
  }

  get enabled(): boolean {
    return this.unavailable === '';
  }

  private config(): RTCConfiguration {
    const c: RTCConfiguration = { iceServers: this.rtc?.ice_servers ?? [] };
    if (this.rtc?.ice_transport_policy === 'relay') c.iceTransportPolicy = 'relay';
    return c;
  }

  isIn(cid: string, conversation: string): boolean {
    const c = this.call;
    return !!c && convKey(c.cid, c.conversation) === convKey(cid, conversation);
  }

  room(cid: string, conversation: string): Room | undefined {
    return this.rooms[convKey(cid, conversation)];
  }

  ringing(cid: string, conversation: string): boolean {
    void this.tick;
    const r = this.room(cid, conversation);
    return !!r && r.nicks.length > 0 && r.ringingUntil > this.env.now() && !this.isIn(cid, conversation);
  }

  private roomFor(cid: string, conversation: string): Room {
    const key = convKey(cid, conversation);
    this.rooms[key] ??= { nicks: [], ringingUntil: 0, note: '' };
    return this.rooms[key] as Room;
  }

  // ---- actions ----------------------------------------------------------------------

  /** Whether the speaker can be chosen (`setSinkId`). */
  get canPickSpeaker(): boolean {
    return !!this.env.setSinkId;
  }

  /**
   * Starts or joins the call in a conversation: opens media, then sends `call`. With
   * `preview`, stops before sending: the user checks the picture and the microphone level,
   * picks devices, then `joinNow()`.
   */
  async start(cid: string, conversation: string, mode: MediaMode = 'av', opts: { preview?: boolean } = {}): Promise<void> {
    if (this.call && !this.isIn(cid, conversation)) await this.hangup();
    if (this.call && this.call.phase !== 'media-error' && this.call.phase !== 'error') return;
    this.startPreview = !!opts.preview && mode !== 'listen';
    const name = this.env.conversationName(cid, conversation);
    this.call = {
      cid,
      conversation: conversation.toLowerCase(),
      name,
      phase: 'media',
      mode,
      error: '',
      local: null,
      micOn: mode !== 'listen',
      camOn: mode === 'av',
      localLevel: 0,
      speaker: '',
      screen: null,
      tiles: [],
      log: [],
    };
    const call = this.call;
    this.ensureAudio();
    await this.env.refreshRtc?.().catch(() => {});
    let local: MediaStream | null = null;
    if (mode !== 'listen') {
      try {
        const audio = constraintFor(this.choice.audioinput);
        local = await this.env.getUserMedia({ audio, video: mode === 'av' ? constraintFor(this.choice.videoinput) : false });
      } catch (e) {
        if (this.call !== call) return;
        call.phase = 'media-error';
        call.error = mediaErrorMessage(e, mode);
        return;
      }
    }
    if (this.call !== call) {
      local?.getTracks().forEach((t) => t.stop());
      return;
    }
    call.local = local;
    if (local) {
      this.meter('local', local);
      for (const t of local.getTracks()) media.watchEnded(this, t);
      await this.refreshDevices();
      if (this.call !== call) return;
    }
    if (this.startPreview) {
      call.phase = 'preview';
      return;
    }
    await this.join();
  }

  /** Leaves the preview: sends `call`. */
  async joinNow(): Promise<void> {
    if (this.call?.phase === 'preview') await this.join();
  }

  /** Sends `call` for the current call (also after the IRC connection came back). */
  private async join(): Promise<void> {
    const call = this.call;
    if (!call) return;
    call.phase = 'joining';
    call.error = '';
    const room = this.roomFor(call.cid, call.conversation);
    room.ringingUntil = 0;
    try {
      await this.env.request({ method: 'rtc', event: 'call', connection_id: call.cid, conversation_id: call.conversation });
      if (this.call !== call) return;
      call.phase = 'active';
      this.channel?.postMessage({ type: 'in-call', cid: call.cid, conversation: call.conversation });
    } catch (e) {
      if (this.call !== call) return;
      call.phase = this.env.connectionState(call.cid) === 'connected' ? 'error' : 'paused';
      call.error = `Could not start the call: ${(e as Error).message}`;
    }
  }

  /** Retries after an error (e.g. "Not connected."). */
  retry(): void {
    const c = this.call;
    if (!c) return;
    if (c.phase === 'media-error') void this.start(c.cid, c.conversation, c.mode, { preview: this.startPreview });
    else void this.join();
  }

  /** Leaves the call: tells the others, closes every peer, stops our tracks. */
  async hangup(): Promise<void> {
    const call = this.call;
    if (!call) return;
    this.call = null;
    if (this.rejoinTimer) clearTimeout(this.rejoinTimer);
    this.rejoinTimer = null;
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
    for (const a of this.audios.values()) {
      a.pause();
      a.srcObject = null;
    }
    this.audios.clear();
    this.meters.clear();
    call.local?.getTracks().forEach((t) => t.stop());
    call.screen?.getTracks().forEach((t) => t.stop());
    if (this.meterTimer) clearInterval(this.meterTimer);
    this.meterTimer = null;
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = null;
    this.watches.clear();
    this.qualities.clear();
    void this.ctx?.close().catch(() => {});
    this.ctx = null;
    this.channel?.postMessage({ type: 'left', cid: call.cid, conversation: call.conversation });
    if (call.phase === 'media' || call.phase === 'media-error' || call.phase === 'preview') return;
    try {
      await this.env.request({ method: 'rtc', event: 'hangup', connection_id: call.cid, conversation_id: call.conversation });
    } catch {
      // Not connected: the others notice when they stop receiving media.
    }
  }

  /** Mute/unmute; after a listen-only join, opens the microphone and sends it. */
  async toggleMic(): Promise<void> {
    const c = this.call;
    if (!c) return;
    const audio = c.local?.getAudioTracks() ?? [];
    if (!audio.length) {
      if (await this.addLocal(c, 'audio')) c.micOn = true;
      return;
    }
    c.micOn = !c.micOn;
    for (const t of audio) t.enabled = c.micOn;
    for (const p of this.peers.values()) void p.setSending('audio', c.micOn ? (audio[0] ?? null) : null);
  }

  /** Camera off/on; after an audio-only or listen-only join, opens the camera and sends it. */
  async toggleCam(): Promise<void> {
    const c = this.call;
    if (!c) return;
    const video = c.local?.getVideoTracks() ?? [];
    if (!video.length) {
      if (await this.addLocal(c, 'video')) c.camOn = true;
      return;
    }
    c.camOn = !c.camOn;
    for (const t of video) t.enabled = c.camOn;
    for (const p of this.peers.values()) void p.setSending('video', c.camOn ? (video[0] ?? null) : null);
  }

  /** Opens the microphone or camera during call `c` and sends it to every peer. */
  private async addLocal(c: ActiveCall, kind: 'audio' | 'video'): Promise<boolean> {
    let track: MediaStreamTrack | undefined;
    try {
      const s = await this.env.getUserMedia(kind === 'audio' ? { audio: true, video: false } : { audio: false, video: true });
      track = kind === 'audio' ? s.getAudioTracks()[0] : s.getVideoTracks()[0];
    } catch (e) {
      if (this.call === c) c.error = mediaErrorMessage(e, kind === 'audio' ? 'mic' : 'video');
      return false;
    }
    if (!track) return false;
    if (this.call !== c) {
      track.stop();
      return false;
    }
    // A new stream object, so the views see the change; peers made from now on send it too.
    const tracks = [...(c.local?.getTracks() ?? []), track];
    const local = this.env.makeStream ? this.env.makeStream(tracks) : new MediaStream(tracks);
    c.local = local;
    c.error = '';
    if (kind === 'audio') this.meter('local', local);
    for (const p of this.peers.values()) void p.sendTrack(track, local);
    return true;
  }

  /** Stops ringing (the user pressed Ignore). */
  ignore(cid: string, conversation: string): void {
    const r = this.room(cid, conversation);
    if (r) r.ringingUntil = 0;
  }

  // ---- screen sharing and devices (lib/callmedia.ts) --------------------------------

  get canShare(): boolean {
    return !!this.env.getDisplayMedia;
  }

  /** Starts or stops sharing the screen (an extra video track: the camera stays). */
  toggleShare(): Promise<void> {
    return media.toggleShare(this);
  }

  stopShare(): void {
    media.stopShare(this);
  }

  /** Reads the device list again and falls back from devices that went away. */
  refreshDevices(): Promise<void> {
    return media.refreshDevices(this);
  }

  /** Picks a device (remembered); in a preview or a call, switches to it at once. */
  setDevice(kind: DeviceKind, id: string): Promise<boolean> {
    return media.setDevice(this, kind, id);
  }

  // ---- events -----------------------------------------------------------------------

  /** Every WebSocket event (ChatStore listener). */
  onFrame(f: Event): void {
    if (f.event === 'rtc') this.onRtc(f);
    else if (f.event === 'state') this.onState(f);
  }

  private onRtc(f: Extract<Event, { event: 'rtc' }>): void {
    const cid = f.connection_id;
    const conversation = f.conversation_id.toLowerCase();
    const from = f.from;
    if (!cid || !conversation || !from) return;
    if (foldNick(from) === foldNick(this.env.myNick(cid))) return; // our own echo
    const phase = this.call?.phase;
    const inCall = this.isIn(cid, conversation) && phase !== 'media' && phase !== 'media-error' && phase !== 'preview';
    const ts = Date.parse(f.ts);
    const stale = !Number.isNaN(ts) && this.env.now() - ts > 120_000;
    switch (f.type) {
      case 'call': {
        const room = this.roomFor(cid, conversation);
        if (!room.nicks.some((n) => foldNick(n) === foldNick(from))) room.nicks.push(from);
        if (inCall) {
          if (stale) return;
          // They (re)joined: replace any old connection and offer to them.
          this.closePeer(from);
          this.addPeer(from, 'caller');
          this.log(`${from} joined the call.`);
          return;
        }
        if (stale) return;
        const elsewhere = this.elsewhere && convKey(this.elsewhere.cid, this.elsewhere.conversation) === convKey(cid, conversation);
        room.note = `${from} is calling.`;
        if (!elsewhere) {
          room.ringingUntil = this.env.now() + RING_MS;
          setTimeout(() => this.tick++, RING_MS + 50);
          const where = this.env.isPrivate(cid, conversation) ? '' : ` in ${this.env.conversationName(cid, conversation)}`;
          this.env.notify(`${from} is calling${where}`, 'Open the conversation to join the call.', () => this.env.open(cid, conversation));
        }
        return;
      }
      case 'hangup': {
        const room = this.roomFor(cid, conversation);
        room.nicks = room.nicks.filter((n) => foldNick(n) !== foldNick(from));
        if (room.nicks.length === 0) room.ringingUntil = 0;
        if (inCall) {
          if (this.closePeer(from)) this.log(`${from} left the call.`);
        } else {
          room.note = room.nicks.length ? `${from} left the call.` : `${from} ended the call.`;
        }
        return;
      }
      case 'signal': {
        if (!inCall || stale) return; // D9: only the tab in the call answers
        let peer = this.findPeer(from);
        const s: SignalIn =
          'offer' in f
            ? { offer: f.offer }
            : 'answer' in f
              ? { answer: f.answer }
              : { ice: f.ice, sdpMid: f.sdpMid, sdpMLineIndex: f.sdpMLineIndex };
        if (!peer) {
          if (!s.offer && !s.ice) return;
          peer = this.addPeer(from, 'callee');
          const room = this.roomFor(cid, conversation);
          if (!room.nicks.some((n) => foldNick(n) === foldNick(from))) room.nicks.push(from);
        }
        void peer.signal(s);
        return;
      }
    }
  }

  private onState(f: State): void {
    if (f.type === 'error' || f.type === 'prefs') return;
    const cid = f.connection_id;
    const call = this.call;
    switch (f.type) {
      case 'connection': {
        if (!call || call.cid !== cid) return;
        if (f.state !== 'connected') {
          if (call.phase === 'active' || call.phase === 'joining') {
            call.phase = 'paused';
            call.error = 'The IRC connection was lost: the call is paused until it comes back.';
          }
        } else if (call.phase === 'paused') {
          // Back: tell everyone again, so the call re-forms (after the channel is re-joined).
          if (this.rejoinTimer) clearTimeout(this.rejoinTimer);
          this.rejoinTimer = setTimeout(() => {
            this.rejoinTimer = null;
            if (this.call === call && call.phase === 'paused') void this.join();
          }, this.env.rejoinDelayMs ?? 3000);
        }
        return;
      }
      case 'part':
      case 'kick':
        this.gone(cid, f.conversation_id.toLowerCase(), f.nick);
        return;
      case 'quit': {
        const nick = f.nick;
        for (const key of Object.keys(this.rooms)) {
          if (key.startsWith(cid + '\n')) this.gone(cid, key.slice(cid.length + 1), nick);
        }
        if (call && call.cid === cid) this.gone(cid, call.conversation, nick);
        return;
      }
      case 'nick_change': {
        const old = foldNick(f.old_nick);
        const next = f.new_nick;
        for (const [key, r] of Object.entries(this.rooms)) {
          if (key.startsWith(cid + '\n')) r.nicks = r.nicks.map((n) => (foldNick(n) === old ? next : n));
        }
        if (call && call.cid === cid) {
          const p = this.findPeer(old);
          if (p) {
            this.peers.delete(foldNick(p.nick));
            p.nick = next;
            this.peers.set(foldNick(next), p);
            this.sync(p);
          }
        }
        return;
      }
    }
  }

  /** Someone left the conversation (PART/QUIT): they are out of its call. */
  private gone(cid: string, conversation: string, nick: string): void {
    if (!nick) return;
    const r = this.room(cid, conversation);
    if (r) {
      r.nicks = r.nicks.filter((n) => foldNick(n) !== foldNick(nick));
      if (!r.nicks.length) r.ringingUntil = 0;
    }
    if (this.isIn(cid, conversation) && this.closePeer(nick)) this.log(`${nick} left the conversation.`);
  }

  // ---- peers ------------------------------------------------------------------------

  private findPeer(nick: string): Peer | undefined {
    return this.peers.get(foldNick(nick));
  }

  private addPeer(nick: string, role: 'caller' | 'callee'): Peer {
    const call = this.call as ActiveCall;
    const me = this.env.myNick(call.cid);
    const peer: Peer = new Peer({
      nick,
      role,
      polite: isPolite(me, nick),
      stream: call.local,
      createPc: () => this.env.createPc(this.config()),
      send: (s): Promise<void> => this.sendSignal(call, peer.nick, s),
      onChange: (p) => this.sync(p),
      onTrack: (p, stream) => this.playRemote(p, stream),
      onProblem: (p, msg) => this.log(msg),
      mark: () => (this.legacySdp ? null : { screen: this.call?.screen?.id ?? null }),
      onModern: (p) => {
        if (this.call === call && call.screen) p.addShare(call.screen);
      },
      gatherMs: this.env.gatherMs,
      connectMs: this.env.connectMs,
      log: (...a) => console.debug('[call]', ...a),
    });
    this.peers.set(foldNick(nick), peer);
    call.tiles.push({
      id: peer.id,
      nick,
      state: peer.state,
      problem: '',
      stream: null,
      level: 0,
      hasVideo: false,
      micOff: false,
      camOff: false,
      screen: null,
      quality: 'unknown',
      qualityText: 'Measuring the connection',
    });
    this.watches.set(peer.id, new MediaWatch());
    this.watchTimer ??= setInterval(() => void this.readMedia(), 1000);
    return peer;
  }

  private async sendSignal(call: ActiveCall, target: string, s: SignalOut): Promise<void> {
    if (this.call !== call) return;
    try {
      await this.env.request({
        method: 'rtc',
        event: 'signal',
        connection_id: call.cid,
        conversation_id: call.conversation,
        target,
        ...s,
      });
    } catch (e) {
      this.log(`Could not reach ${target}: ${(e as Error).message}`);
    }
  }

  /** Closes the connection to a nick; true if there was one. */
  private closePeer(nick: string): boolean {
    const p = this.findPeer(nick);
    if (!p) return false;
    this.peers.delete(foldNick(nick));
    p.close();
    for (const key of [p.id, `${p.id}:screen`]) {
      const a = this.audios.get(key);
      if (a) {
        a.pause();
        a.srcObject = null;
      }
      this.audios.delete(key);
    }
    this.meters.delete(p.id);
    this.watches.delete(p.id);
    this.qualities.delete(p.id);
    if (this.call) this.call.tiles = this.call.tiles.filter((t) => t.id !== p.id);
    return true;
  }

  private sync(p: Peer): void {
    const t = this.call?.tiles.find((x) => x.id === p.id);
    if (!t) return;
    t.nick = p.nick;
    t.state = p.state;
    t.problem = p.problem;
    t.stream = p.remoteStream;
    t.hasVideo = !!p.remoteStream?.getVideoTracks().length;
    if (t.screen !== p.screenStream) t.screen = p.screenStream;
  }

  log(line: string): void {
    const c = this.call;
    if (!c) return;
    c.log = [...c.log.slice(-19), line];
  }

  private playRemote(p: Peer, stream: MediaStream): void {
    this.sync(p);
    if (!stream.getAudioTracks().length || typeof Audio === 'undefined') return;
    // A shared tab's sound plays beside their voice.
    const key = stream === p.screenStream ? `${p.id}:screen` : p.id;
    let a = this.audios.get(key);
    if (!a) {
      a = new Audio();
      a.autoplay = true;
      this.audios.set(key, a);
    }
    if (a.srcObject !== stream) {
      if (this.choice.audiooutput) void this.env.setSinkId?.(a, this.choice.audiooutput).catch(() => {});
      a.srcObject = stream;
      void a.play()?.catch(() => {});
    }
    if (key === p.id) this.meter(p.id, stream);
  }

  // ---- speaking indicator -----------------------------------------------------------

  private ensureAudio(): void {
    if (this.ctx || typeof AudioContext === 'undefined') return;
    try {
      this.ctx = new AudioContext();
      void this.ctx.resume().catch(() => {});
    } catch {
      this.ctx = null;
    }
  }

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

  /** Who sends what: each connected peer's inbound packet counts, once a second. */
  private async readMedia(): Promise<void> {
    const c = this.call;
    if (!c) return;
    const now = this.env.now();
    for (const p of this.peers.values()) {
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
      void p.limitVideo(adapt(p.videoLimit, this.peers.size, q.loss));
      const micOff = w.sample('audio', got.audio, now);
      const camOff = w.sample('video', got.video, now);
      if (t.micOff !== micOff) t.micOff = micOff;
      if (t.camOff !== camOff) t.camOff = camOff;
    }
  }

  private readMeters(): void {
    const c = this.call;
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

  // ---- other tabs (D9) --------------------------------------------------------------

  private fromOtherTab(m: { type?: string; cid?: string; conversation?: string }): void {
    if (m.type === 'who' && this.call && !['media', 'media-error', 'preview'].includes(this.call.phase)) {
      this.channel?.postMessage({ type: 'in-call', cid: this.call.cid, conversation: this.call.conversation });
    } else if (m.type === 'in-call' && m.cid && m.conversation) {
      this.elsewhere = { cid: m.cid, conversation: m.conversation };
      const r = this.room(m.cid, m.conversation);
      if (r) r.ringingUntil = 0;
    } else if (m.type === 'left') {
      this.elsewhere = null;
    }
  }

  /** For tests and diagnostics: the live peer connections. */
  peerList(): {
    nick: string;
    id: string;
    state: PeerState;
    pc: PcLike;
    polite: boolean;
    sent: Peer['sent'];
    modern: boolean;
    sharing: boolean;
    screen: MediaStream | null;
  }[] {
    return [...this.peers.values()].map((p) => ({
      nick: p.nick,
      id: p.id,
      state: p.state,
      pc: p.pc,
      polite: p.polite,
      sent: p.sent,
      modern: p.modern,
      sharing: p.sharing,
      screen: p.screenStream,
    }));
  }
}

export const calls = new CallStore(browserEnv());
chat.listeners.add((f) => calls.onFrame(f));

if (typeof window !== 'undefined') {
  (window as unknown as { __convosCalls: unknown }).__convosCalls = calls;
  window.addEventListener('pagehide', () => void calls.hangup());
}
