// Typing notifications (https://ircv3.net/specs/client-tags/typing): who is typing where,
// and when to tell the server that we are. Plain code with an injected clock.
import type { Typing } from './types';

/** An `active` is believed this long unless repeated (the spec's 6 s). */
export const ACTIVE_MS = 6_000;
/** We repeat `active` at most this often (the spec's 3 s). */
export const REPEAT_MS = 3_000;

/** Who is typing, by conversation key then lower-cased nick: until when (ms). */
export type Typists = Record<string, Record<string, { nick: string; until: number }>>;

/** Applies a `typing` event. */
export function applyTyping(t: Typists, key: string, nick: string, state: Typing, now: number): void {
  const lower = nick.toLowerCase();
  if (state === 'active') (t[key] ??= {})[lower] = { nick, until: now + ACTIVE_MS };
  else if (t[key]) delete t[key][lower];
}

/** Someone's message arrived: they are done typing it. */
export function saidSomething(t: Typists, key: string, nick: string): void {
  if (t[key]) delete t[key][nick.toLowerCase()];
}

/** The nicks typing in a conversation right now. */
export function typingNow(t: Typists, key: string, now: number): string[] {
  return Object.values(t[key] ?? {})
    .filter((e) => e.until > now)
    .map((e) => e.nick)
    .sort((a, b) => a.localeCompare(b));
}

/** "bob is typing…", "bob and carol are typing…", "Several people are typing…". */
export function typingText(nicks: string[]): string {
  if (nicks.length === 0) return '';
  if (nicks.length === 1) return `${nicks[0]} is typing…`;
  if (nicks.length <= 3) return `${nicks.slice(0, -1).join(', ')} and ${nicks[nicks.length - 1]} are typing…`;
  return 'Several people are typing…';
}

/** Decides what to tell the server as the input's text changes. */
export class TypingSender {
  private last = new Map<string, number>();
  constructor(private send: (key: string, state: Typing) => void) {}

  /** A message was sent: it ends the typing without a `done`. */
  forget(key: string): void {
    this.last.delete(key);
  }

  /** The input of conversation `key` now holds `text`. */
  text(key: string, text: string, now: number): void {
    const last = this.last.get(key);
    const command = text.startsWith('/') && !text.startsWith('//');
    if (text.trim() === '' || command) {
      if (last !== undefined) {
        this.last.delete(key);
        this.send(key, 'done');
      }
      return;
    }
    if (last === undefined || now - last >= REPEAT_MS) {
      this.last.set(key, now);
      this.send(key, 'active');
    }
  }
}
