-- Web Push: one row per browser (device) a user enabled push on, with the keys its push
-- service needs (RFC 8291). The endpoint is unique: a browser signing in as another user
-- hands its subscription over. Per-conversation notification choices (level, mute, sound)
-- as a small JSON object on the conversation.
CREATE TABLE IF NOT EXISTS push_subscriptions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  endpoint TEXT NOT NULL UNIQUE,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX IF NOT EXISTS push_subscriptions_user ON push_subscriptions(user_id);
ALTER TABLE conversations ADD COLUMN notify TEXT NOT NULL DEFAULT '{}';
