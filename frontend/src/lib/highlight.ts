//! Search match highlighting as plain pieces (never HTML), and the query's filters.

export interface Hit {
  text: string;
  hit: boolean;
}

/** Splits a search query into free-text terms and `from:`/`in:` filters. */
export function parseQuery(q: string): { terms: string[]; from: string; in: string } {
  let from = '';
  let inn = '';
  const terms: string[] = [];
  for (const w of q.trim().split(/\s+/).filter(Boolean)) {
    const m = /^(from|in):(.+)$/i.exec(w);
    if (m?.[1]?.toLowerCase() === 'from') from = m[2] ?? '';
    else if (m) inn = m[2] ?? '';
    else terms.push(w.replace(/^"|"$/g, ''));
  }
  return { terms: terms.filter(Boolean), from, in: inn };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Splits `text` so that case-insensitive matches of `terms` are marked. */
export function splitHits(text: string, terms: string[]): Hit[] {
  const t = terms.filter(Boolean);
  if (t.length === 0) return [{ text, hit: false }];
  const re = new RegExp(`(${t.map(escape).join('|')})`, 'gi');
  // With one capturing group, split puts the matches at the odd indices.
  return text
    .split(re)
    .map((s, i) => ({ text: s, hit: i % 2 === 1 }))
    .filter((h) => h.text !== '');
}
