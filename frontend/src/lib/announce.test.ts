import { describe, expect, it } from 'vitest';
import { announcement } from './announce';
import { message } from './fixtures';
import type { Message } from './types';

const chan = { name: '#busy', is_private: false };
const priv = { name: 'carol', is_private: true };
const m = (o: Partial<Message>): Message => message({ id: 1, from: 'carol', message: 'hi', ...o });

describe('announcement', () => {
  it('is quiet for ordinary channel lines', () => {
    expect(announcement(m({}), chan)).toBe('');
    expect(announcement(m({ type: 'notice' }), chan)).toBe('');
    expect(announcement(m({ type: 'join', highlight: true }), chan)).toBe('');
  });
  it('speaks mentions and private messages, not my own', () => {
    expect(announcement(m({ highlight: true, message: 'dana: \x02look\x02' }), chan)).toBe('Mention in #busy from carol: dana: look');
    expect(announcement(m({}), priv)).toBe('Private message from carol: hi');
    expect(announcement(m({ type: 'action', message: 'waves' }), priv)).toBe('Private message from carol waves');
    expect(announcement(m({ self: true }), priv)).toBe('');
  });
});
