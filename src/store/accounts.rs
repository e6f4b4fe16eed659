//! Users, one-use tokens (invites, password resets) and server settings (sessions are in
//! `sessions.rs`).
//!
//! Tokens and sessions are stored hashed: callers pass the SHA-256 hex of the token, so a
//! leaked database does not hand out logins. Password hashes are argon2id PHC strings made
//! by the web layer; the store only keeps them.

use super::db::{params, Optional, Row};
use super::{index, now_ms, Error, Result, Store};
use crate::model::{Secret, User, UserId};

pub(super) const USER_COLS: &str =
    "id, email, password_hash, admin, highlight_keywords, settings, created_at";

/// What a one-use token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    Invite,
    PasswordReset,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Invite => "invite",
            TokenPurpose::PasswordReset => "reset",
        }
    }
}

pub(super) fn user_from_row(r: &Row<'_>) -> Result<User> {
    fn json<T: serde::de::DeserializeOwned>(i: usize, s: String) -> Result<T> {
        serde_json::from_str(&s).map_err(|e| Error::Decode(format!("column {i}: {e}")))
    }
    Ok(User {
        id: UserId(r.get(0)?),
        email: r.get(1)?,
        password_hash: Secret::new(r.get::<usize, String>(2)?),
        admin: r.get(3)?,
        highlight_keywords: json(4, r.get(4)?)?,
        settings: json(5, r.get(5)?)?,
        created_at: r.get(6)?,
    })
}

/// `email = ?1`, case-insensitive: SQLite's column is `COLLATE NOCASE`, PostgreSQL's has a
/// unique index on `lower(email)`.
pub(super) fn email_is(conn: &super::db::Conn) -> &'static str {
    match conn.engine() {
        super::db::Engine::Sqlite => "email = ?1",
        super::db::Engine::Postgres => "lower(email) = lower(?1)",
    }
}

fn is_unique_violation(e: &Error) -> bool {
    super::db::Conn::is_unique_violation(e)
}

