// Names compared the way the IRC network does (its ISUPPORT CASEMAPPING, which the server
// sends with each connection): `[` and `{` are the same letter under rfc1459. Mirrors
// irc-proto's `CaseMapping::fold`; both sides test against proto/tests/data/casemapping.json.

/** `s` folded to lower case under `mapping` (unknown names: rfc1459, as the server does). */
export function fold(mapping: string | undefined, s: string): string {
  const m = mapping === 'ascii' || mapping === 'rfc1459-strict' || mapping === 'rfc8265' ? mapping : 'rfc1459';
  let out = '';
  for (const ch of s) {
    if (ch >= 'A' && ch <= 'Z') out += ch.toLowerCase();
    else if (m !== 'ascii' && m !== 'rfc8265' && (ch === '[' || ch === ']' || ch === '\\')) out += ch === '[' ? '{' : ch === ']' ? '}' : '|';
    else if (m === 'rfc1459' && ch === '~') out += '^';
    else if (m === 'rfc8265' && ch > '\x7f') out += [...ch.toLowerCase()][0] ?? ch;
    else out += ch;
  }
  return out;
}

/** Whether `a` and `b` name the same nick or channel under `mapping`. */
export function same(mapping: string | undefined, a: string, b: string): boolean {
  return a === b || fold(mapping, a) === fold(mapping, b);
}
