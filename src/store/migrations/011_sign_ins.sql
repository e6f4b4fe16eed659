-- How each user signs in (shown to admins): one row per method and provider, with the
-- first and last time. And, per browser session started by OpenID Connect, the provider
-- and its ID token (the hint for RP-initiated logout); keyed by the session's token hash
-- without a foreign key (sessions may be rebuilt by later migrations): rows whose session
-- is gone are ignored and swept. IF NOT EXISTS: harmless if run twice.
CREATE TABLE IF NOT EXISTS sign_ins (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  method TEXT NOT NULL CHECK (method IN ('password', 'oidc', 'ldap', 'proxy')),
  provider TEXT NOT NULL DEFAULT '',
  first_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, method, provider)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS oidc_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  id_token TEXT,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS oidc_sessions_user ON oidc_sessions(user_id);
