//! Web Push subscriptions (and conversations' notification choices): one row per browser a user enabled push on (its push service
//! endpoint and the keys of RFC 8291). The endpoint is unique: when a browser subscribes
//! for another user, the row moves to that user. Deleting the user deletes its rows.

use super::db::{params, Optional, Row};
use super::{now_ms, Error, Result, Store};
use crate::model::UserId;

/// Subscriptions (devices) one user may hold.
pub const MAX_PUSH_SUBSCRIPTIONS: usize = 20;

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    pub id: i64,
    pub user_id: UserId,
    /// The push service's URL for this browser (a capability: whoever has it may push).
    pub endpoint: String,
    /// The browser's P-256 public key, base64url (65 bytes uncompressed).
    pub p256dh: String,
    /// The browser's auth secret, base64url (16 bytes).
    pub auth: String,
    /// What the user sees: browser and system ("Firefox on Android").
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const COLS: &str = "id, user_id, endpoint, p256dh, auth, name, created_at, last_used_at";

fn from_row(r: &Row<'_>) -> Result<PushSubscription> {
    Ok(PushSubscription {
        id: r.get(0)?,
        user_id: UserId(r.get(1)?),
        endpoint: r.get(2)?,
        p256dh: r.get(3)?,
        auth: r.get(4)?,
        name: r.get(5)?,
        created_at: r.get(6)?,
        last_used_at: r.get(7)?,
    })
}

impl Store {
    /// Stores (or renews) `user_id`'s subscription for `endpoint`; a row of another user
    /// for the same endpoint moves to this one. Fails with [`Error::Invalid`] past
    /// [`MAX_PUSH_SUBSCRIPTIONS`].
    pub async fn save_push_subscription(
        &self,
        user_id: UserId,
        endpoint: String,
        p256dh: String,
        auth: String,
        name: String,
    ) -> Result<PushSubscription> {
        self.write(0, move |ctx| {
            // The writer runs each job in its own savepoint: all of this or nothing.
            let tx = &ctx.conn;
            tx.execute(
                "DELETE FROM push_subscriptions WHERE endpoint = ?1 AND user_id != ?2",
                params![endpoint, user_id.0],
            )?;
            let held: i64 = tx.query_row(
                "SELECT count(*) FROM push_subscriptions WHERE user_id = ?1 AND endpoint != ?2",
                params![user_id.0, endpoint],
                |r| r.get(0),
            )?;
            if held >= MAX_PUSH_SUBSCRIPTIONS as i64 {
                return Err(Error::Invalid(format!(
                    "At most {MAX_PUSH_SUBSCRIPTIONS} devices with push; remove one first."
                )));
            }
            let sub = tx
                .query_row(
                    &format!(
                        "INSERT INTO push_subscriptions \
                         (user_id, endpoint, p256dh, auth, name, created_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                         ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, \
                         auth = excluded.auth, name = excluded.name \
                         RETURNING {COLS}"
                    ),
                    params![user_id.0, endpoint, p256dh, auth, name, now_ms()],
                    from_row,
                )
                .map_err(|e| match super::db::Conn::is_constraint_violation(&e) {
                    true => Error::NotFound("user"),
                    false => e,
                })?;
            Ok(sub)
        })
        .await
    }

