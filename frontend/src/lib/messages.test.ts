import { describe, expect, it } from 'vitest';
import { MessageStore, type Loader } from './messages.svelte';
import { message } from './fixtures';
import type { Message } from './types';

const m = (id: number): Message =>
  message({
    id,
    connection_id: 'c',
    conversation_id: '#x',
    ts: new Date(1_700_000_000_000 + id * 1000).toISOString(),
    from: 'a',
    message: `m${id}`,
  });

/** A server with messages 1..n, paging like docs/api.md. */
function server(n: number): { load: Loader; calls: unknown[] } {
  const all = Array.from({ length: n }, (_, i) => m(i + 1));
  const calls: unknown[] = [];
  const load: Loader = async (_c, _v, p) => {
    calls.push(p);
    const limit = p.limit ?? 60;
    if (p.before !== undefined) {
      const older = all.filter((x) => x.id < p.before!);
      return { messages: older.slice(-limit), end: older.length <= limit };
    }
    if (p.after !== undefined) {
      const newer = all.filter((x) => x.id > p.after!);
      return { messages: newer.slice(0, limit), end: newer.length <= limit };
    }
    if (p.around !== undefined) {
      const i = all.findIndex((x) => x.id >= p.around!);
      const from = Math.max(0, i - limit / 2);
      return { messages: all.slice(from, from + limit), end: false };
    }
    return { messages: all.slice(-limit), end: all.length <= limit };
  };
  return { load, calls };
}

const ids = (ms: Message[]) => ms.map((x) => x.id);

describe('MessageStore', () => {
  it('pages back through the whole history', async () => {
    const { load } = server(250);
    const b = new MessageStore(load).get('c', '#x');
    await b.loadLatest();
    expect(b.messages).toHaveLength(100);
    expect(b.atPresent).toBe(true);
    await b.loadOlder();
    await b.loadOlder();
    expect(b.startReached).toBe(true);
    expect(ids(b.messages)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    await b.loadOlder();
    expect(b.messages).toHaveLength(250);
  });

  it('jumps around a message and pages forward to the present', async () => {
    const { load } = server(500);
    const store = new MessageStore(load);
    const b = store.get('c', '#X');
    await b.loadAround(200);
    expect(b.focusId).toBe(200);
    expect(b.atPresent).toBe(false);
    expect(ids(b.messages)).toContain(200);
    // Live messages are not appended while there is a gap.
    store.add({ ...m(501), conversation_id: '#x' });
    expect(ids(b.messages)).not.toContain(501);
    for (let i = 0; i < 5 && !b.atPresent; i++) await b.loadNewer();
    expect(b.atPresent).toBe(true);
    expect(b.messages[b.messages.length - 1]?.id).toBe(500);
  });

  it('merges live messages without duplicates', async () => {
    const { load } = server(10);
    const store = new MessageStore(load);
    const b = store.get('c', '#x');
    await b.loadLatest();
    store.add(m(10));
    store.add(m(11));
    store.add(m(11));
    expect(ids(b.messages)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('puts a replayed line in its place, or leaves it to paging when older than the page', async () => {
    const { load } = server(300);
    const store = new MessageStore(load);
    const b = store.get('c', '#x');
    await b.loadLatest();
    // Lines replayed by the server (chathistory) carry ids by the time they were said.
    store.add(m(250.5));
    expect(ids(b.messages).indexOf(250.5)).toBe(ids(b.messages).indexOf(250) + 1);
    store.add(m(3.5));
    expect(ids(b.messages)).not.toContain(3.5);
    expect(b.messages[0]?.id).toBe(201);
  });

  it('keeps a live message that arrives while the newest page is loading', async () => {
    const { load } = server(50);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The page is read before message 51 is stored, and answers after it arrived live.
    const slow: Loader = async (c, v, p) => {
      const page = await load(c, v, p);
      await gate;
      return page;
    };
    const store = new MessageStore(slow);
    const b = store.get('c', '#x');
    const loading = b.loadLatest();
    store.add(m(51));
    release();
    await loading;
    expect(b.messages[b.messages.length - 1]?.id).toBe(51);
    expect(ids(b.messages)).toHaveLength(51);
  });

  it('ignores a stale page after a newer request', async () => {
    const { load } = server(300);
    const b = new MessageStore(load).get('c', '#x');
    const first = b.loadAround(50);
    const second = b.loadLatest();
    await Promise.all([first, second]);
    expect(b.atPresent).toBe(true);
    expect(b.messages[b.messages.length - 1]?.id).toBe(300);
  });
});
