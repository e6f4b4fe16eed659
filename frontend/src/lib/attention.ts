//! What needs the user elsewhere, in words: the page title and the menu button's dot both
//! count mentions in channels plus unread private messages (`ChatStore.attention`).

import { plural } from './plural';

export interface Attention {
  /** Highlights in channels and server conversations. */
  mentions: number;
  /** Unread messages in private conversations. */
  privates: number;
  /** Every unread message, mentions and private ones included. */
  unread: number;
}

/** The tab title: "(3) Convos" while something needs the user, else "Convos". */
export function pageTitle(a: Attention): string {
  const n = a.mentions + a.privates;
  return n > 0 ? `(${n}) Convos` : 'Convos';
}

/** The words for the menu button's dot, e.g. "1 unread mention"; '' when there is no dot. */
export function attentionLabel(a: Attention): string {
  const parts: string[] = [];
  if (a.mentions) parts.push(plural(a.mentions, 'unread mention'));
  if (a.privates) parts.push(plural(a.privates, 'unread private message'));
  if (parts.length) return parts.join(' and ');
  return a.unread ? plural(a.unread, 'unread message') : '';
}