impl Store {
    /// Creates a user. [`Error::Conflict`] if the email (case-insensitive) is taken.
    pub async fn create_user(
        &self,
        email: &str,
        password_hash: Secret,
        admin: bool,
    ) -> Result<User> {
        let email = email.trim().to_owned();
        if email.is_empty() {
            return Err(Error::Invalid("email is empty".into()));
        }
        self.write(0, move |ctx| {
            let sql = format!(
                "INSERT INTO users (email, password_hash, admin, created_at) VALUES (?1, ?2, ?3, ?4) \
                 RETURNING {USER_COLS}"
            );
            ctx.conn
                .query_row(
                    &sql,
                    params![email, password_hash.expose(), admin, now_ms()],
                    user_from_row,
                )
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        Error::Conflict("user")
                    } else {
                        e
                    }
                })
        })
        .await
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        self.read(move |conn| {
            let sql = format!("SELECT {USER_COLS} FROM users WHERE id = ?1");
            conn.prepare_cached(&sql)?
                .query_row([id.0], user_from_row)
                .optional()
        })
        .await
    }

    /// The user with this email (case-insensitive).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = email.trim().to_owned();
        self.read(move |conn| {
            let sql = format!("SELECT {USER_COLS} FROM users WHERE {}", email_is(conn));
            conn.prepare_cached(&sql)?
                .query_row([email], user_from_row)
                .optional()
        })
        .await
    }

    /// All users, by id.
    pub async fn users(&self) -> Result<Vec<User>> {
        self.read(move |conn| {
            let sql = format!("SELECT {USER_COLS} FROM users ORDER BY id");
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![], user_from_row)?;
            rows.collect::<Result<Vec<_>>>()
        })
        .await
    }

    /// Deletes a user and everything of theirs (sessions, connections, conversations,
    /// messages, notifications); `false` if there was none.
    pub async fn delete_user(&self, id: UserId) -> Result<bool> {
        self.write(0, move |ctx| {
            // By conversation, not user_id: messages have no user_id index.
            let mine = "conv IN (SELECT cid FROM conversations WHERE user_id = ?1)";
            index::unindex_where(ctx, mine, &[&id.0])?;
            ctx.cids.clear();
            ctx.conn
                .execute("DELETE FROM notifications WHERE user_id = ?1", [id.0])?;
            ctx.conn
                .execute(&format!("DELETE FROM messages WHERE {mine}"), [id.0])?;
            Ok(ctx
                .conn
                .execute("DELETE FROM users WHERE id = ?1", [id.0])?
                > 0)
        })
        .await
    }

    pub async fn set_password_hash(&self, id: UserId, hash: Secret) -> Result<()> {
        self.update_user(id, "password_hash", hash.expose().to_owned())
            .await
    }

    /// Replaces the password hash only if it is still `old` (a hash from an imported
    /// account, rehashed after a successful login): a password changed meanwhile wins.
    /// Sessions stay. Returns whether it was replaced.
    pub async fn upgrade_password_hash(
        &self,
        id: UserId,
        old: Secret,
        new: Secret,
    ) -> Result<bool> {
        self.write(0, move |ctx| {
            Ok(ctx.conn.execute(
                "UPDATE users SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2",
                params![id.0, old.expose(), new.expose()],
            )? > 0)
        })
        .await
    }

    pub async fn set_admin(&self, id: UserId, admin: bool) -> Result<()> {
        self.write(0, move |ctx| {
            let n = ctx.conn.execute(
                "UPDATE users SET admin = ?2 WHERE id = ?1",
                params![id.0, admin],
            )?;
            if n == 0 {
                return Err(Error::NotFound("user"));
            }
            Ok(())
        })
        .await
    }

    pub async fn set_highlight_keywords(&self, id: UserId, keywords: Vec<String>) -> Result<()> {
        let json = serde_json::to_string(&keywords).map_err(|e| Error::Invalid(e.to_string()))?;
        self.update_user(id, "highlight_keywords", json).await
    }

    /// Replaces the user's settings object.
    pub async fn set_user_settings(&self, id: UserId, settings: serde_json::Value) -> Result<()> {
        self.update_user(id, "settings", settings.to_string()).await
    }

    async fn update_user(&self, id: UserId, column: &'static str, value: String) -> Result<()> {
        self.write(0, move |ctx| {
            let n = ctx.conn.execute(
                &format!("UPDATE users SET {column} = ?2 WHERE id = ?1"),
                params![id.0, value],
            )?;
            if n == 0 {
                return Err(Error::NotFound("user"));
            }
            Ok(())
        })
        .await
    }

    /// Sets a new password hash, and in the same transaction ends the user's sessions
    /// (all but `keep`, the SHA-256 hex of the session that made the change) and throws
    /// away the password-reset links of its e-mail: an old link must not undo the change.
    pub async fn change_password(
        &self,
        user_id: UserId,
        hash: Secret,
        keep: Option<String>,
    ) -> Result<()> {
        self.write(0, move |ctx| {
            let n = ctx.conn.execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![user_id.0, hash.expose()],
            )?;
            if n == 0 {
                return Err(Error::NotFound("user"));
            }
            ctx.conn.execute(
                "DELETE FROM sessions WHERE user_id = ?1 AND token_hash IS DISTINCT FROM ?2",
                params![user_id.0, keep],
            )?;
            ctx.conn.execute(
                "DELETE FROM tokens WHERE purpose = ?2 \
                 AND email = (SELECT email FROM users WHERE id = ?1)",
                params![user_id.0, TokenPurpose::PasswordReset.as_str()],
            )?;
            Ok(())
        })
        .await
    }

    /// Deletes expired sessions and tokens; returns how many.
    pub async fn purge_expired(&self) -> Result<u64> {
        self.write(0, move |ctx| {
            let now = now_ms();
            let s = ctx
                .conn
                .execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?;
            let t = ctx
                .conn
                .execute("DELETE FROM tokens WHERE expires_at <= ?1", [now])?;
            Ok((s + t) as u64)
        })
        .await
    }

    /// Stores a one-use token (hashed) for `email`.
    pub async fn create_token(
        &self,
        purpose: TokenPurpose,
        token_hash: &str,
        email: &str,
        expires_at: i64,
    ) -> Result<()> {
        let (hash, email) = (token_hash.to_owned(), email.to_owned());
        self.write(0, move |ctx| {
            ctx.conn
                .execute(
                    "INSERT INTO tokens (token_hash, purpose, email, expires_at, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![hash, purpose.as_str(), email, expires_at, now_ms()],
                )
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        Error::Conflict("token")
                    } else {
                        e
                    }
                })?;
            Ok(())
        })
        .await
    }

    /// Uses up a token: returns its email if it existed, had this purpose and had not
    /// expired. Atomic: of two concurrent calls at most one gets the email.
    pub async fn consume_token(
        &self,
        purpose: TokenPurpose,
        token_hash: &str,
    ) -> Result<Option<String>> {
        let hash = token_hash.to_owned();
        self.write(0, move |ctx| {
            let row: Option<(String, i64)> = ctx
                .conn
                .query_row(
                    "DELETE FROM tokens WHERE token_hash = ?1 AND purpose = ?2 RETURNING email, expires_at",
                    params![hash, purpose.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            Ok(row.and_then(|(email, expires)| (expires > now_ms()).then_some(email)))
        })
        .await
    }

    /// A server setting.
    pub async fn setting(&self, key: &str) -> Result<Option<serde_json::Value>> {
        let key = key.to_owned();
        self.read(move |conn| {
            let v: Option<String> = conn
                .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
                .query_row([key], |r| r.get(0))
                .optional()?;
            v.map(|v| serde_json::from_str(&v).map_err(|e| Error::Invalid(e.to_string())))
                .transpose()
        })
        .await
    }

    /// Sets a server setting; `Value::Null` deletes it.
    pub async fn set_setting(&self, key: &str, value: serde_json::Value) -> Result<()> {
        let key = key.to_owned();
        self.write(0, move |ctx| {
            if value.is_null() {
                ctx.conn
                    .execute("DELETE FROM settings WHERE key = ?1", [key])?;
            } else {
                ctx.conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![key, value.to_string()],
                )?;
            }
            Ok(())
        })
        .await
    }
}
