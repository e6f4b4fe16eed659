//! Microphone, camera and speaker choice for calls (issue 25): what the browser offers
//! (`enumerateDevices`), what this browser chose last time (localStorage), the
//! `getUserMedia` constraints for a choice, and which choices have gone missing after a
//! device was unplugged. Pure: the call store (calls.svelte.ts) does the switching.

export type DeviceKind = 'audioinput' | 'videoinput' | 'audiooutput';

export interface DeviceInfo {
  deviceId: string;
  kind: DeviceKind;
  label: string;
}

/** The chosen device id per kind; missing or '' = the browser's default. */
export type DeviceChoice = Partial<Record<DeviceKind, string>>;

export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const STORAGE_KEY = 'convos.call.devices';

const KINDS: DeviceKind[] = ['audioinput', 'videoinput', 'audiooutput'];

/** The remembered choice; anything malformed is ignored. */
export function loadChoice(storage: KeyValue | null | undefined): DeviceChoice {
  const out: DeviceChoice = {};
  try {
    const raw = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}') as Record<string, unknown>;
    for (const k of KINDS) {
      const v = raw?.[k];
      if (typeof v === 'string' && v.length <= 512) out[k] = v;
    }
  } catch {
    // A broken entry: start from the defaults.
  }
  return out;
}

export function saveChoice(storage: KeyValue | null | undefined, choice: DeviceChoice): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(choice));
  } catch {
    // Private mode or full storage: the choice lasts for this page only.
  }
}

/** Keeps the kinds we know, drops entries without an id (no permission yet). */
export function normalize(list: readonly { deviceId: string; kind: string; label: string }[]): DeviceInfo[] {
  return list
    .filter((d): d is DeviceInfo => KINDS.includes(d.kind as DeviceKind))
    .map((d) => ({ deviceId: d.deviceId, kind: d.kind, label: d.label }));
}

/** The `audio`/`video` member of getUserMedia's constraints for `id`. `exact` when the
 *  user just picked it (fail loudly), `ideal` for a remembered one (fall back quietly). */
export function constraintFor(id: string | undefined, exact = false): boolean | MediaTrackConstraints {
  if (!id) return true;
  return { deviceId: exact ? { exact: id } : { ideal: id } };
}

/** What to call a device in a message or a list. */
export function deviceLabel(list: readonly DeviceInfo[], kind: DeviceKind, id: string | undefined): string {
  const what = kind === 'audioinput' ? 'microphone' : kind === 'videoinput' ? 'camera' : 'speaker';
  if (!id || id === 'default') return `the default ${what}`;
  const d = list.find((x) => x.kind === kind && x.deviceId === id);
  return d?.label ? `“${d.label}”` : `the chosen ${what}`;
}

/** Whether `id` of `kind` is still in the list. Without permission the browser lists no ids,
 *  and then nothing counts as gone. */
export function present(list: readonly DeviceInfo[], kind: DeviceKind, id: string | undefined): boolean {
  if (!id) return true;
  const ofKind = list.filter((d) => d.kind === kind);
  if (!ofKind.some((d) => d.deviceId)) return true;
  return ofKind.some((d) => d.deviceId === id);
}

/** The devices of one kind for a picker, each with a label even before permission. */
export function options(list: readonly DeviceInfo[], kind: DeviceKind): { id: string; label: string }[] {
  const name = kind === 'audioinput' ? 'Microphone' : kind === 'videoinput' ? 'Camera' : 'Speaker';
  return list
    .filter((d) => d.kind === kind && d.deviceId)
    .map((d, i) => ({ id: d.deviceId, label: d.label || `${name} ${i + 1}` }));
}
