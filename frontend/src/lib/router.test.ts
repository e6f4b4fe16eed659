import { describe, expect, it } from 'vitest';
import { chatPath, interceptLinks, matchRoute, router } from './router.svelte';

describe('matchRoute', () => {
  const table: [string, string, unknown][] = [
    ['/', '', { name: 'chat', cid: null, conversation: '', around: null }],
    ['/login', '', { name: 'login' }],
    ['/register', '?email=a%40b.c&token=t1', { name: 'register', email: 'a@b.c', token: 't1', reset: false }],
    ['/register', '?email=a%40b.c&token=t2&reset=1', { name: 'register', email: 'a@b.c', token: 't2', reset: true }],
    ['/connect', '?url=irc%3A%2F%2Fx%2F%23y', { name: 'connect', url: 'irc://x/#y' }],
    ['/chat/irc-libera', '', { name: 'chat', cid: 'irc-libera', conversation: '', around: null }],
    ['/chat/irc-libera/%23convos', '?around=42', { name: 'chat', cid: 'irc-libera', conversation: '#convos', around: 42 }],
    ['/chat/irc-libera/%23convos', '?around=x', { name: 'chat', cid: 'irc-libera', conversation: '#convos', around: null }],
    ['/chat/c/%E0%A4%A', '', { name: 'chat', cid: 'c', conversation: '%E0%A4%A', around: null }],
    ['/search', '?q=from%3Abob', { name: 'search', q: 'from:bob' }],
    ['/notifications', '', { name: 'notifications' }],
    ['/help', '', { name: 'help' }],
    ['/channels/irc-x', '', { name: 'channels', cid: 'irc-x' }],
    ['/settings', '', { name: 'settings', section: 'account', cid: '' }],
    ['/settings/admin', '', { name: 'settings', section: 'admin', cid: '' }],
    ['/settings/display', '', { name: 'settings', section: 'display', cid: '' }],
    ['/settings/connection/irc-x', '', { name: 'settings', section: 'connection', cid: 'irc-x' }],
    ['/nope', '', { name: 'notfound', path: '/nope' }],
  ];
  for (const [path, search, want] of table) {
    it(path + search, () => expect(matchRoute(path, search)).toEqual(want));
  }
  it('builds chat paths that round-trip', () => {
    const p = chatPath('irc-libera', '#convos', 7);
    expect(p).toBe('/chat/irc-libera/%23convos?around=7');
    const [path, search] = p.split('?');
    expect(matchRoute(path!, '?' + search)).toMatchObject({ conversation: '#convos', around: 7 });
    expect(chatPath('c', '')).toBe('/chat/c');
  });
});

describe('router', () => {
  it('pushes history and follows popstate', () => {
    router.start();
    router.go('/search?q=hi');
    expect(location.pathname).toBe('/search');
    expect(router.route).toEqual({ name: 'search', q: 'hi' });
    router.go('/login', true);
    expect(router.route).toEqual({ name: 'login' });
  });
  it('intercepts plain clicks on local links only', () => {
    const a = document.createElement('a');
    a.href = '/notifications';
    a.setAttribute('href', '/notifications');
    document.body.append(a);
    const ev = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 });
    a.addEventListener('click', interceptLinks);
    a.dispatchEvent(ev);
    expect(ev.defaultPrevented).toBe(true);
    expect(router.route.name).toBe('notifications');
    const ext = document.createElement('a');
    ext.setAttribute('href', 'https://example.com');
    ext.addEventListener('click', (e) => {
      interceptLinks(e);
      e.preventDefault();
    });
    document.body.append(ext);
    ext.click();
    expect(router.route.name).toBe('notifications');
  });
  it('routes links that carry the base path (served under /chat/)', () => {
    const base = document.createElement('base');
    base.setAttribute('href', '/chat/');
    document.head.append(base);
    try {
      const a = document.createElement('a');
      a.setAttribute('href', '/chat/settings/account');
      document.body.append(a);
      a.addEventListener('click', interceptLinks);
      const ev = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 });
      a.dispatchEvent(ev);
      expect(ev.defaultPrevented).toBe(true);
      expect(router.route).toMatchObject({ name: 'settings', section: 'account' });
      expect(location.pathname).toBe('/chat/settings/account');
      const api = document.createElement('a');
      api.setAttribute('href', '/chat/api/oidc/x/start');
      document.body.append(api);
      api.addEventListener('click', interceptLinks);
      const ev2 = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 });
      api.dispatchEvent(ev2);
      expect(ev2.defaultPrevented).toBe(false);
    } finally {
      base.remove();
    }
  });
});
