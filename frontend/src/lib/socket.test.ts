import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoff, EventSocket, RequestError, type WebSocketLike } from './socket';
import type { Stamped } from './types';

class FakeWs implements WebSocketLike {
  static all: FakeWs[] = [];
  readyState = 0;
  onopen: WebSocketLike['onopen'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onerror: WebSocketLike['onerror'] = null;
  sent: Record<string, unknown>[] = [];
  constructor(readonly url: string) {
    FakeWs.all.push(this);
  }
  send(d: string) {
    this.sent.push(JSON.parse(d));
  }
  close() {
    this.readyState = 3;
  }
  // test helpers
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  emit(f: object) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

function setup() {
  const events: Stamped[] = [];
  const statuses: string[] = [];
  const onResync = vi.fn();
  const onSessionEnded = vi.fn();
  const s = new EventSocket({
    url: (since) => `ws://x/events${since === null ? '' : `?since=${since}`}`,
    create: (u) => new FakeWs(u),
    onEvent: (f) => events.push(f),
    onStatus: (st) => statuses.push(st),
    onResync,
    onSessionEnded,
    random: () => 0.5,
    requestTimeoutMs: 1000,
    pingIntervalMs: 60_000,
  });
  return { s, events, statuses, onResync, onSessionEnded, last: () => FakeWs.all[FakeWs.all.length - 1]! };
}

beforeEach(() => {
  FakeWs.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('EventSocket', () => {
  it('first connects (not reconnects) when it starts after the state the page loaded', () => {
    const { s, statuses, last } = setup();
    s.lastSeq = 41;
    s.start();
    expect(last().url).toBe('ws://x/events?since=41');
    expect(statuses).toEqual(['connecting']);
    last().open();
    last().drop();
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting']);
  });

  it('resumes with since after a drop and never repeats events', () => {
    const { s, events, statuses, last } = setup();
    s.start();
    expect(last().url).toBe('ws://x/events');
    last().open();
    last().emit({ seq: 1, event: 'message', id: 10 });
    last().emit({ seq: 2, event: 'message', id: 11 });
    last().drop();
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting']);
    vi.advanceTimersByTime(backoff(0, () => 0.5));
    expect(last().url).toBe('ws://x/events?since=2');
    last().open();
    // The server replays from the store; overlap must be dropped.
    last().emit({ seq: 2, event: 'message', id: 11 });
    last().emit({ seq: 3, event: 'message', id: 12 });
    last().emit({ seq: 1, event: 'message', id: 10 });
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(s.lastSeq).toBe(3);
    s.stop();
  });

  it('backs off exponentially with jitter, capped, and resets after success', () => {
    expect(backoff(0, () => 0)).toBe(250);
    expect(backoff(0, () => 1)).toBe(500);
    // Quick attempts first (a daemon restart), then exponential.
    expect(backoff(3, () => 1)).toBe(500);
    expect(backoff(4, () => 1)).toBe(1000);
    expect(backoff(7, () => 1)).toBe(8000);
    expect(backoff(20, () => 1)).toBe(30_000);
    const { s, last } = setup();
    s.start();
    last().drop();
    expect(FakeWs.all).toHaveLength(1);
    vi.advanceTimersByTime(374);
    expect(FakeWs.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeWs.all).toHaveLength(2);
    last().drop();
    vi.advanceTimersByTime(374);
    expect(FakeWs.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeWs.all).toHaveLength(3);
    last().open();
    last().drop();
    vi.advanceTimersByTime(375);
    expect(FakeWs.all).toHaveLength(4);
    s.stop();
  });

  it('resyncs on the reload event and on close code 4000', () => {
    const { s, onResync, last } = setup();
    s.start();
    last().open();
    last().emit({ seq: 5, event: 'message' });
    last().emit({ event: 'reload' });
    expect(onResync).toHaveBeenCalledTimes(1);
    last().drop(4000);
    expect(onResync).toHaveBeenCalledTimes(2);
    // Reconnects at once, still asking for what it can get.
    expect(FakeWs.all).toHaveLength(2);
    expect(last().url).toBe('ws://x/events?since=5');
    s.stop();
  });

  it('has the session checked when the server says it ended (4003)', () => {
    const { s, onSessionEnded, last } = setup();
    s.start();
    last().open();
    last().drop(1006);
    expect(onSessionEnded).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    last().open();
    last().drop(4003);
    expect(onSessionEnded).toHaveBeenCalledTimes(1);
    s.stop();
  });

  it('pairs replies with requests by id', async () => {
    const { s, events, last } = setup();
    s.start();
    last().open();
    const ok = s.request({ method: 'send', connection_id: 'c', conversation_id: '', message: 'hi' });
    const bad = s.request({ method: 'send', connection_id: 'c', conversation_id: '', message: '/nope' });
    const [a, b] = last().sent;
    expect(a).toMatchObject({ id: 1, method: 'send', message: 'hi' });
    last().emit({ id: b!.id, errors: [{ message: 'Unknown command.' }] });
    last().emit({ id: a!.id, event: 'sent' });
    await expect(ok).resolves.toMatchObject({ event: 'sent' });
    await expect(bad).rejects.toMatchObject({ message: 'Unknown command.' });
    expect(events).toEqual([]);
    s.stop();
  });

  it('fails requests on timeout, on close and when not connected', async () => {
    const { s, last } = setup();
    await expect(s.request({ method: 'ping' })).rejects.toBeInstanceOf(RequestError);
    s.start();
    last().open();
    const slow = s.request({ method: 'ping' });
    vi.advanceTimersByTime(1000);
    await expect(slow).rejects.toThrow('did not answer');
    const lost = s.request({ method: 'ping' });
    last().drop();
    await expect(lost).rejects.toThrow('lost');
    s.stop();
  });

  it('reconnects when a ping gets no answer', async () => {
    const { s, last } = setup();
    s.start();
    last().open();
    vi.advanceTimersByTime(60_000);
    expect(last().sent[0]).toMatchObject({ method: 'ping' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.status).toBe('reconnecting');
    s.stop();
  });

  it('uses the browser WebSocket when no factory is given', () => {
    const made: string[] = [];
    const orig = globalThis.WebSocket;
    globalThis.WebSocket = class {
      constructor(url: string) {
        made.push(url);
      }
      close() {}
    } as unknown as typeof WebSocket;
    try {
      const s = new EventSocket({ url: () => 'ws://x/events', create: undefined, onEvent: () => {} });
      s.start();
      expect(made).toEqual(['ws://x/events']);
      expect(s.status).toBe('connecting');
      s.stop();
    } finally {
      globalThis.WebSocket = orig;
    }
  });

  it('stops for good', () => {
    const { s, statuses, last } = setup();
    s.start();
    last().open();
    s.stop();
    vi.advanceTimersByTime(100_000);
    expect(FakeWs.all).toHaveLength(1);
    expect(statuses[statuses.length - 1]).toBe('closed');
  });
});
