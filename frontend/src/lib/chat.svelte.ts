//! The signed-in user's live state: user, connections, conversations, participants and
//! socket status. Fed by `GET /api/user` and WebSocket events (`apply`); components read it
//! and call its actions. Message history lives in `MessageStore`.

import { Activity } from './activity';
import { same } from './casemap';
import { announcement } from './announce';
import { api } from './api';
import { parseRetry } from './countdown';
import type { Attention } from './attention';
import { convKey, MessageStore } from './messages.svelte';
import { defaultNotify, wants } from './notifylevel';
import { prefs } from './prefs.svelte';
import { EventSocket, RequestError, eventsUrl, type SocketStatus } from './socket';
import { applyTyping, saidSomething, TypingSender, type Typists } from './typing';
import type { ClientRequest, Connection, Conversation, Event, Message, Participant, Reply, State, User, Whois } from './types';

export interface Network {
  connection: Connection;
  server: Conversation;
  channels: Conversation[];
  privates: Conversation[];
}

export interface Notifier {
  /** Shows a desktop notification if allowed and the page is hidden. */
  show(title: string, body: string, onClick: () => void, silent?: boolean): void;
}

const byName = (a: Conversation, b: Conversation) =>
  a.name.toLowerCase().localeCompare(b.name.toLowerCase());

/** A server conversation stand-in for a connection that has none in the list yet. */
function serverConversation(c: Connection): Conversation {
  return {
    connection_id: c.connection_id,
    conversation_id: '',
    name: c.name,
    topic: '',
    frozen: '',
    unread: 0,
    notifications: 0,
    last_read: 0,
    is_private: false,
    notify: defaultNotify(),
  };
}

export class ChatStore {
  user = $state<User | null>(null);
  connections = $state<Connection[]>([]);
  conversations = $state<Conversation[]>([]);
  participants = $state<Record<string, Participant[]>>({});
  status = $state<SocketStatus>('closed');
  /** Highlights received live (prepended to the notifications page). */
  liveNotifications = $state<Message[]>([]);
  /** The conversation on screen, and whether the page is visible. */
  active = $state<{ cid: string; conversation: string } | null>(null);
  visible = $state(true);
  /** Bumped on resync so open views reload their history. */
  epoch = $state(0);
  /** The latest mention or private message, in words, for the screen-reader live region. */
  announcement = $state('');
  /** When each connection's announced reconnect is due (ms since the epoch), by id. */
  retryAt = $state<Record<string, number>>({});
  /** The last `/whois` answer shown in each conversation (until closed). */
  whois = $state<Record<string, Whois>>({});
  /** Who is typing where (from `typing` events; never stored). */
  typists = $state<Typists>({});

  readonly messages: MessageStore;
  private socket: EventSocket | null = null;
  private queue: (Event & { seq?: number })[] | null = null;
  /** The seq the last `GET /api/user` answer reflects: events up to it are already in it. */
  private snapshotSeq: number | null = null;
  private readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** A conversation to open as soon as the server reports it (after /join, /query). */
  private pendingOpen: { cid: string; name: string } | null = null;
  onOpen: (cid: string, conversation: string) => void = () => {};
  /** `/list` was sent: show the channel browser. */
  onList: (cid: string) => void = () => {};
  notifier: Notifier | null = null;
  /** Tells the server whether the user is active here (auto-away, push). */
  private activity = new Activity((active) => {
    void this.socket?.request({ method: 'activity', active }).catch(() => {});
  }, Date.now());
  private typingSender = new TypingSender((key, state) => {
    const [cid, conversation] = key.split('\n');
    if (!this.socket || cid === undefined || conversation === undefined) return;
    void this.socket
      .request({ method: 'typing', connection_id: cid, conversation_id: conversation, state })
      .catch(() => {});
  });
  /** Other stores that follow events (calls); called for every applied event. */
  readonly listeners = new Set<(f: Event) => void>();

  constructor(messages = new MessageStore()) {
    this.messages = messages;
  }

