//! The path the app is served under: `/`, or a sub-path such as `/chat/` behind a reverse
//! proxy. The server writes it into index.html as `<base href>` (from CONVOS_REQUEST_BASE
//! or a trusted proxy's X-Forwarded-Prefix); the app's own paths (`/settings`, `/api/user`)
//! stay absolute in the code and go through these helpers at the edges (router, API
//! client, WebSocket). Pure apart from reading the `<base>` element.

/** The base path, always starting and ending with `/`. */
export function basePath(doc: Document | undefined = typeof document === 'undefined' ? undefined : document): string {
  const href = doc?.querySelector('base')?.getAttribute('href') ?? '/';
  return /^\/([A-Za-z0-9._~-]+\/)*$/.test(href) ? href : '/';
}

/** An app path (`/settings/account`) as a path under the base (`/chat/settings/account`). */
export function withBase(path: string, base = basePath()): string {
  return base === '/' || !path.startsWith('/') ? path : base + path.slice(1);
}

/** A location's pathname as an app path: the base stripped (`/chat/x` → `/x`). */
export function stripBase(pathname: string, base = basePath()): string {
  if (base === '/') return pathname;
  if (pathname.startsWith(base)) return '/' + pathname.slice(base.length);
  if (pathname + '/' === base) return '/';
  return pathname;
}
