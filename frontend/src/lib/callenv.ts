//! What the call store (calls.svelte.ts) is made of and needs from the world: the call's
//! shape, the injected environment (`CallEnv`: fakes in tests, the browser's in
//! `browserEnv`), and the messages for media that will not open.

import { request } from './api';
import { chat } from './chat.svelte';
import type { KeyValue } from './devices';
import type { PcLike, PeerState } from './peer';
import type { Level } from './quality';
import type { ClientRequest, Reply, RtcConfig, User } from './types';

export type MediaMode = 'av' | 'audio' | 'listen';

export type { RtcConfig };

export interface Tile {
  /** The peer connection's id (D10: never the nick). */
  id: string;
  nick: string;
  state: PeerState;
  problem: string;
  stream: MediaStream | null;
  /** 0..1 audio level from the analyser. */
  level: number;
  hasVideo: boolean;
  /** Their microphone / camera is off (no packets of it: lib/mediawatch.ts). */
  micOff: boolean;
  camOff: boolean;
  /** Their shared screen (lib/share.ts), shown large. */
  screen: MediaStream | null;
  /** The connection to them (lib/quality.ts), and its details for a tooltip. */
  quality: Level;
  qualityText: string;
}

export interface ActiveCall {
  cid: string;
  conversation: string;
  name: string;
  /** `preview`: media open, devices can be chosen, nothing sent yet. */
  phase: 'media' | 'media-error' | 'preview' | 'joining' | 'active' | 'paused' | 'error';
  mode: MediaMode;
  error: string;
  local: MediaStream | null;
  micOn: boolean;
  camOn: boolean;
  localLevel: number;
  /** The active speaker's tile id ('' before anyone spoke: lib/speaker.ts). */
  speaker: string;
  /** Our shared screen, sent to every peer that understands it (lib/share.ts). */
  screen: MediaStream | null;
  tiles: Tile[];
  /** What happened, newest last ("bob left the call."). */
  log: string[];
}

export interface Room {
  /** Nicks we saw calling and not hanging up. */
  nicks: string[];
  /** Ringing until this time (ms). */
  ringingUntil: number;
  /** The last thing that happened, shown as a line in the conversation. */
  note: string;
}

/** What the store needs from the world (fakes in tests). */
export interface CallEnv {
  request: (req: ClientRequest) => Promise<Reply>;
  getUserMedia: (c: MediaStreamConstraints) => Promise<MediaStream>;
  /** `new MediaStream(tracks)` (a fake in tests). */
  makeStream?: (tracks: MediaStreamTrack[]) => MediaStream;
  createPc: (config: RTCConfiguration) => PcLike;
  myNick: (cid: string) => string;
  connectionState: (cid: string) => string;
  conversationName: (cid: string, conversation: string) => string;
  isPrivate: (cid: string, conversation: string) => boolean;
  notify: (title: string, body: string, onClick: () => void) => void;
  open: (cid: string, conversation: string) => void;
  now: () => number;
  rtc: () => RtcConfig | null;
  /** Fetches fresh ICE credentials (TURN REST credentials expire). */
  refreshRtc?: () => Promise<void>;
  gatherMs?: number;
  connectMs?: number;
  rejoinDelayMs?: number;
  /** `navigator.mediaDevices.enumerateDevices` (absent: no device choice). */
  enumerateDevices?: () => Promise<{ deviceId: string; kind: string; label: string }[]>;
  /** Subscribes to `devicechange` (hot-plug). */
  onDeviceChange?: (fn: () => void) => void;
  /** Where the device choice is remembered (localStorage). */
  storage?: KeyValue | null;
  /** `HTMLMediaElement.setSinkId`, where the browser has it. */
  setSinkId?: (el: HTMLAudioElement, id: string) => Promise<void>;
  /** `navigator.mediaDevices.getDisplayMedia` (absent: no screen sharing). */
  getDisplayMedia?: (c: DisplayMediaStreamOptions) => Promise<MediaStream>;
}

/** Why the camera/microphone did not open; `video`/`mic`: one of them, opened during a call. */
export function mediaErrorMessage(e: unknown, mode: MediaMode | 'video' | 'mic'): string {
  const name = (e as { name?: string })?.name ?? '';
  const what = mode === 'audio' || mode === 'mic' ? 'microphone' : mode === 'video' ? 'camera' : 'camera and microphone';
  const during = mode === 'video' || mode === 'mic';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return `Access to the ${what} was denied. Allow it in the browser's site settings${during ? '' : ', or join without it'}.`;
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return `No ${what} was found.`;
  if (name === 'NotReadableError' || name === 'AbortError') return `The ${what} could not be started: another program may be using it.`;
  return `Could not open the ${what}: ${(e as Error)?.message ?? String(e)}`;
}

export function browserEnv(): CallEnv {
  return {
    request: (req) => chat.request(req),
    getUserMedia: (c) => navigator.mediaDevices.getUserMedia(c),
    createPc: (config) => new RTCPeerConnection(config) as unknown as PcLike,
    myNick: (cid) => chat.connection(cid)?.nick ?? '',
    connectionState: (cid) => chat.connection(cid)?.state ?? 'disconnected',
    conversationName: (cid, conv) => chat.conversation(cid, conv)?.name ?? conv,
    isPrivate: (cid, conv) => chat.conversation(cid, conv)?.is_private ?? !/^[#&!+]/.test(conv),
    notify: (title, body, onClick) => chat.notifier?.show(title, body, onClick),
    open: (cid, conv) => chat.onOpen(cid, conv),
    now: () => Date.now(),
    rtc: () => chat.user?.rtc ?? null,
    enumerateDevices: () => navigator.mediaDevices.enumerateDevices(),
    onDeviceChange: (fn) => {
      if (typeof navigator !== 'undefined') navigator.mediaDevices?.addEventListener?.('devicechange', fn);
    },
    storage: typeof localStorage !== 'undefined' ? localStorage : null,
    setSinkId:
      typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype
        ? (el, id) => (el as HTMLAudioElement & { setSinkId(id: string): Promise<void> }).setSinkId(id)
        : undefined,
    getDisplayMedia:
      typeof navigator !== 'undefined' && navigator.mediaDevices && 'getDisplayMedia' in navigator.mediaDevices
        ? (c) => navigator.mediaDevices.getDisplayMedia(c)
        : undefined,
    refreshRtc: async () => {
      const u = await request<User>('GET', '/api/user');
      if (chat.user && u.rtc) chat.user.rtc = u.rtc;
    },
  };
}

