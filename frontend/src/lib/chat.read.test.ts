import { afterEach, describe, expect, it, vi } from 'vitest';

const markRead = vi.fn(async (..._args: unknown[]) => ({}));
vi.mock('./api', () => ({ api: { markRead: (...a: unknown[]) => markRead(...a) } }));

const { ChatStore } = await import('./chat.svelte');
const { MessageStore } = await import('./messages.svelte');
import { message } from './fixtures';
import type { Conversation, Message } from './types';

const conv = (o: Partial<Conversation> = {}): Conversation => ({
  connection_id: 'irc-x',
  conversation_id: '#a',
  name: '#a',
  topic: '',
  frozen: '',
  unread: 2,
  notifications: 0,
  last_read: 3,
  is_private: false,
  notify: { level: 'mentions', mute_until: null, sound: true },
  ...o,
});
const msg = (id: number): Message => message({ id });

describe('marking read', () => {
  afterEach(() => {
    vi.useRealTimers();
    markRead.mockClear();
  });

  it('names the newest shown message, never the server default', async () => {
    vi.useFakeTimers();
    const s = new ChatStore(new MessageStore(async () => ({ messages: [msg(7), msg(9)], end: true })));
    s.conversations = [conv()];
    await s.messages.get('irc-x', '#a').loadLatest();
    s.markRead('irc-x', '#a');
    expect(s.conversations[0]).toMatchObject({ unread: 0, last_read: 9 });
    vi.advanceTimersByTime(600);
    expect(markRead).toHaveBeenCalledWith('irc-x', '#a', 9);
  });

  it('takes unread counts from a read event unless the conversation is on screen', () => {
    const s = new ChatStore(new MessageStore(async () => ({ messages: [], end: true })));
    s.conversations = [conv({ unread: 9 })];
    s.apply({ event: 'state', type: 'read', connection_id: 'irc-x', conversation_id: '#a', last_read: 5, unread: 1, notifications: 1, unread_notifications: 0 });
    expect(s.conversations[0]).toMatchObject({ last_read: 5, unread: 1, notifications: 1 });
    s.active = { cid: 'irc-x', conversation: '#a' };
    s.apply({ event: 'state', type: 'read', connection_id: 'irc-x', conversation_id: '#a', last_read: 6, unread: 1, notifications: 1, unread_notifications: 0 });
    expect(s.conversations[0]).toMatchObject({ last_read: 6, unread: 0, notifications: 0 });
  });
});

describe('marking read before history loads', () => {
  it('waits for the history and then names its newest message', async () => {
    vi.useFakeTimers();
    const s = new ChatStore(new MessageStore(async () => ({ messages: [msg(11)], end: true })));
    s.conversations = [conv({ last_read: 2 ** 62 })];
    s.markRead('irc-x', '#a');
    vi.advanceTimersByTime(600);
    expect(markRead).not.toHaveBeenCalled();
    await s.messages.get('irc-x', '#a').loadLatest();
    vi.advanceTimersByTime(600);
    expect(markRead).toHaveBeenCalledWith('irc-x', '#a', 11);
    vi.useRealTimers();
    markRead.mockClear();
  });
});
