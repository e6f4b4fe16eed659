//! A conversation's notification choices (`notify`: level, mute, sound), as the server
//! keeps them (src/notify.rs): what notifies, when a mute ends, and the mute choices the
//! menu offers. Pure.

import type { Notify } from './types';

/** `mute_until` for "forever" (the server's FOREVER_MS). */
export const FOREVER = 253_402_300_799_000;

export function defaultNotify(): Notify {
  return { level: 'mentions', mute_until: null, sound: true };
}

export function muted(n: Notify | undefined, now = Date.now()): boolean {
  return !!n && n.mute_until !== null && n.mute_until > now;
}

/** Whether a message notifies (desktop notification), as for a push. */
export function wants(n: Notify | undefined, highlight: boolean, isPrivate: boolean, now = Date.now()): boolean {
  const c = n ?? defaultNotify();
  if (muted(c, now)) return false;
  if (c.level === 'all') return true;
  if (c.level === 'none') return false;
  return highlight || isPrivate;
}

/** The unread count is grey: nothing from this conversation notifies right now. */
export function quietBadge(n: Notify | undefined, now = Date.now()): boolean {
  return muted(n, now) || n?.level === 'none';
}

export type MuteChoice = '1h' | '8h' | 'tomorrow' | 'forever';

/** When a mute chosen at `now` ends: "tomorrow" is 08:00 local time the next day. */
export function muteUntil(choice: MuteChoice, now = new Date()): number {
  switch (choice) {
    case '1h':
      return now.getTime() + 3_600_000;
    case '8h':
      return now.getTime() + 8 * 3_600_000;
    case 'tomorrow': {
      const t = new Date(now);
      t.setDate(t.getDate() + 1);
      t.setHours(8, 0, 0, 0);
      return t.getTime();
    }
    case 'forever':
      return FOREVER;
  }
}

/** "Muted until 14:30", "Muted until tomorrow 08:00", "Muted". */
export function mutedLabel(n: Notify | undefined, now = new Date()): string {
  if (!n || n.mute_until === null || n.mute_until <= now.getTime()) return '';
  if (n.mute_until >= FOREVER) return 'Muted';
  const end = new Date(n.mute_until);
  const time = end.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return end.toDateString() === now.toDateString() ? `Muted until ${time}` : `Muted until ${end.toLocaleDateString()} ${time}`;
}
