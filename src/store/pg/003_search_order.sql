-- The user's search index rows by id: the newest-first walk of `search::search_pg`
-- (GIN yields matches unordered; a frequent word is answered by walking these instead).
CREATE INDEX messages_fts_user ON messages_fts (user_id, id);
