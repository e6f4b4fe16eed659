-- Migration 15: users' words are terms of their own in the search index (SQLite only;
-- PostgreSQL has its own index).
--
-- The text is now indexed as `index::user_tokens`: each word with the key of the user's
-- words in front (`7xhello`, the user id mod 32), and searches ask for the same terms. A
-- phrase costs FTS5 a step per message holding its rarer word; in one index for everyone,
-- a phrase of two frequent words walked the matches of every user, and at 10 M messages of
-- 20 users it was the slowest search by far (issue 22, BENCHMARKS.md). Keyed, a search
-- reads the doclists of a 32nd of the users. Past 32 users keys are shared: every distinct
-- term costs the index, and a key per user made indexing for 1 000 users 2.7 times slower.
--
-- Its tokenizer now counts combining marks (categories M*) as parts of words, as
-- `user_tokens` does: every character that starts or continues a word there is one for
-- FTS5 too, so the key in front of a word always reaches all of it. Words of scripts with
-- vowel signs (Devanagari, Bengali, Tamil, ...) are whole terms now instead of pieces.
--
-- The index is rebuilt from the rows by the writer's indexer in the background, as after
-- migration 13 (the rows stay the only copy of the text); searches find the rows indexed
-- so far until it is done. The settings are those of migration 13.
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, scope,
  content = '', contentless_delete = 1,
  tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);
INSERT INTO messages_fts(messages_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 8);
UPDATE meta SET value = 0 WHERE key = 'fts_indexed_upto';
