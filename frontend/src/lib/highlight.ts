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

/** Scripts written without spaces: the server indexes them one character at a time. */
const UNSPACED = /[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;

/**
 * The pattern of one search term, matching the way the server's index does: whole words
 * (`hist` does not mark "history"), a trailing `*` for a prefix (`hist*` does), and
 * characters of unspaced scripts anywhere.
 */
function termPattern(term: string): string | null {
  const prefix = term.endsWith('*');
  const word = prefix ? term.slice(0, -1) : term;
  if (!/[\p{L}\p{N}]/u.test(word)) return null;
  if (UNSPACED.test(word)) return escape(word);
  const tail = prefix ? '[\\p{L}\\p{N}]*' : '';
  return `(?<![\\p{L}\\p{N}])${escape(word)}${tail}(?![\\p{L}\\p{N}])`;
}

/** Splits `text` so that case-insensitive matches of `terms` are marked. */
export function splitHits(text: string, terms: string[]): Hit[] {
  const t = terms.map(termPattern).filter((p): p is string => p !== null);
  if (t.length === 0) return [{ text, hit: false }];
  const re = new RegExp(`(${t.join('|')})`, 'giu');
  // With one capturing group, split puts the matches at the odd indices.
  return text
    .split(re)
    .map((s, i) => ({ text: s, hit: i % 2 === 1 }))
    .filter((h) => h.text !== '');
}
