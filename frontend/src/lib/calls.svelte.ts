//! Video/voice calls (issue 8, docs/rtcz.md §1): the call this tab is in, who is calling in each
//! conversation, and one `Peer` per remote participant (full mesh).
//!
//! Flow: `start()` opens the camera/microphone and sends `call`. Someone in the call who
//! receives our `call` offers to us; we answer (newcomers never offer). A `call` from
//! someone while we are in the call makes us offer to them. `hangup` from someone closes
//! only our connection to them. Signals are handled only by the tab that is in the call
//! (D9); other tabs of the same browser learn about it over a BroadcastChannel.
//! Types and the browser environment: callenv.ts; what the server says: callevents.ts;
//! the peer connections: callpeers.ts; screen sharing and devices: callmedia.ts; levels,
//! quality and the camera limit: callwatch.ts.

import { type ActiveCall, browserEnv, type CallEnv, type MediaMode, mediaErrorMessage, type Room, type RtcConfig } from './callenv';
import * as events from './callevents';
import * as media from './callmedia';
import { CallWatch } from './callwatch';
import { chat } from './chat.svelte';
import { constraintFor, type DeviceChoice, type DeviceInfo, type DeviceKind, loadChoice } from './devices';
import { convKey } from './messages.svelte';
import type { Peer, PcLike, PeerState } from './peer';
import type { Event } from './types';

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

  /** By folded nick (lib/callpeers.ts, lib/callmedia.ts use these too). */
  readonly peers = new Map<string, Peer>();
  readonly audios = new Map<string, HTMLAudioElement>();
  /** Levels, the active speaker, quality and the camera limit (lib/callwatch.ts). */
  readonly watch: CallWatch;
  private channel: BroadcastChannel | null = null;
  private rejoinTimer: ReturnType<typeof setTimeout> | null = null;
  env: CallEnv;

  constructor(env: CallEnv) {
    this.env = env;
    this.watch = new CallWatch(this, () => this.env.now());
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

  /** The peer connections' configuration, from the server's ICE servers. */
  config(): RTCConfiguration {
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

  roomFor(cid: string, conversation: string): Room {
    const key = convKey(cid, conversation);
    this.rooms[key] ??= { nicks: [], ringingUntil: 0, note: '' };
    return this.rooms[key] as Room;
  }

  /** Rings in `room` for a minute; `ringing()` is read again when it runs out. */
  ring(room: Room): void {
    room.ringingUntil = this.env.now() + RING_MS;
    setTimeout(() => this.tick++, RING_MS + 50);
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
    this.watch.ensureAudio();
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

  /** The IRC connection came back: sends `call` again in a moment (once the channel is
   *  joined again), so the call re-forms. */
  rejoinSoon(call: ActiveCall): void {
    if (this.rejoinTimer) clearTimeout(this.rejoinTimer);
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = null;
      if (this.call === call && call.phase === 'paused') void this.join();
    }, this.env.rejoinDelayMs ?? 3000);
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
    call.local?.getTracks().forEach((t) => t.stop());
    call.screen?.getTracks().forEach((t) => t.stop());
    this.watch.stop();
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

  /** Every WebSocket event (ChatStore listener): lib/callevents.ts. */
  onFrame(f: Event): void {
    if (f.event === 'rtc') events.onRtc(this, f);
    else if (f.event === 'state') events.onState(this, f);
  }

  log(line: string): void {
    const c = this.call;
    if (!c) return;
    c.log = [...c.log.slice(-19), line];
  }

  /** Measures how loud `stream` is (lib/callwatch.ts). */
  meter(id: string, stream: MediaStream): void {
    this.watch.meter(id, stream);
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
