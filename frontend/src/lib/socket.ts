//! The one WebSocket client (docs/api.md "WebSocket /events"). Owns the socket, reconnects
//! with backoff + jitter, resumes with `?since=` the last seq seen, drops events already
//! seen, pairs replies with requests by `id`, and pings to notice dead links. It knows
//! nothing about the UI: it reports events, status changes and "resync needed".

import { withBase } from './base';
import type { ApiErrorItem, ClientRequest, Reply, ServerFrame, Stamped } from './types';

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The subset of the browser WebSocket that the client uses (a fake in tests). */
export interface WebSocketLike {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** The close code of a socket whose session ended (docs/api.md). */
export const SESSION_ENDED = 4003;

export interface SocketOptions {
  /** The URL for a connection resuming after `since` (null: live events only). */
  url: (since: number | null) => string;
  create?: (url: string) => WebSocketLike;
  onEvent: (event: Stamped) => void;
  onStatus?: (status: SocketStatus) => void;
  /** The server cannot replay what was missed: refetch state over HTTP. */
  onResync?: () => void;
  /** The server closed the socket because its session ended (logged out elsewhere, password
   *  changed): check the session over HTTP (a 401 signs the page out). */
  onSessionEnded?: () => void;
  requestTimeoutMs?: number;
  pingIntervalMs?: number;
  random?: () => number;
}

/** A request failed: the server's `errors`, a timeout, or a lost connection. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly errors: ApiErrorItem[] = [{ message, path: '/' }],
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (f: Reply) => void;
  reject: (e: RequestError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;
const BASE_DELAY = 500;
const MAX_DELAY = 30_000;

/** Quick attempts first: a daemon restart (a second or two) is noticed at once. */
const QUICK_ATTEMPTS = 4;

/**
 * Backoff before reconnect attempt `n` (0-based), with jitter: the first
 * {@link QUICK_ATTEMPTS} wait 0.25–0.5 s, then it doubles from 0.5–1 s up to 15–30 s.
 */
export function backoff(n: number, random: () => number = Math.random): number {
  const steps = Math.max(0, n - QUICK_ATTEMPTS + 1);
  const cap = Math.min(MAX_DELAY, BASE_DELAY * 2 ** steps);
  return Math.round(cap / 2 + random() * (cap / 2));
}

export class EventSocket {
  /** The highest event seq seen; events at or below it are duplicates. */
  lastSeq: number | null = null;
  status: SocketStatus = 'closed';

  private ws: WebSocketLike | null = null;
  private attempt = 0;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = true;
  /** A socket was open once: later attempts are reconnects (the first may already have a
   *  `lastSeq`, from the state the page loaded). */
  private opened = false;
  private readonly opts: Required<Omit<SocketOptions, 'onStatus' | 'onResync' | 'onSessionEnded'>> &
    Pick<SocketOptions, 'onStatus' | 'onResync' | 'onSessionEnded'>;

  constructor(opts: SocketOptions) {
    this.opts = {
      ...opts,
      create: opts.create ?? ((url) => new WebSocket(url) as unknown as WebSocketLike),
      requestTimeoutMs: opts.requestTimeoutMs ?? 15_000,
      pingIntervalMs: opts.pingIntervalMs ?? 30_000,
      random: opts.random ?? Math.random,
    };
  }

  /** Opens the socket (and keeps reopening it until `stop`). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  /** Closes for good: no more reconnects; pending requests fail. */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close(1000, 'bye');
    }
    this.failPending('Disconnected.');
    this.setStatus('closed');
  }

  /** Reconnects now (e.g. the browser came back online), skipping the backoff wait. */
  reconnectNow(): void {
    if (this.stopped || this.status === 'open') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempt = 0;
    this.open();
  }

  /** Sends a request; resolves with the reply, rejects on `errors`, timeout or close. */
  request(req: ClientRequest): Promise<Reply> {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN || this.status !== 'open') {
      return Promise.reject(new RequestError('Not connected to the server; try again in a moment.'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('The server did not answer in time.'));
      }, this.opts.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...req, id }));
    });
  }

  private open(): void {
    this.setStatus(!this.opened && this.attempt === 0 ? 'connecting' : 'reconnecting');
    let ws: WebSocketLike;
    try {
      ws = this.opts.create(this.opts.url(this.lastSeq));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.opened = true;
      this.setStatus('open');
      this.startPing();
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) this.receive(ev.data);
    };
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPing();
      this.failPending('The connection to the server was lost.');
      if (this.stopped) return;
      if (ev.code === 4000) {
        // The server dropped us for falling behind: what we missed cannot be replayed.
        this.opts.onResync?.();
        this.attempt = 0;
        this.setStatus('reconnecting');
        this.open();
        return;
      }
      if (ev.code === SESSION_ENDED) this.opts.onSessionEnded?.();
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    this.setStatus('reconnecting');
    const delay = backoff(this.attempt++, this.opts.random);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.open();
    }, delay);
  }

  private receive(data: unknown): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(data)) as ServerFrame;
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    if ('event' in frame && frame.event === 'reload') {
      this.opts.onResync?.();
      return;
    }
    // Events carry `seq` (a message event's `id` is the message's); replies do not.
    if ('seq' in frame) {
      if (this.lastSeq !== null && frame.seq <= this.lastSeq) return;
      this.lastSeq = frame.seq;
      this.opts.onEvent(frame);
      return;
    }
    const p = typeof frame.id === 'number' ? this.pending.get(frame.id) : undefined;
    if (!p || typeof frame.id !== 'number') return;
    this.pending.delete(frame.id);
    clearTimeout(p.timer);
    if ('errors' in frame) {
      p.reject(new RequestError(frame.errors[0]?.message ?? 'Failed.', frame.errors));
    } else {
      p.resolve(frame);
    }
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      this.request({ method: 'ping' }).catch(() => {
        // No pong: the link is dead even if the browser has not noticed. Start over.
        if (this.ws === ws && ws) {
          ws.onclose?.({ code: 1006, reason: 'ping timeout' });
          ws.close();
        }
      });
    }, this.opts.pingIntervalMs);
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private failPending(message: string): void {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError(message));
    }
    this.pending.clear();
  }

  private setStatus(s: SocketStatus): void {
    if (this.status === s) return;
    this.status = s;
    this.opts.onStatus?.(s);
  }
}

/** `ws://` or `wss://` URL of `/events` on this page's origin. */
export function eventsUrl(since: number | null, loc: Location = location): string {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${loc.host}${withBase('/events')}${since === null ? '' : `?since=${since}`}`;
}
