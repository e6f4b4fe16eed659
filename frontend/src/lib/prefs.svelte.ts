//! The user's display and input preferences. They belong to the account (`User.prefs`,
//! changed with `POST /api/user`, pushed to every open browser as a `prefs` event); a copy
//! in localStorage lets a reload start with the right font size and density before the
//! user has loaded. `isLong`, `timeOf` and `displayClasses` are pure.

import { api } from './api';
import type { Clock, Prefs } from './types';

const CACHE = 'convos.prefs';
// Per-browser choices from before preferences were kept with the account: carried over
// once into the account, then removed.
const LEGACY = { typing: 'convos.typing', paste: 'convos.pasteLines', previews: 'convos.previews', hidden: 'convos.previewsHidden' };
/** Conversations remembered with previews hidden, at most (the server's limit). */
const MAX_HIDDEN = 500;

export type { PreviewMode } from './types';

/** A line this long goes out as several IRC messages: offer a paste instead. */
export const LONG_LINE = 512;

export const DEFAULT_PREFS: Prefs = {
  membership: 'condensed',
  clock: 'auto',
  clock_seconds: false,
  nick_colors: true,
  density: 'comfortable',
  font_size: 15,
  send_typing: true,
  paste_lines: 3,
  previews: 'on',
  previews_hidden: [],
};

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Private mode: nothing cached; the account still has the choice.
  }
}

/** The cached copy, else the defaults (any field missing or of the wrong type: its default). */
export function readCached(raw: string | null): Prefs {
  let v: unknown = null;
  try {
    v = JSON.parse(raw ?? 'null');
  } catch {
    v = null;
  }
  const out: Prefs = { ...DEFAULT_PREFS, previews_hidden: [] };
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(DEFAULT_PREFS) as (keyof Prefs)[]) {
      if (typeof o[k] === typeof DEFAULT_PREFS[k] && Array.isArray(o[k]) === Array.isArray(DEFAULT_PREFS[k])) {
        (out as Record<string, unknown>)[k] = o[k];
      }
    }
  }
  return out;
}

/** What the old per-browser keys said, as changes to `p` (null: nothing to carry over). */
export function legacyChanges(get: (key: string) => string | null, p: Prefs): Prefs | null {
  const typing = get(LEGACY.typing);
  const paste = get(LEGACY.paste);
  const previews = get(LEGACY.previews);
  const hidden = get(LEGACY.hidden);
  if (typing === null && paste === null && previews === null && hidden === null) return null;
  const next: Prefs = { ...p, previews_hidden: [...p.previews_hidden] };
  if (typing === 'off') next.send_typing = false;
  const n = Number(paste);
  if (paste !== null && Number.isInteger(n) && n >= 0 && n <= 1000) next.paste_lines = n;
  if (previews === 'images' || previews === 'off') next.previews = previews;
  try {
    const list: unknown = JSON.parse(hidden ?? '[]');
    if (Array.isArray(list)) {
      for (const c of list) if (typeof c === 'string' && !next.previews_hidden.includes(c)) next.previews_hidden.push(c);
      next.previews_hidden = next.previews_hidden.slice(-MAX_HIDDEN);
    }
  } catch {
    // unreadable: dropped
  }
  return next;
}

/** Whether `text` (not a command) should be offered as a paste: more than `maxLines`
 *  lines, or one line longer than `LONG_LINE`. `maxLines` 0 never asks. */
export function isLong(text: string, maxLines: number): boolean {
  if (maxLines === 0 || text.startsWith('/')) return false;
  const lines = text.replace(/\n+$/, '').split(/\r?\n/);
  return lines.length > maxLines || lines.some((l) => l.length > LONG_LINE);
}

/** A time of day as the user wants it written. */
export function timeOf(ts: string, clock: Clock, seconds: boolean, locale?: string): string {
  const opts: Intl.DateTimeFormatOptions = { hour: clock === '12h' ? 'numeric' : '2-digit', minute: '2-digit' };
  if (seconds) opts.second = '2-digit';
  if (clock !== 'auto') opts.hourCycle = clock === '12h' ? 'h12' : 'h23';
  return new Date(ts).toLocaleTimeString(locale, opts);
}

/** The classes on `<html>` that carry the display choices (app.css reads them). */
export function displayClasses(p: Prefs): Record<string, boolean> {
  return { compact: p.density === 'compact', 'plain-nicks': !p.nick_colors };
}

class PrefsStore {
  /** The current preferences (the account's once loaded). */
  value = $state<Prefs>(readCached(read(CACHE)));
  private saving: Promise<void> = Promise.resolve();
  private inFlight = 0;

  constructor() {
    this.apply();
  }

  get sendTyping(): boolean {
    return this.value.send_typing;
  }
  get pasteLines(): number {
    return this.value.paste_lines;
  }
  get previews(): Prefs['previews'] {
    return this.value.previews;
  }
  get previewsHidden(): string[] {
    return this.value.previews_hidden;
  }

  /** The account's preferences arrived (user load or a `prefs` event). While a change
   *  made here is being saved, an answer may predate it: the event that follows the save
   *  brings the account's state. */
  fromServer(p: Prefs): void {
    if (this.inFlight > 0) return;
    const legacy = legacyChanges(read, p);
    this.value = p;
    this.apply();
    if (legacy) {
      for (const k of Object.values(LEGACY)) write(k, null);
      void this.set(legacy);
    }
  }

  /** Saves a change with the account: shown at once, resolves to whether it was saved
   *  (offline or refused: this page keeps it; the account's comes back at the next load). */
  set(next: Prefs): Promise<boolean> {
    this.value = next;
    this.apply();
    // One save at a time, in order: the server's `prefs` events then end on the last choice.
    this.inFlight += 1;
    const saved = this.saving
      .then(() =>
        api.updateUser({ prefs: next }).then(
          () => true,
          () => false,
        ),
      )
      .finally(() => {
        this.inFlight -= 1;
      });
    this.saving = saved.then(() => undefined);
    return saved;
  }

  update(change: Partial<Prefs>): Promise<boolean> {
    return this.set({ ...this.value, ...change });
  }

  setSendTyping(on: boolean): Promise<boolean> {
    return this.update({ send_typing: on });
  }

  /** Hides (or shows again) link previews in one conversation. */
  setPreviewsHidden(conv: string, hidden: boolean): Promise<boolean> {
    const rest = this.value.previews_hidden.filter((c) => c !== conv);
    return this.update({ previews_hidden: hidden ? [...rest, conv].slice(-MAX_HIDDEN) : rest });
  }

  setPreviews(mode: Prefs['previews']): Promise<boolean> {
    return this.update({ previews: mode });
  }

  setPasteLines(n: number): Promise<boolean> {
    return this.update({ paste_lines: n });
  }

  /** Font size, density and nick colours on the page; the copy for the next reload. */
  private apply(): void {
    write(CACHE, JSON.stringify(this.value));
    if (typeof document === 'undefined') return;
    const root = document.documentElement;
    root.style.fontSize = this.value.font_size === DEFAULT_PREFS.font_size ? '' : `${this.value.font_size}px`;
    for (const [cls, on] of Object.entries(displayClasses(this.value))) root.classList.toggle(cls, on);
  }
}

export const prefs = new PrefsStore();
