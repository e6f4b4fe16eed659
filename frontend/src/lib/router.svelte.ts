//! A tiny client-side router on `history.pushState`. `matchRoute` is pure; `router` holds
//! the current route as reactive state. The server serves index.html for unknown paths.

import { stripBase, withBase } from './base';

export type Route =
  | { name: 'login' }
  | { name: 'register'; email: string; token: string; reset: boolean }
  | { name: 'connect'; url: string }
  | { name: 'chat'; cid: string | null; conversation: string; around: number | null }
  | { name: 'search'; q: string }
  | { name: 'notifications' }
  | { name: 'help' }
  | { name: 'channels'; cid: string }
  | { name: 'settings'; section: 'account' | 'display' | 'files' | 'connection' | 'admin'; cid: string }
  | { name: 'notfound'; path: string };

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The route for a path and query string. */
export function matchRoute(pathname: string, search = ''): Route {
  const q = new URLSearchParams(search);
  const parts = pathname.split('/').filter(Boolean).map(decode);
  const [first, second, third] = parts;
  switch (first) {
    case undefined:
      return { name: 'chat', cid: null, conversation: '', around: null };
    case 'login':
      return { name: 'login' };
    case 'register':
      return { name: 'register', email: q.get('email') ?? '', token: q.get('token') ?? '', reset: q.get('reset') === '1' };
    case 'connect':
      return { name: 'connect', url: q.get('url') ?? '' };
    case 'chat': {
      const around = Number(q.get('around'));
      return {
        name: 'chat',
        cid: second ?? null,
        conversation: third ?? '',
        around: Number.isFinite(around) && around > 0 ? around : null,
      };
    }
    case 'search':
      return { name: 'search', q: q.get('q') ?? '' };
    case 'notifications':
      return { name: 'notifications' };
    case 'help':
      return { name: 'help' };
    case 'channels':
      return second ? { name: 'channels', cid: second } : { name: 'notfound', path: pathname };
    case 'settings':
      if (second === 'admin') return { name: 'settings', section: 'admin', cid: '' };
      if (second === 'display') return { name: 'settings', section: 'display', cid: '' };
      if (second === 'files') return { name: 'settings', section: 'files', cid: '' };
      if (second === 'connection' && third) return { name: 'settings', section: 'connection', cid: third };
      if (second === undefined || second === 'account') return { name: 'settings', section: 'account', cid: '' };
      return { name: 'notfound', path: pathname };
    default:
      return { name: 'notfound', path: pathname };
  }
}

const enc = encodeURIComponent;

/** The path of a conversation, optionally around a message id. */
export function chatPath(cid: string, conversation: string, around?: number): string {
  const base = conversation ? `/chat/${enc(cid)}/${enc(conversation)}` : `/chat/${enc(cid)}`;
  return around ? `${base}?around=${around}` : base;
}

class Router {
  route = $state<Route>(matchRoute('/'));

  /** Reads the browser's location and follows back/forward. */
  start(): () => void {
    this.sync();
    const onPop = () => this.sync();
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }

  sync(): void {
    this.route = matchRoute(stripBase(location.pathname), location.search);
  }

  /** Goes to `path`, an app path (pushing history unless `replace`). */
  go(path: string, replace = false): void {
    if (path === stripBase(location.pathname) + location.search) {
      this.sync();
      return;
    }
    if (replace) history.replaceState(null, '', withBase(path));
    else history.pushState(null, '', withBase(path));
    this.sync();
  }
}

export const router = new Router();

/** Click handler for same-origin links: routes without a page load. */
export function interceptLinks(ev: MouseEvent): void {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = (ev.target as Element | null)?.closest?.('a');
  if (!a || a.target || a.hasAttribute('download')) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/') || href.startsWith('//')) return;
  // Links carry the base path (so a new tab opens the right page); routes do not.
  const path = stripBase(href);
  if (path.startsWith('/api')) return;
  ev.preventDefault();
  router.go(path);
}
