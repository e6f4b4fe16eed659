-- PostgreSQL migration 2: several daemons on one database. Each running daemon has a row
-- (its id slot keeps the message ids it gives apart from the others'), and each user at
-- most one lease: the daemon that runs the user's IRC connections until `expires_ms`.

CREATE TABLE daemons (
  id TEXT PRIMARY KEY,
  slot INTEGER NOT NULL UNIQUE,
  url TEXT NOT NULL,
  heartbeat_ms BIGINT NOT NULL,
  started_ms BIGINT NOT NULL,
  users BIGINT NOT NULL DEFAULT 0,
  draining BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE user_leases (
  user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  daemon_id TEXT NOT NULL,
  expires_ms BIGINT NOT NULL
);
CREATE INDEX user_leases_daemon ON user_leases (daemon_id);
