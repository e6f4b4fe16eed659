-- Migration 6: `convos import`. What has been imported, so that running an import again
-- stores nothing twice. A source is one file of the old server (a log file, identified by
-- its path under the imported home) or one message database; `upto` is how far it has
-- been taken: lines consumed for a file, the highest row id for a database. Each row is
-- written in the same transaction as the messages it covers.
CREATE TABLE import_marks (
  source TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  upto INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX import_marks_user ON import_marks(user_id);
