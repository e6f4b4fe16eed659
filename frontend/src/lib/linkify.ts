//! Finds links in plain message text. Only http, https and irc(s) links become links, so a
//! `javascript:` or `data:` target can never be produced from what someone typed. A bare
//! `www.host.tld` links to https://; other bare names (`file.txt`) stay text.

export interface Piece {
  text: string;
  /** Set when this piece is a link; always http(s):// or irc(s)://. */
  href?: string;
}

const URL_RE = /\b(?:https?|ircs?):\/\/[^\s<>"\x00-\x1f]+|(?<![\w.@/-])www\.[^\s<>"\x00-\x1f]+/gi;
/** A bare `www.` link: a host of dot-separated labels ending in a letter TLD, then a path or nothing. */
const WWW = /^www\.(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}(?::\d{1,5})?(?:[/?#]|$)/i;
const TRAILING = /[.,;:!?'"*]+$/;

/** Drops trailing punctuation and unbalanced closing brackets that end a sentence. */
function trim(url: string): string {
  let u = url.replace(TRAILING, '');
  for (const [open, close] of [['(', ')'], ['[', ']'], ['{', '}']] as const) {
    while (u.endsWith(close) && count(u, close) > count(u, open)) {
      u = u.slice(0, -1).replace(TRAILING, '');
    }
  }
  return u;
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/** True for an href the UI may link to. */
export function isSafeHref(href: string): boolean {
  try {
    const u = new URL(href);
    return ['http:', 'https:', 'irc:', 'ircs:'].includes(u.protocol);
  } catch {
    return false;
  }
}

/** Splits `text` into plain pieces and link pieces, in order. */
export function linkify(text: string): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const start = m.index ?? 0;
    const url = trim(m[0]);
    const bare = /^www\./i.test(url);
    if (bare && !WWW.test(url)) continue;
    const href = bare ? `https://${url}` : url;
    if (!url || !isSafeHref(href) || url.indexOf('//') === url.length - 2) continue;
    if (start > last) out.push({ text: text.slice(last, start) });
    out.push({ text: url, href });
    last = start + url.length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}
