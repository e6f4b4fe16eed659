//! The connect form's fields ⇄ an `irc://` URL as docs/api.md uses it:
//! `irc://[user:pass@]host:port[/%23chan,%23chan2]?nick=..&tls=1&sasl=plain`.

export interface ConnectFields {
  host: string;
  port: number;
  tls: boolean;
  nick: string;
  channels: string[];
  saslUser: string;
  saslPassword: string;
}

export const EMPTY: ConnectFields = {
  host: '',
  port: 6697,
  tls: true,
  nick: '',
  channels: [],
  saslUser: '',
  saslPassword: '',
};

/** Parses an `irc://` or `ircs://` URL; unknown parts are ignored, bad ones give null. */
export function parseIrcUrl(url: string): ConnectFields | null {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return null;
  }
  if (u.protocol !== 'irc:' && u.protocol !== 'ircs:') return null;
  const q = u.searchParams;
  const tlsParam = q.get('tls');
  const tls = u.protocol === 'ircs:' || (tlsParam !== null ? tlsParam !== '0' : u.port === '' || u.port === '6697');
  const path = decodeURIComponent(u.pathname.replace(/^\/+/, ''));
  const hash = u.hash ? decodeURIComponent(u.hash) : '';
  const channels = (path + hash)
    .split(/[,\s]+/)
    .map((c) => c.trim())
    .filter(Boolean)
    .map((c) => (/^[#&]/.test(c) ? c : '#' + c));
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : tls ? 6697 : 6667,
    tls,
    nick: q.get('nick') ?? '',
    channels,
    saslUser: decodeURIComponent(u.username),
    saslPassword: decodeURIComponent(u.password),
  };
}

/** Builds the URL the API takes. */
export function buildIrcUrl(f: ConnectFields): string {
  const auth = f.saslUser
    ? `${encodeURIComponent(f.saslUser)}${f.saslPassword ? ':' + encodeURIComponent(f.saslPassword) : ''}@`
    : '';
  const chans = f.channels.map((c) => c.trim()).filter(Boolean);
  const path = chans.length ? '/' + chans.map((c) => encodeURIComponent(c)).join(',') : '';
  const q = new URLSearchParams();
  if (f.nick) q.set('nick', f.nick);
  q.set('tls', f.tls ? '1' : '0');
  if (f.saslUser) q.set('sasl', 'plain');
  return `irc://${auth}${f.host.trim()}:${f.port}${path}?${q.toString()}`;
}

/** The usual port of plain IRC and of IRC over TLS. */
const PLAIN_PORT = 6667;
const TLS_PORT = 6697;

/** The port after the TLS box changes: a default port follows, one the user typed stays. */
export function portForTls(port: number, tls: boolean): number {
  if (tls && port === PLAIN_PORT) return TLS_PORT;
  if (!tls && port === TLS_PORT) return PLAIN_PORT;
  return port;
}

/**
 * `irc.example.org:6667` typed into the server field: the host and the port apart
 * (`[::1]:6697` too); `null` when there is no valid port in it.
 */
export function splitHostPort(host: string): { host: string; port: number } | null {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(host.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}