  /** Networks with their conversations, sorted for the sidebar. */
  get networks(): Network[] {
    return this.connections.map((connection) => {
      const mine = this.conversations.filter((c) => c.connection_id === connection.connection_id);
      return {
        connection,
        server: mine.find((c) => c.conversation_id === '') ?? serverConversation(connection),
        channels: mine.filter((c) => c.conversation_id !== '' && !c.is_private).sort(byName),
        privates: mine.filter((c) => c.conversation_id !== '' && c.is_private).sort(byName),
      };
    });
  }

  /** Every conversation in sidebar order (for Alt+↑/↓ and the quick switcher). */
  get ordered(): Conversation[] {
    return this.networks.flatMap((n) => [n.server, ...n.channels, ...n.privates]);
  }

  /** The count for the tab title: highlights plus unread private messages. */
  get attention(): number {
    const s = this.summary;
    return s.mentions + s.privates;
  }

  /** Mentions, unread private messages and all unread, for the title and the menu dot. */
  get summary(): Attention {
    const s = { mentions: 0, privates: 0, unread: 0 };
    for (const c of this.conversations) {
      if (c.is_private) s.privates += c.unread;
      else s.mentions += c.notifications;
      s.unread += c.unread;
    }
    return s;
  }

  connection(cid: string): Connection | undefined {
    return this.connections.find((c) => c.connection_id === cid);
  }

  /** Whether `a` and `b` are the same nick or channel on connection `cid`. */
  sameName(cid: string, a: string, b: string): boolean {
    return same(this.connection(cid)?.casemapping, a, b);
  }

  conversation(cid: string, id: string): Conversation | undefined {
    const key = convKey(cid, id);
    return this.conversations.find((c) => convKey(c.connection_id, c.conversation_id) === key);
  }

  participantsOf(cid: string, id: string): Participant[] {
    return this.participants[convKey(cid, id)] ?? [];
  }

  /** Takes a fresh `GET /api/user` answer as the whole truth. */
  setUser(user: User): void {
    this.user = user;
    this.snapshotSeq = user.seq ?? null;
    prefs.fromServer(user.prefs);
    this.connections = user.connections ?? [];
    this.conversations = user.conversations ?? [];
    for (const c of this.connections) this.noteRetry(c);
  }

  /** Remembers when a "Reconnecting in Ns." message is due; the server says it only once. */
  private noteRetry(c: Connection): void {
    const r = parseRetry(c.message ?? '');
    this.retryAt[c.connection_id] = r ? Date.now() + r.seconds * 1000 : 0;
  }

  /** Fetches the user with connections and conversations. Rejects with `ApiError`. */
  async refresh(): Promise<void> {
    this.queue ??= [];
    try {
      this.setUser(await api.user());
    } finally {
      const queued = this.queue ?? [];
      this.queue = null;
      for (const f of queued) this.apply(f);
    }
  }

  /** Opens the event socket. */
  connect(create?: (url: string) => WebSocket): void {
    if (this.socket) return;
    const socket = new EventSocket({
      url: (since) => eventsUrl(since),
      create: create as never,
      onEvent: (f) => this.apply(f),
      onStatus: (s) => {
        this.status = s;
        if (s === 'open') this.activity.reconnected(Date.now(), this.pageVisible());
      },
      onResync: () => void this.resync(),
      // A 401 here signs the page out (api's onUnauthorized).
      onSessionEnded: () => void api.user().catch(() => {}),
    });
    // Follow on from the state loaded: what happened since it was taken is replayed.
    socket.lastSeq = this.snapshotSeq;
    this.socket = socket;
    socket.start();
  }

  /** The user did something in the page (or its visibility changed). */
  userInput(): void {
    this.activity.input(Date.now(), this.pageVisible());
  }

  /** Visibility changed or a timer ticked: maybe active or idle now. */
  checkActivity(): void {
    this.activity.update(Date.now(), this.pageVisible());
  }

  private pageVisible(): boolean {
    return typeof document === 'undefined' || document.visibilityState === 'visible';
  }

  disconnect(): void {
    this.socket?.stop();
    this.socket = null;
  }

  reconnectNow(): void {
    this.socket?.reconnectNow();
  }

