-- Migration 1: the base schema. Never edit a migration that has shipped: add a new one.
-- Times are unix milliseconds. JSON is stored as TEXT.

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  admin INTEGER NOT NULL DEFAULT 0,
  highlight_keywords TEXT NOT NULL DEFAULT '[]',
  settings TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Invites and password resets: one use, consumed with DELETE ... RETURNING.
CREATE TABLE tokens (
  token_hash TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  email TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE connections (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  url TEXT NOT NULL,
  nick TEXT NOT NULL,
  on_connect_commands TEXT NOT NULL DEFAULT '[]',
  wanted_state TEXT NOT NULL DEFAULT 'connected',
  state TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (user_id, id)
) WITHOUT ROWID;

-- cid is the compact key messages refer to, so that message rows and their indexes do not
-- repeat the connection and conversation names.
CREATE TABLE conversations (
  cid INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL,
  connection_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  key TEXT,
  topic TEXT NOT NULL DEFAULT '',
  wanted INTEGER NOT NULL DEFAULT 1,
  frozen TEXT,
  last_read INTEGER NOT NULL DEFAULT 0,
  unread INTEGER NOT NULL DEFAULT 0,
  highlights INTEGER NOT NULL DEFAULT 0,
  UNIQUE (user_id, connection_id, id),
  FOREIGN KEY (user_id, connection_id) REFERENCES connections(user_id, id)
    ON DELETE CASCADE ON UPDATE CASCADE
);

-- AUTOINCREMENT: ids are never reused, even after the newest rows are deleted, so a
-- browser resuming "after id N" can never be handed a different message under an old id.
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conv INTEGER NOT NULL REFERENCES conversations(cid) ON DELETE CASCADE,
  user_id INTEGER NOT NULL,
  time INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  nick TEXT NOT NULL,
  source TEXT,
  text TEXT NOT NULL,
  msgid TEXT,
  account TEXT,
  highlight INTEGER NOT NULL DEFAULT 0
);
-- Paging is by id within a conversation: this index is (conv, id).
CREATE INDEX messages_conv ON messages(conv);
-- Time cursors and retention: (conv, time, id).
CREATE INDEX messages_conv_time ON messages(conv, time);
-- chathistory replays: one row per msgid in a conversation.
CREATE UNIQUE INDEX messages_msgid ON messages(conv, msgid) WHERE msgid IS NOT NULL;

CREATE TABLE notifications (
  message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL,
  read INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications(user_id, message_id);

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
