-- Migration 7: uploaded files and pastes. The bytes live on disk under
-- CONVOS_HOME/uploads, named by their SHA-256 (one copy for equal content); a row is one
-- upload by one user, with the public id of its link (128 random bits). Deleting the row
-- (by its owner, or with the user) makes the bytes unreferenced: the daemon removes them.
CREATE TABLE files (
  id TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  -- 1: a thumbnail was made (an image the server could decode).
  thumbnail INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX files_user ON files(user_id, created_at);
CREATE INDEX files_sha256 ON files(sha256);
