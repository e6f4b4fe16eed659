//! Test data shared by the unit tests (not part of the app bundle: only tests import it).

import type { Message } from './types';

let nextId = 1;

/** A message with plain defaults (a fresh id each time); each test file sets what it needs. */
export function message(o: Partial<Message> = {}): Message {
  return {
    id: nextId++,
    connection_id: 'irc-x',
    conversation_id: '#a',
    ts: '2026-01-01T00:00:00Z',
    type: 'private',
    from: 'bob',
    message: 'hi',
    highlight: false,
    self: false,
    ...o,
  };
}
