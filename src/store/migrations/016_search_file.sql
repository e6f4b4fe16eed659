-- Migration 16: the search index moves into a database file of its own, `search.db` beside
-- `convos.db` (SQLite only; PostgreSQL keeps its index in its own tables).
--
-- SQLite lets one connection write a database file at a time. With the index in this
-- file, storing rows and indexing them took turns on the writer's thread; an import
-- could use one of the machine's cores (issue 22: 72 k msg/s at 10 M, where inserts alone
-- ran at 155 k and indexing alone at 178 k). In its own file, the index is written by a
-- thread of its own (`store::indexer`) while the writer stores the next rows, and a live
-- line is never kept waiting behind an index chunk. Readers attach `search.db`, so the
-- search queries are unchanged.
--
-- `fts_pending` is how the writer tells the indexer, in the same transaction as the rows,
-- about what the indexer's high-water mark would miss: a row stored below ids already
-- given (a replayed or imported line placed by its time; op 0) and a row deleted (op 1).
-- The indexer keeps the last `seq` it has applied in `search.db`; the writer deletes
-- entries below it. The index itself is rebuilt from the rows in the background.
DROP TABLE messages_fts;
DELETE FROM meta WHERE key = 'fts_indexed_upto';
CREATE TABLE fts_pending (
  seq INTEGER PRIMARY KEY,
  id INTEGER NOT NULL,
  op INTEGER NOT NULL
);
-- Names this database in `search.db`, so an index built for another database is not used.
INSERT OR REPLACE INTO meta (key, value) VALUES ('search_id', abs(random()));
