//! Connect-form helpers. The server reads and builds `irc://` URLs (`GET /api/irc-url`,
//! `server` in `POST /api/connections`); the browser only moves the port with the TLS box
//! and splits `host:port` typed into one field.

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