    /// `user_id`'s subscriptions, oldest first.
    pub async fn push_subscriptions(&self, user_id: UserId) -> Result<Vec<PushSubscription>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLS} FROM push_subscriptions WHERE user_id = ?1 ORDER BY id"
            ))?;
            let rows = stmt.query_map([user_id.0], from_row)?;
            rows.collect::<Result<Vec<_>>>()
        })
        .await
    }

    /// Deletes `user_id`'s subscription `id`; whether there was one.
    pub async fn delete_push_subscription(&self, user_id: UserId, id: i64) -> Result<bool> {
        self.write(0, move |ctx| {
            Ok(ctx
                .conn
                .query_row(
                    "DELETE FROM push_subscriptions WHERE id = ?1 AND user_id = ?2 RETURNING id",
                    params![id, user_id.0],
                    |r| r.get::<usize, i64>(0),
                )
                .optional()?
                .is_some())
        })
        .await
    }

    /// Stores a conversation's notification choices; `false` when there is no such
    /// conversation.
    pub async fn set_conversation_notify(
        &self,
        user_id: UserId,
        connection_id: &str,
        id: &str,
        notify: &crate::notify::Notify,
    ) -> Result<bool> {
        let value = serde_json::to_string(notify).map_err(|e| Error::Invalid(e.to_string()))?;
        let (conn_id, id) = (connection_id.to_owned(), id.to_owned());
        self.write(0, move |ctx| {
            Ok(ctx.conn.execute(
                "UPDATE conversations SET notify = ?4 \
                 WHERE user_id = ?1 AND connection_id = ?2 AND id = ?3",
                params![user_id.0, conn_id, id, value],
            )? > 0)
        })
        .await
    }

    /// Notes a delivered push (`ok`) or forgets a subscription its push service called gone
    /// (404/410).
    pub async fn push_delivered(&self, id: i64, ok: bool) -> Result<()> {
        self.write(0, move |ctx| {
            if ok {
                ctx.conn.execute(
                    "UPDATE push_subscriptions SET last_used_at = ?1 WHERE id = ?2",
                    params![now_ms(), id],
                )?;
            } else {
                ctx.conn
                    .execute("DELETE FROM push_subscriptions WHERE id = ?1", [id])?;
            }
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
    async fn subscriptions_are_per_user_and_move_with_the_browser() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::tests::open_in(dir.path(), super::super::Options::default())
            .expect("open");
        let alice = store
            .create_user("alice@example.com", Secret::new("x"), true)
            .await
            .expect("alice");
        let bob = store
            .create_user("bob@example.com", Secret::new("x"), false)
            .await
            .expect("bob");
        let save = |u: UserId, e: &str, name: &str| {
            store.save_push_subscription(u, e.into(), "k".into(), "a".into(), name.into())
        };
        let a1 = save(alice.id, "https://push.example/1", "Firefox")
            .await
            .expect("a1");
        let again = save(alice.id, "https://push.example/1", "Firefox on Linux")
            .await
            .expect("renew");
        assert_eq!((again.id, again.name.as_str()), (a1.id, "Firefox on Linux"));
        save(alice.id, "https://push.example/2", "Chrome")
            .await
            .expect("a2");
        assert_eq!(
            store
                .push_subscriptions(alice.id)
                .await
                .expect("list")
                .len(),
            2
        );
        // Bob cannot delete Alice's; the same browser signing in as Bob takes it over.
        assert!(!store
            .delete_push_subscription(bob.id, a1.id)
            .await
            .expect("del"));
        save(bob.id, "https://push.example/2", "Chrome")
            .await
            .expect("b");
        assert_eq!(
            store
                .push_subscriptions(alice.id)
                .await
                .expect("list")
                .len(),
            1
        );
        assert_eq!(
            store.push_subscriptions(bob.id).await.expect("list").len(),
            1
        );
        store.push_delivered(a1.id, true).await.expect("ok");
        assert!(store.push_subscriptions(alice.id).await.expect("list")[0]
            .last_used_at
            .is_some());
        store.push_delivered(a1.id, false).await.expect("gone");
        assert!(store
            .push_subscriptions(alice.id)
            .await
            .expect("list")
            .is_empty());
        for i in 0..MAX_PUSH_SUBSCRIPTIONS {
            save(alice.id, &format!("https://push.example/n{i}"), "x")
                .await
                .expect("n");
        }
        assert!(matches!(
            save(alice.id, "https://push.example/over", "x").await,
            Err(Error::Invalid(_))
        ));
    }
}
