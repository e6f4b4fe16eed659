-- Migration 2: the full-text index over messages.
--
-- Contentless with delete support: the messages table stays the only copy of the text; the
-- index holds only terms and rowids (= messages.id), and the store deletes index entries
-- by rowid before deleting messages. Kept by the writer in deferred batches, not by
-- triggers (see store/search.rs for why and for the tokenizer choice).
--   text:  the message text (CJK characters spaced out so each is a token)
--   scope: tokens for the message's user (u<id>), conversation (c<cid>) and sender nick
--          (n<hex of lowercase nick>), so filters are doclist intersections.
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, scope,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- Every message with id <= fts_indexed_upto is in messages_fts. Updated in the same
-- transaction as the index, so after a crash the writer resumes from here.
INSERT INTO meta(key, value) VALUES ('fts_indexed_upto', 0);
