//! Turns a conversation's messages (oldest first) into display rows: day separators, the
//! "new messages" marker, messages that show or hide their sender header, and runs of
//! join/part/quit/nick lines condensed into one summary row. Pure; no DOM.

import type { Membership, Message } from './types';

/** One reaction on a message: the emoji and who reacted with it (each nick once). */
export interface Reaction {
  emoji: string;
  nicks: string[];
}

export type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'marker'; key: string }
  | {
      kind: 'msg';
      key: string;
      msg: Message;
      head: boolean;
      /** Reactions to it (from `reaction` messages loaded with it). */
      reactions?: Reaction[];
      /** What it answers: the message, or `null` when that one is not loaded. */
      quote?: Message | null;
    }
  | { kind: 'events'; key: string; msgs: Message[]; summary: string };

const MEMBERSHIP = new Set(['join', 'part', 'quit', 'nick']);
/** Messages from one sender closer than this share one header. */
const GROUP_MS = 5 * 60 * 1000;

/** The local calendar day of an RFC 3339 time, as `YYYY-MM-DD`. */
export function dayOf(ts: string): string {
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** "Today", "Yesterday" or a readable date. */
export function dayLabel(day: string, now: Date = new Date()): string {
  const today = dayOf(now.toISOString());
  const y = new Date(now);
  y.setDate(y.getDate() - 1);
  if (day === today) return 'Today';
  if (day === dayOf(y.toISOString())) return 'Yesterday';
  const [yy, mm, dd] = day.split('-').map(Number);
  const date = new Date(yy ?? 1970, (mm ?? 1) - 1, dd ?? 1);
  return date.toLocaleDateString(undefined, {
    weekday: 'long',
    year: date.getFullYear() === now.getFullYear() ? undefined : 'numeric',
    month: 'long',
    day: 'numeric',
  });
}

function list(nicks: string[]): string {
  const uniq = [...new Set(nicks)];
  if (uniq.length <= 3) return uniq.join(', ');
  return `${uniq.slice(0, 2).join(', ')} and ${uniq.length - 2} others`;
}

/** One line describing a run of membership changes, e.g. "alice, bob joined · carol quit". */
export function summarize(msgs: Message[]): string {
  const by: Record<string, string[]> = { join: [], part: [], quit: [], nick: [] };
  for (const m of msgs) by[m.type]?.push(m.type === 'nick' ? `${m.from} → ${nickTarget(m)}` : m.from);
  const parts: string[] = [];
  if (by.join?.length) parts.push(`${list(by.join)} joined`);
  if (by.part?.length) parts.push(`${list(by.part)} left`);
  if (by.quit?.length) parts.push(`${list(by.quit)} quit`);
  if (by.nick?.length) parts.push(`${list(by.nick)}`);
  return parts.join(' · ');
}

/** The new nick of a `nick` message: its text is the new nick (or "… is now known as X"). */
export function nickTarget(m: Message): string {
  const t = m.message.trim();
  const known = /is now known as (\S+)/.exec(t);
  return known?.[1] ?? t.split(/\s+/).pop() ?? t;
}

// Parsed time and day per message object: rows are rebuilt on every new message, and with
// 100k loaded lines re-parsing every timestamp each time would be the main cost.
const parsed = new WeakMap<Message, { t: number; day: string }>();
function info(m: Message): { t: number; day: string } {
  let p = parsed.get(m);
  if (!p) {
    p = { t: Date.parse(m.ts), day: dayOf(m.ts) };
    parsed.set(m, p);
  }
  return p;
}

/** Unread lines shown below the "New messages" divider before it is likely off screen. */
const SCREENFUL = 30;

/**
 * Whether to offer "Jump to first unread": the divider (after message `lastRead`) is not
 * among the loaded messages, or far above the newest ones.
 */
export function unreadOffscreen(messages: readonly Message[], lastRead: number, startReached: boolean): boolean {
  if (!Number.isFinite(lastRead) || messages.length === 0) return false;
  const first = messages[0] as Message;
  if (first.id > lastRead) return !startReached;
  let after = 0;
  for (let i = messages.length - 1; i >= 0 && (messages[i] as Message).id > lastRead; i--) after++;
  return after > SCREENFUL;
}

/** Builds the rows; `lastRead` puts the marker before the first newer, non-own message;
 *  `membership`: runs of join/part/quit/nick lines folded into one row, each on its own, or
 *  left out. */
export function buildRows(
  messages: Message[],
  lastRead = Infinity,
  now = new Date(),
  membership: Membership = 'condensed',
): Row[] {
  const rows: Row[] = [];
  let day = '';
  let prev: Message | null = null;
  let markerPlaced = false;
  let events: Message[] = [];

  const flush = () => {
    if (events.length === 0) return;
    const first = events[0] as Message;
    if (events.length === 1) rows.push({ kind: 'msg', key: `m${first.id}`, msg: first, head: true });
    else rows.push({ kind: 'events', key: `e${first.id}`, msgs: events, summary: summarize(events) });
    events = [];
  };

  // Replies and reactions refer to messages by msgid. Rows are rebuilt on every new
  // message (with up to 100k loaded): only the msgids something refers to are looked up.
  const reactions = new Map<string, Reaction[]>();
  const quoted = new Map<string, Message | null>();
  for (const m of messages) {
    if (m.type === 'reaction') {
      if (m.reply_to) addReaction(reactions, m.reply_to, m.message, m.from);
    } else if (m.reply_to) quoted.set(m.reply_to, null);
  }
  if (quoted.size > 0) {
    for (const m of messages) if (m.msgid && m.type !== 'reaction' && quoted.has(m.msgid)) quoted.set(m.msgid, m);
  }

  for (const m of messages) {
    if (m.type === 'reaction') continue;
    if (membership === 'hidden' && MEMBERSHIP.has(m.type)) continue;
    const d = info(m).day;
    if (d !== day) {
      flush();
      day = d;
      rows.push({ kind: 'day', key: `d${d}`, label: dayLabel(d, now) });
      prev = null;
    }
    if (!markerPlaced && m.id > lastRead && !m.self) {
      flush();
      markerPlaced = true;
      rows.push({ kind: 'marker', key: 'marker' });
      prev = null;
    }
    if (MEMBERSHIP.has(m.type) && membership === 'condensed') {
      events.push(m);
      prev = null;
      continue;
    }
    flush();
    const head =
      prev === null ||
      prev.from !== m.from ||
      prev.type !== m.type ||
      m.type !== 'private' ||
      info(m).t - info(prev).t > GROUP_MS;
    const row: Row & { kind: 'msg' } = { kind: 'msg', key: `m${m.id}`, msg: m, head };
    if (m.msgid && reactions.size > 0) {
      const r = reactions.get(m.msgid);
      if (r) row.reactions = r;
    }
    if (m.reply_to) row.quote = quoted.get(m.reply_to) ?? null;
    rows.push(row);
    prev = m;
  }
  flush();
  return rows;
}

/** Adds `nick`'s `emoji` to the reactions of message `msgid` (once per nick and emoji). */
function addReaction(all: Map<string, Reaction[]>, msgid: string, emoji: string, nick: string): void {
  let list = all.get(msgid);
  if (!list) all.set(msgid, (list = []));
  let r = list.find((x) => x.emoji === emoji);
  if (!r) list.push((r = { emoji, nicks: [] }));
  if (!r.nicks.some((n) => n.toLowerCase() === nick.toLowerCase())) r.nicks.push(nick);
}

/** Merges `incoming` into `messages` (both sorted by id), dropping duplicate ids. */
export function mergeMessages(messages: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return messages;
  const last = messages[messages.length - 1];
  const first = incoming[0] as Message;
  if (!last || first.id > last.id) {
    return dedupeSorted(messages.concat(incoming));
  }
  const lastIn = incoming[incoming.length - 1] as Message;
  const head = messages[0] as Message;
  if (lastIn.id < head.id) return dedupeSorted(incoming.concat(messages));
  const all = messages.concat(incoming).sort((a, b) => a.id - b.id);
  return dedupeSorted(all);
}

function dedupeSorted(ms: Message[]): Message[] {
  const out: Message[] = [];
  for (const m of ms) {
    const last = out[out.length - 1];
    if (last && last.id === m.id) continue;
    if (last && m.id < last.id) {
      // Out of order input: fall back to a full sort.
      return dedupeSorted([...ms].sort((a, b) => a.id - b.id));
    }
    out.push(m);
  }
  return out;
}
