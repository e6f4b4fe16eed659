//! Login sessions: stored as the SHA-256 hex of the cookie token (callers hash), with the
//! device (User-Agent, address) they were opened from and when they were last used, so the
//! user can list them and end any one.
//!
//! A session is named in the API by the first [`SESSION_ID_LEN`] hex digits of its hash:
//! it tells nothing about the cookie, and only the session's owner ever sees it.

use super::db::{params, Optional};
use super::{now_ms, Error, Result, Store};
use crate::model::{User, UserId};

/// The user's columns (`accounts::USER_COLS`) and the session's `last_seen` of an
/// unexpired session: built once, asked by every signed-in request.
/// Also where `last_seen` is in its row.
static SESSION_WITH_USER: std::sync::LazyLock<(String, usize)> = std::sync::LazyLock::new(|| {
    let cols: Vec<String> = super::accounts::USER_COLS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect();
    let sql = format!(
        "SELECT {}, s.last_seen FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        cols.join(", ")
    );
    (sql, cols.len())
});

/// Hex digits of the token hash that name a session (64 bits).
pub const SESSION_ID_LEN: usize = 16;
/// Sessions listed at most (the newest used first).
const MAX_LISTED: i64 = 200;

/// Where a session was opened: the browser's `User-Agent` and the client's address, both
/// as received (the web layer bounds them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionDevice {
    pub user_agent: String,
    pub address: String,
}

/// One live session, as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub token_hash: String,
    pub device: SessionDevice,
    /// Unix times in milliseconds; `last_seen` 0: not used since it was opened (or opened
    /// before last-seen times were kept).
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
}

impl Store {
    /// Stores a session: `token_hash` is the SHA-256 hex of the cookie token.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: UserId,
        expires_at: i64,
        device: &SessionDevice,
    ) -> Result<()> {
        let hash = token_hash.to_owned();
        let device = device.clone();
        self.write(0, move |ctx| {
            let now = now_ms();
            ctx.conn
                .execute(
                    "INSERT INTO sessions (token_hash, user_id, expires_at, created_at, last_seen, user_agent, address) \
                     VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
                    params![hash, user_id.0, expires_at, now, device.user_agent, device.address],
                )
                .map_err(|e| match super::db::Conn::is_constraint_violation(&e) {
                    true => Error::NotFound("user"),
                    false => e,
                })?;
            Ok(())
        })
        .await
    }

    /// The user of an unexpired session.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<UserId>> {
        Ok(self.session(token_hash).await?.map(|(user, _)| user))
    }

    /// The user of an unexpired session and when it was last used.
    pub async fn session(&self, token_hash: &str) -> Result<Option<(UserId, i64)>> {
        let hash = token_hash.to_owned();
        self.read_small(move |conn| {
            conn.prepare_cached(
                "SELECT user_id, last_seen FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
            )?
            .query_row(params![hash, now_ms()], |r| {
                Ok((UserId(r.get(0)?), r.get(1)?))
            })
            .optional()
        })
        .await
    }

    /// The user record of an unexpired session and when the session was last used: one
    /// read for what every signed-in request needs (one hand-over to a reader thread
    /// instead of two).
    pub async fn session_with_user(&self, token_hash: &str) -> Result<Option<(User, i64)>> {
        let hash = token_hash.to_owned();
        self.read_small(move |conn| {
            let (sql, n) = &*SESSION_WITH_USER;
            let n = *n;
            conn.prepare_cached(sql)?
                .query_row(params![hash, now_ms()], |r| {
                    Ok((super::accounts::user_from_row(r)?, r.get(n)?))
                })
                .optional()
        })
        .await
    }

    /// Notes that a session was used now.
    pub async fn touch_session(&self, token_hash: &str) -> Result<()> {
        let hash = token_hash.to_owned();
        self.write(0, move |ctx| {
            ctx.conn.execute(
                "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1",
                params![hash, now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    /// The user's unexpired sessions, the most recently used first.
    pub async fn sessions_of(&self, user_id: UserId) -> Result<Vec<SessionInfo>> {
        self.read(move |conn| {
            let mut st = conn.prepare_cached(
                "SELECT token_hash, user_agent, address, created_at, last_seen, expires_at FROM sessions \
                 WHERE user_id = ?1 AND expires_at > ?2 \
                 ORDER BY CASE WHEN last_seen > created_at THEN last_seen ELSE created_at END DESC, created_at DESC LIMIT ?3",
            )?;
            let rows = st.query_map(params![user_id.0, now_ms(), MAX_LISTED], |r| {
                Ok(SessionInfo {
                    token_hash: r.get(0)?,
                    device: SessionDevice {
                        user_agent: r.get(1)?,
                        address: r.get(2)?,
                    },
                    created_at: r.get(3)?,
                    last_seen: r.get(4)?,
                    expires_at: r.get(5)?,
                })
            })?;
            rows.collect::<Result<Vec<_>>>()
        })
        .await
    }

    /// Ends the user's session named `id` (see [`SESSION_ID_LEN`]) and returns its hash;
    /// `None` when the user has no such session (or, against all odds, two).
    pub async fn delete_session_of(&self, user_id: UserId, id: &str) -> Result<Option<String>> {
        if id.len() != SESSION_ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let id = id.to_ascii_lowercase();
        // The writer runs each job inside its batch's transaction: look up and delete there.
        self.write(0, move |ctx| {
            let found: Vec<String> = {
                let sql = format!(
                    "SELECT token_hash FROM sessions WHERE user_id = ?1 \
                     AND substr(token_hash, 1, {SESSION_ID_LEN}) = ?2"
                );
                let mut st = ctx.conn.prepare_cached(&sql)?;
                let rows = st.query_map(params![user_id.0, id], |r| r.get(0))?;
                rows.collect::<Result<_>>()?
            };
            let [hash] = found.as_slice() else {
                return Ok(None);
            };
            ctx.conn
                .execute("DELETE FROM sessions WHERE token_hash = ?1", [hash])?;
            Ok(Some(hash.clone()))
        })
        .await
    }

    /// Deletes one session (logout); `false` if there was none.
    pub async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        let hash = token_hash.to_owned();
        self.write(0, move |ctx| {
            Ok(ctx
                .conn
                .execute("DELETE FROM sessions WHERE token_hash = ?1", [hash])?
                > 0)
        })
        .await
    }

    /// Deletes every session of a user (password change, "log out everywhere").
    pub async fn delete_sessions_of(&self, user_id: UserId) -> Result<u64> {
        self.write(0, move |ctx| {
            Ok(ctx
                .conn
                .execute("DELETE FROM sessions WHERE user_id = ?1", [user_id.0])?
                as u64)
        })
        .await
    }
}
