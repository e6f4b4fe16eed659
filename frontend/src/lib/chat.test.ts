import { describe, expect, it, vi } from 'vitest';
import { ChatStore } from './chat.svelte';
import { MessageStore } from './messages.svelte';
import { message } from './fixtures';
import { DEFAULT_PREFS } from './prefs.svelte';
import type { Connection, Conversation, Event, Message, User } from './types';

const conn: Connection = {
  connection_id: 'irc-x',
  name: 'x',
  url: 'irc://x',
  nick: 'me',
  state: 'connected',
  wanted_state: 'connected',
  message: '',
  on_connect_commands: [],
  retention_days: 0,
  ignore: [],
  casemapping: 'rfc1459',
  me: { nick: 'me' },
  certificate: { fingerprint: null },
  server: { host: 'x', port: 6697, tls: true, nick: 'me', channels: [], account: '', sasl: null },
};
const conv = (id: string, o: Partial<Conversation> = {}): Conversation => ({
  connection_id: 'irc-x',
  conversation_id: id,
  name: id || 'x',
  topic: '',
  frozen: '',
  unread: 0,
  notifications: 0,
  last_read: 0,
  is_private: !id.startsWith('#') && id !== '',
  notify: { level: 'mentions', mute_until: null, sound: true },
  ...o,
});
const user: User = {
  email: 'a@b.c',
  uid: 1,
  roles: [],
  registered: '',
  highlight_keywords: [],
  auto_away: { message: '', minutes: 10 },
  quiet_hours: { enabled: false, start: '23:00', end: '07:00', time_zone: 'UTC', calls: true },
  prefs: DEFAULT_PREFS,
  unread: 0,
  default_connection: '',
  forced_connection: false,
  video_service: '',
  rtc: { ice_servers: [] },
  default_server: null,
  connections: [conn],
  conversations: [conv(''), conv('#b'), conv('#a'), conv('bob')],
};
let id = 100;
const msg = (o: Partial<Message>): Message => message({ id: id++, ...o });

function store() {
  const s = new ChatStore(new MessageStore(async () => ({ messages: [], end: true })));
  s.setUser(structuredClone(user));
  const show = vi.fn();
  s.notifier = { show };
  return { s, show };
}

