//! The "Reconnecting in 3s." tail of a connection message. The server sends the message
//! once, when the connection drops; the UI counts the seconds down itself.

const RETRY = /^(.*?)\s*Reconnecting in (\d+)s\.?$/s;

export interface Retry {
  /** The reason before "Reconnecting in …" (may be empty). */
  reason: string;
  seconds: number;
}

/** The retry delay in `message`, or null when it announces none. */
export function parseRetry(message: string): Retry | null {
  const m = RETRY.exec(message.trim());
  if (!m) return null;
  return { reason: m[1] ?? '', seconds: Number(m[2]) };
}

/** Seconds left until `deadline` (ms since the epoch), rounded up, never negative. */
export function secondsLeft(deadline: number, now: number): number {
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

/** `message` with its countdown replaced by `left` seconds ("Reconnecting…" at zero). */
export function retryText(message: string, left: number): string {
  const r = parseRetry(message);
  if (!r) return message;
  const tail = left > 0 ? `Reconnecting in ${left}s.` : 'Reconnecting…';
  return r.reason ? `${r.reason} ${tail}` : tail;
}
