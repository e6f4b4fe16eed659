-- Migration 3: per-user sender tokens in the search index.
--
-- The scope column now holds u<user>, c<cid> and u<user>n<hex of lowercase nick>: a
-- `from:` search is one doclist (that user's lines from that nick) instead of the
-- intersection of the nick's lines on every account with the user's. The index is
-- rebuilt from the messages table, which the writer does by itself (from id 0, in
-- batches, in the background); searches return partial results until it has caught up.
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, scope,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);
UPDATE meta SET value = 0 WHERE key = 'fts_indexed_upto';