describe('ChatStore', () => {
  it('orders networks: server, channels by name, then private', () => {
    const { s } = store();
    expect(s.ordered.map((c) => c.conversation_id)).toEqual(['', '#a', '#b', 'bob']);
  });

  it('follows on from the loaded state: events it reflects are skipped, the socket resumes after it', () => {
    const s = new ChatStore(new MessageStore(async () => ({ messages: [], end: true })));
    s.setUser({ ...structuredClone(user), seq: 10 });
    s.apply({ seq: 10, event: 'message', ...msg({ conversation_id: '#a', highlight: true }) });
    expect(s.conversation('irc-x', '#a')).toMatchObject({ unread: 0, notifications: 0 });
    s.apply({ seq: 11, event: 'message', ...msg({ conversation_id: '#a', highlight: true }) });
    expect(s.conversation('irc-x', '#a')).toMatchObject({ unread: 1, notifications: 1 });
    // Call signals are not in the loaded state: never skipped.
    const seen: string[] = [];
    s.listeners.add((f) => seen.push(f.event));
    s.apply({ seq: 9, event: 'rtc', type: 'signal' } as never);
    expect(seen).toEqual(['rtc']);
    const urls: string[] = [];
    s.connect(((url: string) => {
      urls.push(url);
      return { readyState: 0, send() {}, close() {}, onopen: null, onclose: null, onmessage: null, onerror: null };
    }) as never);
    expect(urls).toEqual([expect.stringMatching(/\/events\?since=10$/)]);
    s.disconnect();
  });

  it('counts unread and highlights for conversations not on screen', () => {
    const { s, show } = store();
    s.active = { cid: 'irc-x', conversation: '#b' };
    s.apply({ seq: 1, event: 'message', ...msg({}) });
    s.apply({ seq: 2, event: 'message', ...msg({ highlight: true }) });
    s.apply({ seq: 3, event: 'message', ...msg({ type: 'join' }) });
    s.apply({ seq: 4, event: 'message', ...msg({ self: true }) });
    expect(s.conversation('irc-x', '#a')).toMatchObject({ unread: 2, notifications: 1 });
    expect(show).toHaveBeenCalledTimes(1);
    s.apply({ seq: 5, event: 'message', ...msg({ conversation_id: 'bob' }) });
    expect(s.attention).toBe(2);
    expect(s.summary).toEqual({ mentions: 1, privates: 1, unread: 3 });
    expect(s.announcement).toMatch(/^Private message from /);
    expect(show).toHaveBeenCalledTimes(2);
  });

  it('remembers when an announced reconnect is due', () => {
    const { s } = store();
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      s.apply({ seq: 1, event: 'state', type: 'connection', connection_id: 'irc-x', state: 'disconnected', message: 'Ping timeout Reconnecting in 5s.' });
      expect(s.retryAt['irc-x']).toBe(1_005_000);
      s.apply({ seq: 2, event: 'state', type: 'connection', connection_id: 'irc-x', state: 'connecting', message: 'Connecting…' });
      expect(s.retryAt['irc-x']).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not count what is being watched', () => {
    const { s } = store();
    s.active = { cid: 'irc-x', conversation: '#A' };
    s.apply({ seq: 1, event: 'message', ...msg({}) });
    expect(s.conversation('irc-x', '#a')?.unread).toBe(0);
    s.visible = false;
    s.apply({ seq: 2, event: 'message', ...msg({}) });
    expect(s.conversation('irc-x', '#a')?.unread).toBe(1);
  });

  it('creates a private conversation on first message', () => {
    const { s } = store();
    s.apply({ seq: 1, event: 'message', ...msg({ conversation_id: 'carol', from: 'Carol' }) });
    expect(s.conversation('irc-x', 'carol')).toMatchObject({ is_private: true, name: 'Carol', unread: 1 });
  });

  it('applies state events', () => {
    const { s } = store();
    const st = (o: object) => s.apply({ event: 'state', connection_id: 'irc-x', ...o } as Event);
    st({ type: 'connection', state: 'disconnected', message: 'Connection refused' });
    expect(s.connection('irc-x')).toMatchObject({ state: 'disconnected', message: 'Connection refused' });
    st({ type: 'me', nick: 'me_' });
    expect(s.connection('irc-x')?.nick).toBe('me_');
    st({ type: 'topic', conversation_id: '#a', topic: 'new topic' });
    expect(s.conversation('irc-x', '#a')?.topic).toBe('new topic');
    st({ type: 'participants', conversation_id: '#a', participants: [{ nick: 'bob', mode: '@' }] });
    st({ type: 'join', conversation_id: '#a', nick: 'carol' });
    st({ type: 'nick_change', old_nick: 'carol', new_nick: 'caroline' });
    expect(s.participantsOf('irc-x', '#a').map((p) => p.nick)).toEqual(['bob', 'caroline']);
    st({ type: 'part', conversation_id: '#a', nick: 'bob', message: '' });
    st({ type: 'quit', nick: 'caroline', message: '' });
    expect(s.participantsOf('irc-x', '#a')).toEqual([]);
    st({ type: 'frozen', conversation_id: '#a', frozen: 'Cannot join: +k' });
    expect(s.conversation('irc-x', '#a')?.frozen).toBe('Cannot join: +k');
    st({ type: 'conversation', conversation: conv('#new', { topic: 't' }) });
    expect(s.conversation('irc-x', '#new')?.topic).toBe('t');
    st({ type: 'conversation_removed', conversation_id: '#new' });
    expect(s.conversation('irc-x', '#new')).toBeUndefined();
    s.conversation('irc-x', '#b')!.unread = 5;
    st({ type: 'read', conversation_id: '#b', last_read: 42, unread: 0, notifications: 0, unread_notifications: 0 });
    expect(s.conversation('irc-x', '#b')).toMatchObject({ unread: 0, last_read: 42 });
  });

  it('compares nicks the way the network does (CASEMAPPING)', () => {
    const { s } = store();
    const st = (o: object) => s.apply({ event: 'state', connection_id: 'irc-x', ...o } as Event);
    st({ type: 'participants', conversation_id: '#a', participants: [{ nick: 'Bob[away]', mode: '' }, { nick: 'x~', mode: '' }] });
    st({ type: 'join', conversation_id: '#a', nick: 'bob{AWAY}' });
    expect(s.participantsOf('irc-x', '#a')).toHaveLength(2);
    st({ type: 'part', conversation_id: '#a', nick: 'BOB{away}', message: '' });
    st({ type: 'quit', nick: 'X^', message: '' });
    expect(s.participantsOf('irc-x', '#a')).toEqual([]);
    // Under ascii, [ and { differ.
    s.connection('irc-x')!.casemapping = 'ascii';
    st({ type: 'participants', conversation_id: '#a', participants: [{ nick: 'Bob[away]', mode: '' }] });
    st({ type: 'part', conversation_id: '#a', nick: 'bob{away}', message: '' });
    expect(s.participantsOf('irc-x', '#a')).toHaveLength(1);
  });

  it('empties the open view on cleared and drops kicked members', async () => {
    const { s } = store();
    const buf = s.messages.get('irc-x', '#a');
    await buf.loadLatest();
    s.apply({ seq: 1, event: 'message', ...msg({ conversation_id: '#a', message: 'old' }) });
    expect(buf.messages.map((m) => m.message)).toEqual(['old']);
    s.apply({ seq: 2, event: 'state', type: 'cleared', connection_id: 'irc-x', conversation_id: '#a' });
    expect(buf.messages).toEqual([]);
    expect(s.conversation('irc-x', '#a')?.unread).toBe(0);
    s.apply({ event: 'state', type: 'participants', connection_id: 'irc-x', conversation_id: '#a', participants: [{ nick: 'bob', mode: '' }] });
    s.apply({ event: 'state', type: 'kick', connection_id: 'irc-x', conversation_id: '#a', nick: 'Bob', message: 'out' });
    expect(s.participantsOf('irc-x', '#a')).toEqual([]);
  });

  it('opens a conversation after /join when the server reports it', async () => {
    const { s } = store();
    const opened = vi.fn();
    s.onOpen = opened;
    const request = vi.fn(async () => ({ event: 'sent' }));
    (s as unknown as { socket: { request: typeof request } }).socket = { request };
    await s.send('irc-x', '', 'line one\n\n/join #Rust');
    expect(request).toHaveBeenCalledTimes(2);
    expect(request.mock.calls[1]).toEqual([{ method: 'send', connection_id: 'irc-x', conversation_id: '', message: '/join #Rust' }]);
    s.apply({ event: 'state', type: 'conversation', connection_id: 'irc-x', conversation: conv('#rust') });
    expect(opened).toHaveBeenCalledWith('irc-x', '#rust');
  });

  it('records live notifications', () => {
    const { s } = store();
    s.apply({ seq: 9, event: 'notification', ...msg({ highlight: true }) });
    expect(s.liveNotifications).toHaveLength(1);
    expect(s.user?.unread).toBe(1);
  });
});

describe('catching up', () => {
  it('finds the next unread conversation after the open one, wrapping', () => {
    const { s } = store();
    s.conversation('irc-x', '#a')!.unread = 2;
    s.conversation('irc-x', 'bob')!.unread = 1;
    s.active = { cid: 'irc-x', conversation: '#a' };
    expect(s.nextUnread()?.conversation_id).toBe('bob');
    s.active = { cid: 'irc-x', conversation: 'bob' };
    expect(s.nextUnread()?.conversation_id).toBe('#a');
  });

  it('marks everything read', () => {
    const { s } = store();
    s.conversation('irc-x', '#a')!.unread = 2;
    s.conversation('irc-x', '#b')!.notifications = 1;
    s.markAllRead();
    expect(s.summary).toEqual({ mentions: 0, privates: 0, unread: 0 });
  });
});
