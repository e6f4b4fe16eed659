//! Links to files uploaded to this server, found in message text: their thumbnails are
//! shown under the message (the server answers 204, no content, for files that are not
//! images).

const FILE = /\/file\/([A-Za-z0-9_-]{22})(?=$|[\s)>\]}.,;!?'"])/g;

/** The links in `text` to files on `origin` (e.g. `https://chat.example.com`), at most 3. */
export function fileLinks(text: string, origin: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(FILE)) {
    const start = (m.index ?? 0) - origin.length;
    if (start < 0 || text.slice(start, m.index) !== origin) continue;
    const url = origin + m[0];
    if (!out.includes(url)) out.push(url);
    if (out.length === 3) break;
  }
  return out;
}
