//! How users sign in: a record per user, method and provider (first and last time), for
//! the admin's user list; and the OpenID Connect sessions (provider and ID token of a
//! browser session, for RP-initiated logout). Deleting a user deletes both.

use std::collections::HashMap;

use super::db::{params, Optional};
use super::{now_ms, Result, Store};
use crate::model::{SignInMethod, UserId};

/// One way a user has signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub method: SignInMethod,
    /// The OpenID provider's name; empty for the other methods.
    pub provider: String,
    pub first_at: i64,
    pub last_at: i64,
}

/// The provider of an OpenID Connect browser session, and its ID token if kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSession {
    pub provider: String,
    pub id_token: Option<String>,
}

impl Store {
    /// Notes that `user_id` signed in by `method` (`provider` for OpenID Connect) now.
    pub async fn record_sign_in(
        &self,
        user_id: UserId,
        method: SignInMethod,
        provider: &str,
    ) -> Result<()> {
        let provider = provider.to_owned();
        self.write(0, move |ctx| {
            let now = now_ms();
            ctx.conn.execute(
                "INSERT INTO sign_ins (user_id, method, provider, first_at, last_at) \
                 SELECT ?1, ?2, ?3, ?4, ?4 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1) \
                 ON CONFLICT (user_id, method, provider) DO UPDATE SET last_at = excluded.last_at",
                params![user_id.0, method.as_str(), provider, now],
            )?;
            Ok(())
        })
        .await
    }

    /// Every user's sign-in methods, most recent first.
    pub async fn sign_ins(&self) -> Result<HashMap<UserId, Vec<SignIn>>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT user_id, method, provider, first_at, last_at FROM sign_ins \
                 ORDER BY user_id, last_at DESC",
            )?;
            let mut out: HashMap<UserId, Vec<SignIn>> = HashMap::new();
            let rows = stmt.query_map(params![], |r| {
                Ok((
                    UserId(r.get(0)?),
                    r.get::<usize, String>(1)?,
                    r.get::<usize, String>(2)?,
                    r.get::<usize, i64>(3)?,
                    r.get::<usize, i64>(4)?,
                ))
            })?;
            for row in rows {
                let (user, method, provider, first_at, last_at) = row?;
                // A method this version does not know is left out, not an error.
                if let Some(method) = SignInMethod::parse(&method) {
                    out.entry(user).or_default().push(SignIn {
                        method,
                        provider,
                        first_at,
                        last_at,
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    /// Remembers that the session `token_hash` of `user_id` was started by `provider`;
    /// sweeps the records of sessions that are gone.
    pub async fn set_oidc_session(
        &self,
        token_hash: &str,
        user_id: UserId,
        provider: &str,
        id_token: Option<String>,
    ) -> Result<()> {
        let (hash, provider) = (token_hash.to_owned(), provider.to_owned());
        self.write(0, move |ctx| {
            ctx.conn.execute(
                "DELETE FROM oidc_sessions WHERE token_hash NOT IN (SELECT token_hash FROM sessions)",
                params![],
            )?;
            ctx.conn.execute(
                "INSERT INTO oidc_sessions (token_hash, user_id, provider, id_token, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (token_hash) DO UPDATE SET \
                 user_id = excluded.user_id, provider = excluded.provider, \
                 id_token = excluded.id_token, created_at = excluded.created_at",
                params![hash, user_id.0, provider, id_token, now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    /// The OpenID Connect record of a live session, if it was started that way.
    pub async fn oidc_session(&self, token_hash: &str) -> Result<Option<OidcSession>> {
        let hash = token_hash.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT o.provider, o.id_token FROM oidc_sessions o \
                     JOIN sessions s ON s.token_hash = o.token_hash WHERE o.token_hash = ?1",
            )?
            .query_row([hash], |r| {
                Ok(OidcSession {
                    provider: r.get(0)?,
                    id_token: r.get(1)?,
                })
            })
            .optional()
        })
        .await
    }

    /// Forgets the OpenID Connect record of a session (at logout).
    pub async fn delete_oidc_session(&self, token_hash: &str) -> Result<()> {
        let hash = token_hash.to_owned();
        self.write(0, move |ctx| {
            ctx.conn
                .execute("DELETE FROM oidc_sessions WHERE token_hash = ?1", [hash])?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Secret;

    #[tokio::test]
    async fn sign_ins_and_oidc_sessions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::tests::open_in(dir.path(), super::super::Options::default())
            .expect("open");
        let user = store
            .create_user("a@example.com", Secret::new("$argon2id$v=19$x"), false)
            .await
            .expect("user")
            .id;
        store
            .record_sign_in(user, SignInMethod::Password, "")
            .await
            .expect("record");
        store
            .record_sign_in(user, SignInMethod::Oidc, "corp")
            .await
            .expect("record");
        store
            .record_sign_in(user, SignInMethod::Oidc, "corp")
            .await
            .expect("again: one row");
        // An unknown user is not an error and leaves nothing behind.
        store
            .record_sign_in(UserId(999), SignInMethod::Ldap, "")
            .await
            .expect("unknown user");
        let all = store.sign_ins().await.expect("list");
        assert_eq!(all.len(), 1);
        let mine = &all[&user];
        assert_eq!(mine.len(), 2);
        assert!(mine
            .iter()
            .any(|s| s.method == SignInMethod::Oidc && s.provider == "corp"));

        // The OIDC record of a session counts only while the session lives.
        let now = now_ms();
        store
            .create_session("s1", user, now + 60_000, &Default::default())
            .await
            .expect("session");
        store
            .set_oidc_session("s1", user, "corp", Some("a.b.c".into()))
            .await
            .expect("oidc");
        store
            .set_oidc_session("gone", user, "corp", None)
            .await
            .expect("oidc without a session");
        let o = store.oidc_session("s1").await.expect("get").expect("found");
        assert_eq!(
            (o.provider.as_str(), o.id_token.as_deref()),
            ("corp", Some("a.b.c"))
        );
        assert_eq!(store.oidc_session("gone").await.expect("get"), None);
        assert!(store.delete_session("s1").await.expect("delete"));
        assert_eq!(store.oidc_session("s1").await.expect("get"), None);

        // Deleting the user deletes its records.
        assert!(store.delete_user(user).await.expect("delete user"));
        assert!(store.sign_ins().await.expect("list").is_empty());
    }
}
