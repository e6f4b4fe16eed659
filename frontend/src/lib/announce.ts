//! What the screen-reader live region says for a new message: only what is for the user
//! (a mention, a private message), never every line of a busy channel.

import { stripFormatting } from './formatting';
import type { Conversation, Message } from './types';

const SPOKEN = new Set(['private', 'action', 'notice']);

/** The words to announce for `m` arriving in `c`, or '' to stay quiet. */
export function announcement(m: Message, c: Pick<Conversation, 'name' | 'is_private'>): string {
  if (m.self || !SPOKEN.has(m.type) || !(m.highlight || c.is_private)) return '';
  const text = stripFormatting(m.message);
  const said = m.type === 'action' ? `${m.from} ${text}` : `${m.from}: ${text}`;
  return c.is_private ? `Private message from ${said}` : `Mention in ${c.name} from ${said}`;
}
