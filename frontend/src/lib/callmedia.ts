//! The local side of a call (issue 25): screen sharing next to the camera, and the choice
//! and switching of microphone, camera and speaker. Functions over the call store
//! (calls.svelte.ts), which keeps the state and calls them.

import { type ActiveCall, type CallEnv, mediaErrorMessage } from './callenv';
import { constraintFor, deviceLabel, type DeviceChoice, type DeviceInfo, type DeviceKind, normalize, present, saveChoice } from './devices';
import type { Peer } from './peer';

/** What these functions need of the call store. */
export interface MediaHost {
  call: ActiveCall | null;
  env: CallEnv;
  devices: DeviceInfo[];
  choice: DeviceChoice;
  readonly peers: Map<string, Peer>;
  readonly audios: Map<string, HTMLAudioElement>;
  log(line: string): void;
  meter(id: string, stream: MediaStream): void;
}

// ---- screen sharing (lib/share.ts) --------------------------------------------------

/** Starts or stops sharing the screen (an extra video track: the camera stays). */
export async function toggleShare(h: MediaHost): Promise<void> {
  const c = h.call;
  const get = h.env.getDisplayMedia;
  if (!c || !get || c.phase === 'media' || c.phase === 'media-error' || c.phase === 'preview') return;
  if (c.screen) return stopShare(h);
  let s: MediaStream;
  try {
    // Tab audio where the browser offers it; some refuse `audio` outright.
    s = await get({ video: true, audio: true }).catch((e) => {
      if ((e as { name?: string })?.name === 'NotAllowedError') throw e;
      return get({ video: true });
    });
  } catch (e) {
    // NotAllowedError: the user closed the picker, nothing to say.
    if (h.call === c && (e as { name?: string })?.name !== 'NotAllowedError')
      c.error = `Could not share the screen: ${(e as Error)?.message ?? e}`;
    return;
  }
  if (h.call !== c || c.screen) {
    s.getTracks().forEach((t) => t.stop());
    return;
  }
  const v = s.getVideoTracks()[0];
  if (v) {
    if ('contentHint' in v) v.contentHint = 'detail';
    // "Stop sharing" in the browser's own bar ends the track.
    v.onended = () => {
      if (h.call?.screen?.id === s.id) stopShare(h);
    };
  }
  c.screen = s;
  c.error = '';
  for (const p of h.peers.values()) p.addShare(s);
  const legacy = [...h.peers.values()].filter((p) => !p.modern && p.state !== 'closed').map((p) => p.nick);
  h.log(`You are sharing your screen.${legacy.length ? ` ${legacy.join(', ')} cannot see it (older Convos).` : ''}`);
}

export function stopShare(h: MediaHost): void {
  const c = h.call;
  const s = c?.screen;
  if (!c || !s) return;
  c.screen = null;
  for (const p of h.peers.values()) p.removeShare();
  for (const t of s.getTracks()) {
    t.onended = null;
    t.stop();
  }
  h.log('You stopped sharing your screen.');
}

// ---- devices (lib/devices.ts) -------------------------------------------------------

/** Reads the device list again (after media was allowed, on hot-plug) and falls back
 *  from devices that went away. */
export async function refreshDevices(h: MediaHost): Promise<void> {
  if (!h.env.enumerateDevices) return;
  let list: DeviceInfo[];
  try {
    list = normalize(await h.env.enumerateDevices());
  } catch {
    return;
  }
  h.devices = list;
  const c = h.call;
  for (const kind of ['audioinput', 'videoinput'] as const) {
    const track = localTrack(h, kind);
    const id = track?.getSettings?.().deviceId;
    if (c && track && id && track.readyState !== 'ended' && !present(list, kind, id)) {
      void switchInput(h, kind, '', `${track.label ? `“${track.label}”` : `The ${kind === 'audioinput' ? 'microphone' : 'camera'}`} was disconnected: using ${deviceLabel(list, kind, '')}.`);
    }
  }
  const out = h.choice.audiooutput;
  if (out && !present(list, 'audiooutput', out)) {
    h.choice = { ...h.choice, audiooutput: '' };
    applySink(h);
    h.log('The chosen speaker was disconnected: playing through the default speaker.');
  }
}

function localTrack(h: MediaHost, kind: 'audioinput' | 'videoinput'): MediaStreamTrack | undefined {
  const l = h.call?.local;
  return kind === 'audioinput' ? l?.getAudioTracks()[0] : l?.getVideoTracks()[0];
}

/** A device unplugged while in use ends its track: fall back to the default one. */
export function watchEnded(h: MediaHost, t: MediaStreamTrack): void {
  const kind = t.kind === 'audio' ? 'audioinput' : 'videoinput';
  t.onended = () => {
    if (localTrack(h, kind) !== t) return;
    const what = kind === 'audioinput' ? 'microphone' : 'camera';
    void switchInput(h, kind, '', `${t.label ? `“${t.label}”` : `The ${what}`} stopped: using the default ${what}.`);
  };
}

/** Picks a device (remembered in this browser); during a preview or a call, switches to
 *  it at once, without renegotiating (`replaceTrack`). */
export async function setDevice(h: MediaHost, kind: DeviceKind, id: string): Promise<boolean> {
  const prev = h.choice;
  h.choice = { ...h.choice, [kind]: id };
  saveChoice(h.env.storage, h.choice);
  if (kind === 'audiooutput') return applySink(h);
  if (!localTrack(h, kind)) return true;
  const ok = await switchInput(h, kind, id);
  if (!ok) {
    h.choice = prev;
    saveChoice(h.env.storage, prev);
  }
  return ok;
}

/** Plays every participant through the chosen speaker. */
function applySink(h: MediaHost): boolean {
  const set = h.env.setSinkId;
  if (!set) return false;
  const id = h.choice.audiooutput || '';
  for (const a of h.audios.values()) {
    void set(a, id).catch((e) => {
      const c = h.call;
      if (c) c.error = `Could not play through ${deviceLabel(h.devices, 'audiooutput', id)}: ${(e as Error)?.message ?? e}`;
    });
  }
  return true;
}

/** Replaces the local microphone or camera track by one from device `id` ('' = the
 *  default) in every peer connection, keeping mute/camera-off as they were. */
async function switchInput(h: MediaHost, kind: 'audioinput' | 'videoinput', id: string, note = ''): Promise<boolean> {
  const c = h.call;
  const old = localTrack(h, kind);
  if (!c || !c.local || !old) return false;
  const audio = kind === 'audioinput';
  let track: MediaStreamTrack | undefined;
  try {
    const s = await h.env.getUserMedia(audio ? { audio: constraintFor(id, !!id), video: false } : { audio: false, video: constraintFor(id, !!id) });
    track = audio ? s.getAudioTracks()[0] : s.getVideoTracks()[0];
  } catch (e) {
    if (h.call === c) c.error = mediaErrorMessage(e, audio ? 'mic' : 'video');
    return false;
  }
  if (!track) return false;
  if (h.call !== c || localTrack(h, kind) !== old) {
    track.stop();
    return false;
  }
  track.enabled = old.enabled;
  const tracks = (c.local?.getTracks() ?? []).map((t) => (t === old ? track : t));
  const local = h.env.makeStream ? h.env.makeStream(tracks) : new MediaStream(tracks);
  c.local = local;
  c.error = '';
  watchEnded(h, track);
  await Promise.all([...h.peers.values()].map((p) => p.replaceLocal(old, track, local)));
  old.onended = null;
  old.stop();
  if (audio) h.meter('local', local);
  if (note) h.log(note);
  return true;
}
