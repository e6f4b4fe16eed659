-- Migration 4: per-connection history retention. NULL or 0 keeps every message; N deletes
-- the connection's messages older than N days (the daemon sweeps hourly).
ALTER TABLE connections ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;
