-- Migration 13: the search index keyed by the negated message id, with settings for ingest
-- (SQLite only; PostgreSQL has its own index).
--
-- rowid = -id: searches want the newest matches first, and FTS5 walks a doclist forwards
-- much faster than backwards (backwards it decodes each page forwards first); with the
-- ids negated, newest first is its natural ascending order. At 10 M messages that took
-- phrase searches from p50 9.8 / p90 27 ms to 6.2 / 17 ms with the same results
-- (BENCHMARKS.md, "Issue 22, store").
--   hashsize 16 MiB: an index chunk (16 k rows, store/index.rs) becomes one new segment
--     instead of several (FTS5 writes a segment whenever its 1 MiB default buffer fills),
--     so there is less to merge later.
--   automerge 8: merge 8 segments of a level at once instead of 4, so each entry is
--     rewritten on fewer levels as the index grows.
-- Indexing 1 M rows in 16 k-row transactions: 169 k rows/s with the defaults, 240 k with
-- hashsize, 322 k with both.
--
-- The index is rebuilt from the messages table by the writer, in the background, as
-- after migrations 3 and 5; searches return partial results until it has caught up.
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, scope,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts(messages_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 8);
UPDATE meta SET value = 0 WHERE key = 'fts_indexed_upto';
