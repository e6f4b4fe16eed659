//! The Lounge's per-user message database (`logs/<user>.sqlite3`, table `messages`: id,
//! network uuid, lowercase channel name, time in ms, type, the message as JSON, msgid),
//! read for `convos import thelounge`. Opened read-only and never written: no migration,
//! no checkpoint; without a `-wal` file beside it the file is opened immutable, so not even
//! a `-shm` file appears in the source tree.

use super::{Error, Result};
use rusqlite::{params, OpenFlags};
use std::path::Path;

/// One stored message of The Lounge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: i64,
    /// The network's uuid.
    pub network: String,
    /// The channel or query name, lowercase.
    pub channel: String,
    /// Unix ms.
    pub time: i64,
    /// `message`, `action`, `join`, ...
    pub kind: String,
    /// The message object as JSON (`from`, `text`, `hostmask`, ...).
    pub msg: String,
    pub msgid: Option<String>,
}

/// A read-only handle on one The Lounge message database.
pub struct Db {
    conn: rusqlite::Connection,
    has_msgid: bool,
}

impl Db {
    /// Opens `path` read-only; [`Error::Corrupt`] when it is not a The Lounge database.
    pub fn open(path: &Path) -> Result<Db> {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mode = if Path::new(&wal).exists() {
            "mode=ro"
        } else {
            "immutable=1"
        };
        let encoded: String = path
            .to_string_lossy()
            .chars()
            .map(|c| match c {
                '%' => "%25".to_owned(),
                '?' => "%3f".to_owned(),
                '#' => "%23".to_owned(),
                c => c.to_string(),
            })
            .collect();
        let uri = format!("file:{encoded}?{mode}");
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = rusqlite::Connection::open_with_flags(&uri, flags)
            .map_err(|e| super::corrupt_or(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut has_msgid = false;
        let mut has_messages = false;
        {
            let mut stmt = conn
                .prepare("SELECT name FROM pragma_table_info('messages')")
                .map_err(|e| super::corrupt_or(path, e))?;
            let cols = stmt
                .query_map(params![], |r| r.get::<_, String>(0))
                .map_err(|e| super::corrupt_or(path, e))?;
            for c in cols {
                let c = c.map_err(|e| super::corrupt_or(path, e))?;
                has_messages = true;
                has_msgid |= c == "msgid";
            }
        }
        if !has_messages {
            return Err(Error::Corrupt {
                path: path.to_owned(),
                detail: "no messages table".into(),
            });
        }
        Ok(Db { conn, has_msgid })
    }

    /// How many rows have an id above `after`.
    pub fn count_after(&self, after: i64) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM messages WHERE id > ?1",
            [after],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// Up to `limit` rows with an id above `after`, by id.
    pub fn rows_after(&self, after: i64, limit: usize) -> Result<Vec<Row>> {
        let sql = format!(
            "SELECT id, coalesce(network, ''), coalesce(channel, ''), coalesce(time, 0), \
             coalesce(type, ''), coalesce(msg, ''), {} FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2",
            if self.has_msgid { "msgid" } else { "NULL" }
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![after, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok(Row {
                    id: r.get(0)?,
                    network: text(r, 1)?,
                    channel: text(r, 2)?,
                    time: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                    kind: text(r, 4)?,
                    msg: text(r, 5)?,
                    msgid: r.get::<_, Option<String>>(6).ok().flatten(),
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// `(type, msg JSON)` of the rows of one channel at exactly `time` (ms), by id.
    pub fn at_time(
        &self,
        network: &str,
        channel: &str,
        time: i64,
    ) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT coalesce(type, ''), coalesce(msg, '') FROM messages \
             WHERE network = ?1 AND channel = ?2 AND time = ?3 ORDER BY id LIMIT 64",
        )?;
        let rows = stmt.query_map(params![network, channel, time], |r| {
            Ok((text(r, 0)?, text(r, 1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// A text column that may hold anything SQLite stores (The Lounge wrote it from
/// JavaScript): invalid UTF-8 is replaced, numbers are spelled out.
fn text(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<String> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Null => String::new(),
    })
}