  /** The server could not replay missed events: reload state and open histories. */
  async resync(): Promise<void> {
    this.messages.reset();
    try {
      await this.refresh();
    } catch {
      // The socket will retry; the next resync refetches.
    }
    this.epoch++;
  }

  signOut(): void {
    this.disconnect();
    this.user = null;
    this.snapshotSeq = null;
    this.connections = [];
    this.conversations = [];
    this.participants = {};
    this.liveNotifications = [];
    this.messages.reset();
  }

  /** The input of a conversation changed: tell the server we type (when allowed). */
  typed(cid: string, conversation: string, text: string): void {
    if (conversation === '' || (!prefs.sendTyping && text !== '')) return;
    this.typingSender.text(convKey(cid, conversation), text, Date.now());
  }

  /** Sends each line of `text`; rejects with the first error (its message is for the user).
   *  `replyTo` (a msgid) makes its messages (not commands) replies to that one. */
  async send(cid: string, conversation: string, text: string, replyTo?: string): Promise<void> {
    this.typingSender.forget(convKey(cid, conversation));
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    for (const line of lines) {
      const open = /^\/(?:join|j|query|q)\s+(\S+)/i.exec(line);
      if (open?.[1]) this.pendingOpen = { cid, name: open[1] };
      if (!this.socket) throw new RequestError('Not connected to the server.');
      const reply = replyTo && !line.startsWith('/') ? { reply_to: replyTo } : {};
      await this.socket.request({ method: 'send', connection_id: cid, conversation_id: conversation, message: line, ...reply });
      if (/^\/list(\s|$)/i.test(line)) this.onList(cid);
    }
  }

  /** Sends one WebSocket request (calls use `rtc`); rejects with `RequestError`. */
  request(req: ClientRequest): Promise<Reply> {
    if (!this.socket) return Promise.reject(new RequestError('Not connected to the server.'));
    return this.socket.request(req);
  }

  /** Fetches participants (when the server offers that endpoint). */
  async loadParticipants(cid: string, conversation: string): Promise<void> {
    if (!conversation) return;
    try {
      const { participants } = await api.participants(cid, conversation);
      this.participants[convKey(cid, conversation)] = participants;
    } catch {
      // Older servers: the list arrives as a `participants` event after /names.
    }
  }

  /** Marks every conversation read (the server moves each marker to its newest message). */
  markAllRead(): void {
    for (const c of this.conversations) {
      if (c.unread === 0 && c.notifications === 0) continue;
      c.unread = 0;
      c.notifications = 0;
      api.markRead(c.connection_id, c.conversation_id).catch(() => {});
    }
  }

  /** The next conversation (in sidebar order, after the open one) with unread lines. */
  nextUnread(): Conversation | undefined {
    const list = this.ordered;
    const a = this.active;
    const at = a ? list.findIndex((c) => c.connection_id === a.cid && c.conversation_id === a.conversation) : -1;
    for (let n = 1; n <= list.length; n++) {
      const c = list[(at + n + list.length) % list.length] as Conversation;
      if (c.unread > 0 || c.notifications > 0) return c;
    }
    return undefined;
  }

  /** Marks a conversation read now (locally at once, on the server debounced). */
  markRead(cid: string, conversation: string): void {
    const c = this.conversation(cid, conversation);
    if (!c) return;
    const last = this.messages.peek(cid, conversation)?.messages.at(-1)?.id;
    // A `last_read` beyond any real id is the server's "everything" sentinel from an
    // older client: replace it with a real id.
    const known = c.last_read <= Number.MAX_SAFE_INTEGER ? c.last_read : 0;
    if (c.unread === 0 && c.notifications === 0 && (last === undefined || known >= last)) return;
    c.unread = 0;
    c.notifications = 0;
    if (last !== undefined && last > known) c.last_read = last;
    this.postRead(cid, conversation, 10);
  }

