//! API tokens: per-user, named, scoped bearer tokens for scripts and bots. Stored as the
//! SHA-256 hex of the token (callers hash), like sessions; revoking deletes the row, and
//! deleting the user deletes its tokens (foreign key cascade).

use super::db::{params, Optional, Row};
use super::{now_ms, Error, Result, Store};
use crate::model::{TokenScope, UserId};

/// Tokens one user may hold.
pub const MAX_API_TOKENS: usize = 20;

/// A token as listed: never its value or hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The owner of a presented token, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUse {
    pub user_id: UserId,
    pub id: i64,
    pub scope: TokenScope,
    pub last_used_at: Option<i64>,
}

const COLS: &str = "id, name, scope, created_at, last_used_at";

fn scope(i: usize, s: String) -> Result<TokenScope> {
    TokenScope::parse(&s)
        .ok_or_else(|| Error::Decode(format!("column {i}: unknown token scope {s:?}")))
}

fn token_from_row(r: &Row<'_>) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        name: r.get(1)?,
        scope: scope(2, r.get(2)?)?,
        created_at: r.get(3)?,
        last_used_at: r.get(4)?,
    })
}

impl Store {
    /// Stores a new token of `user_id`; `token_hash` is the SHA-256 hex of its value.
    /// Fails with [`Error::Invalid`] when the user already holds [`MAX_API_TOKENS`].
    pub async fn create_api_token(
        &self,
        user_id: UserId,
        name: String,
        token_hash: String,
        scope: TokenScope,
    ) -> Result<ApiToken> {
        self.write(0, move |ctx| {
            let held: i64 = ctx.conn.query_row(
                "SELECT count(*) FROM api_tokens WHERE user_id = ?1",
                [user_id.0],
                |r| r.get(0),
            )?;
            if held >= MAX_API_TOKENS as i64 {
                return Err(Error::Invalid(format!(
                    "At most {MAX_API_TOKENS} API tokens; revoke one first."
                )));
            }
            let now = now_ms();
            let id: i64 = ctx
                .conn
                .query_row(
                    "INSERT INTO api_tokens (user_id, name, token_hash, scope, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                    params![user_id.0, name, token_hash, scope.as_str(), now],
                    |r| r.get(0),
                )
                .map_err(|e| match super::db::Conn::is_constraint_violation(&e) {
                    true => Error::NotFound("user"),
                    false => e,
                })?;
            Ok(ApiToken {
                id,
                name,
                scope,
                created_at: now,
                last_used_at: None,
            })
        })
        .await
    }

    /// The tokens of `user_id`, oldest first.
    pub async fn api_tokens(&self, user_id: UserId) -> Result<Vec<ApiToken>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLS} FROM api_tokens WHERE user_id = ?1 ORDER BY id"
            ))?;
            let rows = stmt.query_map([user_id.0], token_from_row)?;
            rows.collect::<Result<Vec<_>>>()
        })
        .await
    }

    /// Who a presented token (its SHA-256 hex) belongs to, if it exists.
    pub async fn api_token_use(&self, token_hash: &str) -> Result<Option<TokenUse>> {
        let hash = token_hash.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT user_id, id, scope, last_used_at FROM api_tokens WHERE token_hash = ?1",
            )?
            .query_row([hash], |r| {
                Ok(TokenUse {
                    user_id: UserId(r.get(0)?),
                    id: r.get(1)?,
                    scope: scope(2, r.get(2)?)?,
                    last_used_at: r.get(3)?,
                })
            })
            .optional()
        })
        .await
    }

    /// Notes that a token was used now.
    pub async fn touch_api_token(&self, id: i64) -> Result<()> {
        self.write(0, move |ctx| {
            ctx.conn.execute(
                "UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2",
                params![now_ms(), id],
            )?;
            Ok(())
        })
        .await
    }

    /// Deletes `user_id`'s token `id`; returns its hash (to close its sockets), `None`
    /// when the user has no such token.
    pub async fn revoke_api_token(&self, user_id: UserId, id: i64) -> Result<Option<String>> {
        self.write(0, move |ctx| {
            ctx.conn
                .query_row(
                    "DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2 RETURNING token_hash",
                    params![id, user_id.0],
                    |r| r.get(0),
                )
                .optional()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tokens_are_per_user_and_revocable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::tests::open_in(dir.path(), super::super::Options::default())
            .expect("open");
        let hash = |s: &str| crate::account::token_hash(s);
        let alice = store
            .create_user("alice@example.com", Secret::new("x"), true)
            .await
            .expect("alice");
        let bob = store
            .create_user("bob@example.com", Secret::new("x"), false)
            .await
            .expect("bob");
        let t = store
            .create_api_token(alice.id, "bot".into(), hash("a1"), TokenScope::Send)
            .await
            .expect("create");
        let found = store.api_token_use(&hash("a1")).await.expect("use");
        assert_eq!(
            found.map(|u| (u.user_id, u.scope)),
            Some((alice.id, TokenScope::Send))
        );
        assert_eq!(store.api_token_use(&hash("nope")).await.expect("use"), None);
        // Bob cannot revoke Alice's token.
        assert_eq!(
            store.revoke_api_token(bob.id, t.id).await.expect("revoke"),
            None
        );
        store.touch_api_token(t.id).await.expect("touch");
        let listed = store.api_tokens(alice.id).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some());
        assert!(store.api_tokens(bob.id).await.expect("list").is_empty());
        assert_eq!(
            store
                .revoke_api_token(alice.id, t.id)
                .await
                .expect("revoke"),
            Some(hash("a1"))
        );
        assert_eq!(store.api_token_use(&hash("a1")).await.expect("use"), None);
        for i in 0..MAX_API_TOKENS {
            store
                .create_api_token(
                    bob.id,
                    format!("t{i}"),
                    hash(&format!("b{i}")),
                    TokenScope::Read,
                )
                .await
                .expect("within the cap");
        }
        let over = store
            .create_api_token(bob.id, "one more".into(), hash("bx"), TokenScope::Read)
            .await;
        assert!(matches!(over, Err(Error::Invalid(_))), "{over:?}");
        store.delete_user(bob.id).await.expect("delete");
        assert_eq!(store.api_token_use(&hash("b0")).await.expect("use"), None);
    }

    use crate::model::Secret;
}
