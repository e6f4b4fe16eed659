//! Link previews under messages: which link of a message gets one (the first http(s) link
//! that is not one of this server's uploads, which show their own thumbnail), and the
//! answers of `GET /api/preview`, asked once per URL per page and kept (bounded).

import { api } from './api';
import { linkify } from './linkify';
import type { LinkPreview } from './types';

/** The link of `text` to preview, if any. */
export function previewLink(text: string, origin: string): string | null {
  for (const p of linkify(text)) {
    if (!p.href || !/^https?:\/\//i.test(p.href)) continue;
    if (origin && p.href.startsWith(`${origin}/file/`)) continue;
    if (origin && p.href.startsWith(`${origin}/paste/`)) continue;
    return p.href;
  }
  return null;
}

const MAX = 500;
const answers = new Map<string, Promise<LinkPreview | null>>();

/** The preview of `url` (`null`: none), asked at most once while remembered. */
export function preview(url: string): Promise<LinkPreview | null> {
  let p = answers.get(url);
  if (!p) {
    p = api.preview(url).then(
      (r) => (r.kind === 'none' ? null : r),
      () => null,
    );
    if (answers.size >= MAX) {
      const oldest = answers.keys().next().value;
      if (oldest !== undefined) answers.delete(oldest);
    }
    answers.set(url, p);
  }
  return p;
}
