//! Choices kept in this browser (localStorage): what it tells others about the user, and
//! when a long message is offered as a paste (`isLong` is pure), which link previews show.

const TYPING = 'convos.typing';
const PASTE_LINES = 'convos.pasteLines';
const PREVIEWS = 'convos.previews';
const PREVIEWS_HIDDEN = 'convos.previewsHidden';
/** Conversations remembered with previews hidden, at most. */
const MAX_HIDDEN = 500;

/** Which link previews are shown. */
export type PreviewMode = 'on' | 'images' | 'off';

/** A line this long goes out as several IRC messages: offer a paste instead. */
export const LONG_LINE = 512;

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
    // Private mode: the choice lasts for this page only.
  }
}

/** A stored JSON list of strings, else empty. */
function readList(key: string): string[] {
  try {
    const v: unknown = JSON.parse(read(key) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** A stored whole number ≥ 0, else `fallback`. */
function readCount(key: string, fallback: number): number {
  const v = read(key);
  const n = v === null ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** Whether `text` (not a command) should be offered as a paste: more than `maxLines`
 *  lines, or one line longer than `LONG_LINE`. `maxLines` 0 never asks. */
export function isLong(text: string, maxLines: number): boolean {
  if (maxLines === 0 || text.startsWith('/')) return false;
  const lines = text.replace(/\n+$/, '').split(/\r?\n/);
  return lines.length > maxLines || lines.some((l) => l.length > LONG_LINE);
}

class Prefs {
  /** Send typing notifications (on unless turned off). */
  sendTyping = $state(read(TYPING) !== 'off');
  /** Offer "Send as a paste?" above this many lines (0: never). */
  pasteLines = $state(readCount(PASTE_LINES, 3));
  /** Link previews under messages: all, only images, none. */
  previews = $state<PreviewMode>(((v) => (v === 'images' || v === 'off' ? v : 'on'))(read(PREVIEWS)));
  /** Conversations (their `convKey`) where previews are hidden whatever `previews` says. */
  previewsHidden = $state<string[]>(readList(PREVIEWS_HIDDEN));

  setSendTyping(on: boolean): void {
    this.sendTyping = on;
    write(TYPING, on ? null : 'off');
  }

  /** Hides (or shows again) link previews in one conversation. */
  setPreviewsHidden(conv: string, hidden: boolean): void {
    const rest = this.previewsHidden.filter((c) => c !== conv);
    this.previewsHidden = hidden ? [...rest, conv].slice(-MAX_HIDDEN) : rest;
    write(PREVIEWS_HIDDEN, this.previewsHidden.length ? JSON.stringify(this.previewsHidden) : null);
  }

  setPreviews(mode: PreviewMode): void {
    this.previews = mode;
    write(PREVIEWS, mode === 'on' ? null : mode);
  }

  setPasteLines(n: number): void {
    this.pasteLines = n;
    write(PASTE_LINES, n === 3 ? null : String(n));
  }
}

export const prefs = new Prefs();
