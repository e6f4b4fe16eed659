//! Records of uploaded files and pastes: who uploaded what, under which public id. The
//! bytes are on disk, named by their SHA-256, and belong to [`crate::files`]; this table
//! says which of them are still referenced.

use super::db::{params, Optional, Row};
use super::{now_ms, Result, Store};
use crate::model::UserId;

const COLS: &str = "id, user_id, sha256, name, content_type, size, thumbnail, created_at";

/// One upload by one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The public id in the link (128 random bits, base64url).
    pub id: String,
    pub user_id: UserId,
    /// Lower-case hex SHA-256 of the bytes: their name on disk.
    pub sha256: String,
    /// The name the uploader gave (cleaned).
    pub name: String,
    /// What it is served as.
    pub content_type: String,
    pub size: u64,
    /// A thumbnail exists (`<sha256>.thumb`).
    pub thumbnail: bool,
    /// Unix ms.
    pub created_at: i64,
}

fn from_row(r: &Row<'_>) -> Result<StoredFile> {
    Ok(StoredFile {
        id: r.get(0)?,
        user_id: UserId(r.get(1)?),
        sha256: r.get(2)?,
        name: r.get(3)?,
        content_type: r.get(4)?,
        size: r.get::<usize, i64>(5)?.max(0) as u64,
        thumbnail: r.get(6)?,
        created_at: r.get(7)?,
    })
}

/// What [`Store::add_file`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    Stored(StoredFile),
    /// Nothing stored: the user's files take `used` bytes already.
    OverQuota {
        used: u64,
    },
    /// Nothing stored: the user has the most files allowed.
    TooMany,
}

/// The most records [`Store::files_of`] returns (newest first).
pub const MAX_LISTED: usize = 1000;

impl Store {
    /// Stores `file` (its `created_at` is set now) unless the user's files would then take
    /// more than `quota` bytes or number more than `max_count`: nothing is stored then.
    /// The check and the insert are one transaction of the single writer, so parallel
    /// uploads cannot pass the limits together.
    pub async fn add_file(
        &self,
        mut file: StoredFile,
        quota: u64,
        max_count: u64,
    ) -> Result<Added> {
        file.created_at = now_ms();
        self.write(0, move |ctx| {
            let (used, count): (i64, i64) = ctx.conn.query_row(
                "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT), COUNT(*) FROM files WHERE user_id = ?1",
                [file.user_id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let used = used.max(0) as u64;
            if used.saturating_add(file.size) > quota {
                return Ok(Added::OverQuota { used });
            }
            if count.max(0) as u64 >= max_count {
                return Ok(Added::TooMany);
            }
            ctx.conn.execute(
                &format!("INSERT INTO files ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                params![
                    file.id,
                    file.user_id.0,
                    file.sha256,
                    file.name,
                    file.content_type,
                    i64::try_from(file.size).unwrap_or(i64::MAX),
                    file.thumbnail,
                    file.created_at
                ],
            )?;
            Ok(Added::Stored(file))
        })
        .await
    }

    /// The file with this public id, whoever uploaded it.
    pub async fn file(&self, id: &str) -> Result<Option<StoredFile>> {
        let id = id.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {COLS} FROM files WHERE id = ?1"))?
                .query_row([id], from_row)
                .optional()
        })
        .await
    }

    /// A user's files, newest first (at most [`MAX_LISTED`]), and the bytes all of them use.
    pub async fn files_of(&self, user: UserId) -> Result<(Vec<StoredFile>, u64)> {
        self.read(move |conn| {
            let files = conn
                .prepare_cached(&format!(
                    "SELECT {COLS} FROM files WHERE user_id = ?1 \
                     ORDER BY created_at DESC, id LIMIT ?2"
                ))?
                .query_map(params![user.0, MAX_LISTED as i64], from_row)?
                .collect::<Result<Vec<_>>>()?;
            let used: i64 = conn.query_row(
                "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE user_id = ?1",
                [user.0],
                |r| r.get(0),
            )?;
            Ok((files, used.max(0) as u64))
        })
        .await
    }

    /// Deletes `user`'s file `id`. Returns its record and whether any other record still
    /// uses the same bytes; `None` when the user has no such file.
    pub async fn delete_file(&self, user: UserId, id: &str) -> Result<Option<(StoredFile, bool)>> {
        let id = id.to_owned();
        self.write(0, move |ctx| {
            let Some(file) = ctx
                .conn
                .query_row(
                    &format!("DELETE FROM files WHERE id = ?1 AND user_id = ?2 RETURNING {COLS}"),
                    params![id, user.0],
                    from_row,
                )
                .optional()?
            else {
                return Ok(None);
            };
            let shared = ctx
                .conn
                .query_row(
                    "SELECT 1 FROM files WHERE sha256 = ?1 LIMIT 1",
                    [&file.sha256],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            Ok(Some((file, shared)))
        })
        .await
    }

    /// Whether any record uses the bytes `sha256`.
    pub async fn file_referenced(&self, sha256: &str) -> Result<bool> {
        let sha = sha256.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT 1 FROM files WHERE sha256 = ?1 LIMIT 1")?
                .query_row([sha], |_| Ok(()))
                .optional()?
                .is_some())
        })
        .await
    }
}
