import { describe, expect, it } from 'vitest';
import { buildRows, mergeMessages, summarize, unreadOffscreen } from './grouping';
import { message } from './fixtures';
import type { Message } from './types';

const msg = (o: Partial<Message>): Message =>
  message({ connection_id: 'c', conversation_id: '#x', ts: '2026-01-05T10:00:00Z', from: 'alice', ...o });
const kinds = (rows: ReturnType<typeof buildRows>) =>
  rows.map((r) => (r.kind === 'msg' ? `msg:${r.msg.from}:${r.head ? 'head' : 'cont'}` : r.kind));

describe('buildRows', () => {
  it('groups by sender and day', () => {
    const ms = [
      msg({}),
      msg({ ts: '2026-01-05T10:01:00Z' }),
      msg({ from: 'bob', ts: '2026-01-05T10:02:00Z' }),
      msg({ from: 'bob', ts: '2026-01-05T10:30:00Z' }),
      msg({ from: 'bob', ts: '2026-01-07T10:30:00Z' }),
    ];
    expect(kinds(buildRows(ms))).toEqual([
      'day',
      'msg:alice:head',
      'msg:alice:cont',
      'msg:bob:head',
      'msg:bob:head',
      'day',
      'msg:bob:head',
    ]);
  });
  it('condenses consecutive membership lines', () => {
    const ms = [
      msg({ type: 'join', from: 'a' }),
      msg({ type: 'join', from: 'b' }),
      msg({ type: 'quit', from: 'c' }),
      msg({ type: 'nick', from: 'd', message: 'e' }),
      msg({ from: 'a' }),
      msg({ type: 'part', from: 'a' }),
    ];
    const rows = buildRows(ms);
    expect(kinds(rows)).toEqual(['day', 'events', 'msg:a:head', 'msg:a:head']);
    const ev = rows[1];
    expect(ev?.kind === 'events' && ev.summary).toBe('a, b joined · c quit · d → e');
  });
  it('shows membership lines one by one, or hides them, as the user prefers', () => {
    const ms = [
      msg({ type: 'join', from: 'a' }),
      msg({ type: 'join', from: 'b' }),
      msg({ from: 'a' }),
      msg({ type: 'part', from: 'a', ts: '2026-01-06T10:00:00Z' }),
    ];
    const shown = buildRows(ms, Infinity, new Date(), 'shown');
    expect(kinds(shown)).toEqual(['day', 'msg:a:head', 'msg:b:head', 'msg:a:head', 'day', 'msg:a:head']);
    // hidden: no row for them, not even the day that only had one
    expect(kinds(buildRows(ms, Infinity, new Date(), 'hidden'))).toEqual(['day', 'msg:a:head']);
  });
  it('puts reactions on the message they react to and finds what a reply answers', () => {
    const ms = [
      msg({ id: 1, msgid: 'a1', message: 'ship it?' }),
      msg({ id: 2, type: 'reaction', from: 'bob', message: '👍', reply_to: 'a1' }),
      msg({ id: 3, type: 'reaction', from: 'carol', message: '👍', reply_to: 'a1' }),
      msg({ id: 4, type: 'reaction', from: 'bob', message: '👍', reply_to: 'a1' }),
      msg({ id: 5, type: 'reaction', from: 'bob', message: '🎉', reply_to: 'a1' }),
      msg({ id: 6, from: 'bob', message: 'yes', reply_to: 'a1' }),
      msg({ id: 7, from: 'bob', message: 'and this', reply_to: 'gone' }),
    ];
    const rows = buildRows(ms).filter((r) => r.kind === 'msg');
    expect(rows.map((r) => r.kind === 'msg' && r.msg.id)).toEqual([1, 6, 7]);
    const [first, reply, orphan] = rows;
    expect(first?.kind === 'msg' && first.reactions).toEqual([
      { emoji: '👍', nicks: ['bob', 'carol'] },
      { emoji: '🎉', nicks: ['bob'] },
    ]);
    expect(reply?.kind === 'msg' && reply.quote?.id).toBe(1);
    expect(orphan?.kind === 'msg' && orphan.quote).toBeNull();
  });
  it('never groups actions or notices', () => {
    const ms = [msg({ type: 'action' }), msg({ type: 'action' }), msg({ type: 'notice' })];
    expect(kinds(buildRows(ms))).toEqual(['day', 'msg:alice:head', 'msg:alice:head', 'msg:alice:head']);
  });
  it('puts the new-messages marker after last_read, skipping own lines', () => {
    const ms = [msg({}), msg({}), msg({ self: true, from: 'me' }), msg({})];
    const lastRead = ms[1]!.id;
    expect(kinds(buildRows(ms, lastRead))).toEqual([
      'day',
      'msg:alice:head',
      'msg:alice:cont',
      'msg:me:head',
      'marker',
      'msg:alice:head',
    ]);
    expect(kinds(buildRows(ms, ms[3]!.id))).not.toContain('marker');
  });
  it('summarizes many nicks briefly', () => {
    const ms = ['a', 'b', 'c', 'd', 'e'].map((from) => msg({ type: 'join', from }));
    expect(summarize(ms)).toBe('a, b and 3 others joined');
  });
});

describe('mergeMessages', () => {
  const m = (id: number) => msg({ id });
  const ids = (ms: Message[]) => ms.map((x) => x.id);
  it('appends, prepends and dedupes', () => {
    expect(ids(mergeMessages([m(1), m(2)], [m(2), m(3)]))).toEqual([1, 2, 3]);
    expect(ids(mergeMessages([m(5), m(6)], [m(1), m(2)]))).toEqual([1, 2, 5, 6]);
    expect(ids(mergeMessages([m(1), m(5)], [m(3), m(5), m(7)]))).toEqual([1, 3, 5, 7]);
    expect(ids(mergeMessages([], [m(3)]))).toEqual([3]);
  });
});

describe('buildRows at scale', () => {
  it('builds rows for 100k messages', () => {
    const ms = Array.from({ length: 100_000 }, (_, i) =>
      msg({ id: i + 1, from: `n${i % 7}`, ts: new Date(Date.UTC(2026, 0, 1) + i * 20_000).toISOString() }),
    );
    const rows = buildRows(ms);
    expect(rows.filter((r) => r.kind === 'msg')).toHaveLength(100_000);
    expect(rows.filter((r) => r.kind === 'day')).toHaveLength(24);
  }, 60_000); // correctness at scale, not speed: a loaded CI machine may take seconds
});

describe('unreadOffscreen', () => {
  const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => message({ id: from + i }));
  it('offers the jump when the divider is not loaded or far up', () => {
    expect(unreadOffscreen(ids(100, 159), 50, false)).toBe(true);
    expect(unreadOffscreen(ids(100, 159), 50, true)).toBe(false);
    expect(unreadOffscreen(ids(100, 159), 120, false)).toBe(true);
    expect(unreadOffscreen(ids(100, 159), 140, false)).toBe(false);
    expect(unreadOffscreen(ids(100, 159), Infinity, false)).toBe(false);
    expect(unreadOffscreen([], 10, false)).toBe(false);
  });
});