  /** Tells the server, debounced, naming the newest message shown (waiting for history
   *  to load when the conversation was just opened): without an id the server stores a
   *  sentinel above every real one, and later messages would never count as unread. */
  private postRead(cid: string, conversation: string, tries: number): void {
    const key = convKey(cid, conversation);
    clearTimeout(this.readTimers.get(key));
    this.readTimers.set(
      key,
      setTimeout(() => {
        this.readTimers.delete(key);
        const newest = this.messages.peek(cid, conversation)?.messages.at(-1)?.id;
        if (newest === undefined) {
          if (tries > 0) this.postRead(cid, conversation, tries - 1);
          return;
        }
        const known = this.conversation(cid, conversation)?.last_read ?? 0;
        const upto = known <= Number.MAX_SAFE_INTEGER ? Math.max(newest, known) : newest;
        api.markRead(cid, conversation, upto).catch(() => {});
      }, 500),
    );
  }

  private isWatching(cid: string, conversation: string): boolean {
    const a = this.active;
    return !!a && this.visible && convKey(a.cid, a.conversation) === convKey(cid, conversation);
  }

  /** Applies one server event. */
  apply(f: Event & { seq?: number }): void {
    // Already in the loaded state (a replay, or an event queued while it loaded). Call
    // signals are not part of that state: they always pass.
    if (f.event !== 'rtc' && f.seq !== undefined && this.snapshotSeq !== null && f.seq <= this.snapshotSeq) return;
    if (this.queue) {
      this.queue.push(f);
      return;
    }
    for (const l of this.listeners) l(f);
    switch (f.event) {
      case 'message':
        return this.onMessage(f);
      case 'notification':
        this.liveNotifications = [f, ...this.liveNotifications].slice(0, 200);
        if (this.user) this.user.unread += 1;
        return;
      case 'state':
        return this.onState(f);
    }
  }

