//! Input completion: slash commands (with usage), nicks (Tab cycling, `@` popup) and
//! channels (`#`). Pure functions over the input text and cursor; no DOM.

import { COMMANDS } from './commands';
import type { Command } from './wire';

export { COMMANDS };
export type { Command };

/** The word around `cursor`: from the last space before it to the next space. */
export function wordAt(text: string, cursor: number): { start: number; end: number; word: string } {
  let start = cursor;
  while (start > 0 && !/\s/.test(text[start - 1] ?? '')) start--;
  let end = cursor;
  while (end < text.length && !/\s/.test(text[end] ?? '')) end++;
  return { start, end, word: text.slice(start, end) };
}

/** Commands whose name starts with what follows `/` on a line that is only `/word`. */
export function commandMatches(text: string): Command[] {
  const m = /^\/(\w*)$/.exec(text);
  if (!m) return [];
  const p = (m[1] ?? '').toLowerCase();
  return COMMANDS.filter((c) => c.name.startsWith(p));
}

/** The command being typed (`/join #x` → join), for showing its usage. */
export function currentCommand(text: string): Command | null {
  const m = /^\/(\w+)(\s|$)/.exec(text);
  if (!m) return null;
  const name = (m[1] ?? '').toLowerCase();
  return COMMANDS.find((c) => c.name === name || c.aliases.includes(name)) ?? null;
}

/** Candidates starting with `prefix`, case-insensitively, in the given order. */
export function filterPrefix(candidates: readonly string[], prefix: string): string[] {
  const p = prefix.toLowerCase();
  return candidates.filter((c) => c.toLowerCase().startsWith(p));
}

export interface Popup {
  kind: 'command' | 'nick' | 'channel';
  start: number;
  end: number;
  items: string[];
}

/** What the `/`, `@` or `#` popup should show for the text and cursor, or null. */
export function popupFor(
  text: string,
  cursor: number,
  nicks: readonly string[],
  channels: readonly string[],
): Popup | null {
  const cmds = commandMatches(text.slice(0, cursor) === text ? text : '');
  if (cmds.length > 0 && cursor === text.length) {
    return { kind: 'command', start: 0, end: text.length, items: cmds.map((c) => '/' + c.name) };
  }
  const { start, end, word } = wordAt(text, cursor);
  if (word.startsWith('@') && word.length >= 1) {
    const items = filterPrefix(nicks, word.slice(1)).map((n) => '@' + n);
    return items.length ? { kind: 'nick', start, end, items: items.slice(0, 8) } : null;
  }
  if (word.startsWith('#')) {
    const items = filterPrefix(channels, word);
    return items.length && !(items.length === 1 && items[0] === word)
      ? { kind: 'channel', start, end, items: items.slice(0, 8) }
      : null;
  }
  return null;
}

/** Replaces `start..end` with `value` (plus a space), returning the text and new cursor. */
export function applyCompletion(
  text: string,
  start: number,
  end: number,
  value: string,
): { text: string; cursor: number } {
  const after = text.slice(end);
  const sep = after.startsWith(' ') ? '' : ' ';
  const next = text.slice(0, start) + value + sep + after;
  return { text: next, cursor: start + value.length + 1 };
}

/** State kept between Tab presses so that repeated Tabs cycle through matches. */
export interface TabState {
  start: number;
  matches: string[];
  index: number;
  /** The text Tab produced, to tell whether the user typed in between. */
  text: string;
}

/**
 * Tab completion of nicks (and `#channels`, `/commands`). The first Tab completes the word
 * before the cursor; further Tabs (with the text unchanged) cycle. At the line's start a
 * nick gets ": " after it.
 */
export function tabComplete(
  text: string,
  cursor: number,
  nicks: readonly string[],
  channels: readonly string[],
  prev: TabState | null,
  backwards = false,
): { text: string; cursor: number; state: TabState } | null {
  let state: TabState;
  if (prev && prev.text === text && prev.matches.length > 0) {
    const n = prev.matches.length;
    state = { ...prev, index: (prev.index + (backwards ? n - 1 : 1)) % n };
  } else {
    const { start } = wordAt(text, cursor);
    const word = text.slice(start, cursor);
    if (!word) return null;
    let matches: string[];
    if (word.startsWith('/') && start === 0) {
      matches = filterPrefix(COMMANDS.map((c) => '/' + c.name), word);
    } else if (word.startsWith('#')) {
      matches = filterPrefix(channels, word);
    } else {
      const at = word.startsWith('@') ? '@' : '';
      matches = filterPrefix(nicks, word.slice(at.length)).map((n) => at + n);
    }
    if (matches.length === 0) return null;
    state = { start, matches, index: backwards ? matches.length - 1 : 0, text: '' };
  }
  const value = state.matches[state.index] ?? '';
  const { end } = wordAt(text, state.start);
  // The completed word may have grown a ": " suffix on an earlier Tab; drop it too.
  let tail = text.slice(end);
  if (tail.startsWith(': ')) tail = tail.slice(2);
  else if (tail.startsWith(' ')) tail = tail.slice(1);
  const isNick = !value.startsWith('#') && !value.startsWith('/') && !value.startsWith('@');
  const suffix = state.start === 0 && isNick ? ': ' : ' ';
  const next = text.slice(0, state.start) + value + suffix + tail;
  const cur = state.start + value.length + suffix.length;
  return { text: next, cursor: cur, state: { ...state, text: next } };
}

/** Up/down recall of lines sent from one input. */
export class InputHistory {
  private lines: string[] = [];
  private pos = 0;
  private draft = '';

  constructor(private readonly max = 100) {}

  /** Records a sent line and resets the position to "after the newest". */
  push(line: string): void {
    if (line.trim() && this.lines[this.lines.length - 1] !== line) this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
    this.pos = this.lines.length;
    this.draft = '';
  }

  /** The older line, or null at the oldest; `current` is kept as the draft. */
  up(current: string): string | null {
    if (this.pos === 0) return null;
    if (this.pos === this.lines.length) this.draft = current;
    this.pos--;
    return this.lines[this.pos] ?? null;
  }

  /** The newer line, the draft after the newest, or null when already there. */
  down(): string | null {
    if (this.pos >= this.lines.length) return null;
    this.pos++;
    return this.pos === this.lines.length ? this.draft : (this.lines[this.pos] ?? null);
  }
}
