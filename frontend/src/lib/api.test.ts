import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, messagesPath, query, setFetch, setOnUnauthorized } from './api';

afterEach(() => setFetch((...a) => fetch(...a)));

describe('api', () => {
  it('builds paths and queries', () => {
    expect(messagesPath('irc-x', '')).toBe('/api/connection/irc-x/messages');
    expect(messagesPath('irc-x', '#a b')).toBe('/api/connection/irc-x/conversation/%23a%20b/messages');
    expect(query({ before: 5, after: undefined, match: 'from:bob hi' })).toBe('?before=5&match=from%3Abob%20hi');
    expect(query({})).toBe('');
  });
  it('marks the server conversation read at its own path', async () => {
    const urls: string[] = [];
    setFetch((async (u: string) => {
      urls.push(u);
      return new Response('{}', { status: 200 });
    }) as typeof fetch);
    await api.markRead('irc-x', '');
    await api.markRead('irc-x', '#a', 7);
    expect(urls).toEqual(['/api/connection/irc-x/read', '/api/connection/irc-x/conversation/%23a/read']);
  });
  it('sends JSON on every POST and turns errors into ApiError', async () => {
    const calls: RequestInit[] = [];
    setFetch((async (_u: string, init: RequestInit) => {
      calls.push(init);
      return new Response(JSON.stringify({ errors: [{ message: 'Invalid email or password.', path: '/' }] }), { status: 400 });
    }) as typeof fetch);
    await expect(api.login('a@b.c', 'x')).rejects.toEqual(new ApiError(400, 'Invalid email or password.'));
    await expect(api.logout()).rejects.toBeInstanceOf(ApiError);
    expect(calls[1]).toMatchObject({ method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
  });
  it('reports 401 and network errors', async () => {
    const onAuth = vi.fn();
    setOnUnauthorized(onAuth);
    setFetch((async () => new Response('{"errors":[{"message":"Need to log in first."}]}', { status: 401 })) as typeof fetch);
    await expect(api.user()).rejects.toMatchObject({ status: 401 });
    expect(onAuth).toHaveBeenCalledTimes(1);
    setFetch((async () => {
      throw new TypeError('offline');
    }) as typeof fetch);
    await expect(api.user()).rejects.toMatchObject({ status: 0 });
  });
});
