-- Migration 14: message ids without AUTOINCREMENT (SQLite only).
--
-- AUTOINCREMENT made every insert of a message also rewrite the messages row of
-- sqlite_sequence: one more WAL page in every commit, and most commits of live traffic hold
-- one or two lines (BENCHMARKS.md, issue 22). The writer gives every id itself and keeps the
-- high-water mark in meta `max_message_id` instead, reserved ahead and written about once a
-- second, as on PostgreSQL, so ids are still never reused after the newest rows are deleted.
--
-- The table's pages are the same with or without AUTOINCREMENT (an INTEGER PRIMARY KEY is the
-- rowid either way), so only the schema's text changes: edited in place with
-- writable_schema (as SQLite's ALTER TABLE documentation describes for changes that leave
-- the stored format alone) rather than rebuilding a table that may hold 10 M rows.
-- `writable_schema = RESET` reloads this connection's schema; the table created and dropped
-- after it bumps the schema cookie for every other connection.
INSERT OR REPLACE INTO meta (key, value) VALUES ('max_message_id', max(
  coalesce((SELECT max(id) FROM messages), 0),
  coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0),
  coalesce((SELECT value FROM meta WHERE key = 'max_message_id'), 0)));
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
  SET sql = replace(sql, 'id INTEGER PRIMARY KEY AUTOINCREMENT', 'id INTEGER PRIMARY KEY')
  WHERE type = 'table' AND name = 'messages';
PRAGMA writable_schema = RESET;
DELETE FROM sqlite_sequence WHERE name = 'messages';
CREATE TABLE migration_014 (x);
DROP TABLE migration_014;
