-- Message ids carry the order of the record: (unix ms << 10) + n, live lines in arrival
-- order, replayed lines placed by their time (see store/messages.rs). Existing messages are
-- renumbered in (time, id) order into ids above every old one, so the in-place update
-- cannot collide; read markers and notifications follow, the search index is rebuilt by the
-- writer's indexer from the rows.
CREATE TEMP TABLE renum (old INTEGER PRIMARY KEY, new INTEGER NOT NULL);

-- new(i) = max over j <= i of (t(j) + i - j): at least its own time's first id, and after
-- the previous row. t is floored above the largest old id and capped at the present.
INSERT INTO renum (old, new)
SELECT id, rn + max(t - rn) OVER (ORDER BY t, id ROWS UNBOUNDED PRECEDING)
FROM (
  SELECT id, t, row_number() OVER (ORDER BY t, id) AS rn
  FROM (
    SELECT id, max(
      min(max(time, 0), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) << 10,
      (SELECT coalesce(max(id), 0) + 1 FROM messages)
    ) AS t
    FROM messages
  )
);

UPDATE conversations SET last_read = coalesce(
  (SELECT max(r.new) FROM messages m JOIN renum r ON r.old = m.id
   WHERE m.conv = conversations.cid AND m.id <= conversations.last_read), 0);

PRAGMA defer_foreign_keys = ON;
UPDATE messages SET id = (SELECT new FROM renum WHERE old = messages.id);
UPDATE notifications SET message_id = (SELECT new FROM renum WHERE old = notifications.message_id);
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(id), 0) FROM messages))
  WHERE name = 'messages';

UPDATE conversations SET
  unread = (SELECT count(*) FROM messages m WHERE m.conv = conversations.cid
            AND m.id > conversations.last_read AND m.kind <= 2),
  highlights = (SELECT count(*) FROM messages m WHERE m.conv = conversations.cid
            AND m.id > conversations.last_read AND m.highlight = 1);

DROP TABLE renum;
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, scope,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);
UPDATE meta SET value = 0 WHERE key = 'fts_indexed_upto';