  private onMessage(m: Message): void {
    let c = this.conversation(m.connection_id, m.conversation_id);
    if (!c && m.conversation_id !== '') {
      // A private message opens a conversation; the server also sends a `conversation` state.
      c = {
        connection_id: m.connection_id,
        conversation_id: m.conversation_id,
        name: m.conversation_id.startsWith('#') ? m.conversation_id : m.from || m.conversation_id,
        topic: '',
        frozen: '',
        unread: 0,
        notifications: 0,
        last_read: 0,
        is_private: !/^[#&!+]/.test(m.conversation_id),
        notify: defaultNotify(),
      };
      this.conversations.push(c);
      c = this.conversation(m.connection_id, m.conversation_id);
    }
    this.messages.add(m);
    if (m.from) saidSomething(this.typists, convKey(m.connection_id, m.conversation_id), m.from);
    if (!c) return;
    const counts = !m.self && ['private', 'action', 'notice'].includes(m.type);
    const words = announcement(m, c);
    if (words) this.announcement = words;
    if (this.isWatching(m.connection_id, m.conversation_id)) {
      this.markRead(m.connection_id, m.conversation_id);
    } else if (counts) {
      c.unread += 1;
      if (m.highlight) c.notifications += 1;
    }
    // The conversation's level and mute decide (the same choice as for pushes).
    if (counts && wants(c.notify, m.highlight, c.is_private) && (!this.visible || !this.isWatching(c.connection_id, c.conversation_id))) {
      const where = c.is_private ? m.from : `${m.from} in ${c.name}`;
      const silent = c.notify?.sound === false;
      this.notifier?.show(where, m.message, () => this.onOpen(m.connection_id, m.conversation_id), silent);
    }
  }

  private onState(f: State): void {
    if (f.type === 'error') return;
    if (f.type === 'prefs') {
      if (this.user) this.user.prefs = f.prefs;
      prefs.fromServer(f.prefs);
      return;
    }
    const cid = f.connection_id;
    const conn = this.connection(cid);
    const conversationId = 'conversation_id' in f ? f.conversation_id : undefined;
    const conv = conversationId === undefined ? undefined : this.conversation(cid, conversationId);
    const key = conversationId === undefined ? '' : convKey(cid, conversationId);
    switch (f.type) {
      case 'connection':
        if (conn) {
          conn.state = f.state;
          conn.message = f.message;
          this.noteRetry(conn);
        }
        break;
      case 'me':
        if (conn) {
          conn.nick = f.nick;
          conn.me = { ...conn.me, nick: f.nick };
        }
        break;
      case 'join': {
        const list = this.participants[key];
        const nick = f.nick;
        if (list && !list.some((p) => this.sameName(cid, p.nick, nick))) list.push({ nick, mode: '' });
        break;
      }
      case 'part':
      case 'kick': {
        const nick = f.nick;
        if (this.participants[key]) this.participants[key] = this.participants[key].filter((p) => !this.sameName(cid, p.nick, nick));
        break;
      }
      case 'quit': {
        const nick = f.nick;
        for (const k of Object.keys(this.participants)) {
          if (!k.startsWith(cid + '\n')) continue;
          const list = this.participants[k] ?? [];
          if (list.some((p) => this.sameName(cid, p.nick, nick))) {
            this.participants[k] = list.filter((p) => !this.sameName(cid, p.nick, nick));
          }
        }
        break;
      }
      case 'nick_change': {
        const old = f.old_nick;
        for (const k of Object.keys(this.participants)) {
          if (!k.startsWith(cid + '\n')) continue;
          for (const p of this.participants[k] ?? []) if (this.sameName(cid, p.nick, old)) p.nick = f.new_nick;
        }
        break;
      }
      case 'topic':
        if (conv) conv.topic = f.topic;
        break;
      case 'participants':
        this.participants[key] = f.participants;
        break;
      case 'whois':
        this.whois[key] = f.whois;
        break;
      case 'typing':
        applyTyping(this.typists, key, f.nick, f.state, Date.now());
        break;
      case 'presence': {
        // Away, account and online: on every member list of the connection and on the
        // private conversation with that nick.
        const p = f.presence;
        const nick = p.nick;
        for (const k of Object.keys(this.participants)) {
          if (!k.startsWith(cid + '\n')) continue;
          for (const m of this.participants[k] ?? []) {
            if (this.sameName(cid, m.nick, nick)) {
              m.away = p.away;
              m.account = p.account;
            }
          }
        }
        for (const c of this.conversations) {
          if (c.connection_id === cid && c.is_private && this.sameName(cid, c.name, nick)) c.presence = p;
        }
        break;
      }
      case 'frozen':
        if (conv) conv.frozen = f.frozen;
        break;
      case 'conversation': {
        const c = f.conversation;
        const existing = this.conversation(c.connection_id, c.conversation_id);
        if (existing) Object.assign(existing, c);
        else this.conversations.push(c);
        const p = this.pendingOpen;
        if (p && p.cid === c.connection_id && (this.sameName(p.cid, p.name, c.conversation_id) || this.sameName(p.cid, p.name, c.name))) {
          this.pendingOpen = null;
          this.onOpen(c.connection_id, c.conversation_id);
        }
        break;
      }
      case 'conversation_removed':
        this.conversations = this.conversations.filter((c) => convKey(c.connection_id, c.conversation_id) !== key);
        this.messages.drop(cid, f.conversation_id);
        break;
      case 'cleared':
        // `/clear history` here or in another tab: the stored lines are gone.
        this.messages.peek(cid, f.conversation_id)?.clear();
        if (conv) {
          conv.unread = 0;
          conv.notifications = 0;
        }
        break;
      case 'read':
        if (conv) {
          conv.last_read = f.last_read;
          // The server counts what came after `last_read`; the conversation on screen has none.
          const watching = this.isWatching(cid, conv.conversation_id);
          conv.unread = watching ? 0 : f.unread;
          conv.notifications = watching ? 0 : f.notifications;
        }
        // Mentions read in a conversation are read in the notification list too.
        if (this.user) this.user.unread = f.unread_notifications;
        break;
      case 'connection_added':
      case 'connection_update':
        this.upsertConnection(f.connection);
        break;
      case 'connection_removed':
        this.removeConnection(cid);
        break;
      case 'channel_list':
        // The channel browser fetches the list itself.
        break;

    }
  }

  upsertConnection(c: Connection): void {
    const existing = this.connection(c.connection_id);
    if (existing) Object.assign(existing, c);
    else this.connections.push(c);
  }

  removeConnection(cid: string): void {
    this.connections = this.connections.filter((c) => c.connection_id !== cid);
    this.conversations = this.conversations.filter((c) => c.connection_id !== cid);
  }
}

export const chat = new ChatStore();
