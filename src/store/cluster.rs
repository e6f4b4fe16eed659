//! Several daemons on one PostgreSQL database: the `daemons` rows (who runs, where its
//! peers reach it, its message-id slot, its heartbeat) and the per-user leases that make
//! each user's IRC connections run on exactly one daemon. The policy (when to renew, take,
//! hand over or fence) is `crate::cluster`'s; this file is only its SQL.
//!
//! Every time compared here is the database's clock (`clock_timestamp()`), so daemons on
//! machines whose clocks disagree still agree on who holds a lease. These statements run
//! on a connection of their own (not the writer's queue nor the readers' pool), so a busy
//! store never delays a renewal.

use super::db::{params, Conn, Optional};
use super::{Error, Result, Store};
use crate::model::UserId;

/// The database's clock in unix milliseconds.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// The advisory lock taken while a daemon picks its slot ("convoc" in ASCII).
const JOIN_LOCK: i64 = 0x636f_6e76_6f63;

/// How many daemons may run at once: message ids keep `slot` in their low bits.
pub const SLOTS: i64 = 16;

/// A daemon's row, as `convos cluster status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub slot: i64,
    /// Where the other daemons forward its users' requests.
    pub url: String,
    /// Milliseconds since its last heartbeat.
    pub silent_ms: i64,
    /// Users it ran at its last heartbeat.
    pub users: i64,
    pub draining: bool,
}

/// What a heartbeat learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beat {
    /// An admin asked this daemon to hand its users over and stop.
    pub draining: bool,
    /// Users in the store.
    pub users: i64,
    /// Daemons heard from lately that are not draining (this one included unless it
    /// drains).
    pub live: i64,
}

impl Store {
    /// Runs `f` on the cluster's own connection (opened on first use, dropped after an
    /// error so the next call reconnects). SQLite has no cluster: [`Error::Invalid`].
    async fn cluster_op<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Conn) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut slot = inner.cluster.lock().unwrap_or_else(|e| e.into_inner());
            let conn = match slot.take() {
                Some(c) => c,
                None => {
                    let super::Source::Postgres(target) = &inner.source else {
                        return Err(Error::Invalid(
                            "several daemons need the store on PostgreSQL (CONVOS_DATABASE)".into(),
                        ));
                    };
                    let client = target.connect(1)?.pop().ok_or(Error::Closed)?;
                    let conn = Conn::Pg(super::db::PgConn::new(client));
                    // A statement that hangs must not hold a renewal past its lease.
                    conn.execute_batch("SET statement_timeout = '5s'")?;
                    conn
                }
            };
            let result = f(&conn);
            if result.is_ok() {
                *slot = Some(conn);
            }
            result
        })
        .await
        .map_err(|_| Error::Write("cluster task failed".into()))?
    }

    /// Registers daemon `id` (reachable at `url`) and gives it the lowest free id slot.
    /// Rows of daemons silent for `dead_ms` are removed first (their leases expired long
    /// ago). [`Error::Conflict`] when [`SLOTS`] daemons run already.
    pub async fn cluster_join(&self, id: &str, url: &str, dead_ms: i64) -> Result<i64> {
        let (id, url) = (id.to_owned(), url.to_owned());
        self.cluster_op(move |c| {
            c.begin()?;
            let r = (|| {
                c.execute("SELECT pg_advisory_xact_lock(?1)", params![JOIN_LOCK])?;
                c.execute(
                    &format!("DELETE FROM daemons WHERE heartbeat_ms < {NOW_MS} - ?1 OR id = ?2"),
                    params![dead_ms, id],
                )?;
                let used: Vec<i64> =
                    c.query_vec("SELECT slot::bigint FROM daemons", params![], |r| r.get(0))?;
                let slot = (0..SLOTS)
                    .find(|s| !used.contains(s))
                    .ok_or(Error::Conflict("16 daemons already run on this database"))?;
                c.execute(
                    &format!(
                        "INSERT INTO daemons (id, slot, url, heartbeat_ms, started_ms) \
                         VALUES (?1, ?2, ?3, {NOW_MS}, {NOW_MS})"
                    ),
                    params![id, slot as i32, url],
                )?;
                Ok(slot)
            })();
            match r {
                Ok(slot) => c.execute_batch("COMMIT").map(|()| slot),
                Err(e) => {
                    let _ = c.execute_batch("ROLLBACK");
                    Err(e)
                }
            }
        })
        .await
    }

    /// Records that daemon `id` is alive and runs `users` users; daemons heard within
    /// `live_ms` count as live. `None` when its row is gone: it was silent so long that
    /// another daemon removed it.
    pub async fn cluster_beat(&self, id: &str, users: i64, live_ms: i64) -> Result<Option<Beat>> {
        let id = id.to_owned();
        self.cluster_op(move |c| {
            let draining: Option<bool> = c
                .query_row(
                    &format!(
                        "UPDATE daemons SET heartbeat_ms = {NOW_MS}, users = ?2 \
                         WHERE id = ?1 RETURNING draining"
                    ),
                    params![id, users],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(draining) = draining else {
                return Ok(None);
            };
            let (users, live): (i64, i64) = c.query_row(
                &format!(
                    "SELECT (SELECT count(*) FROM users), \
                     (SELECT count(*) FROM daemons WHERE NOT draining \
                      AND heartbeat_ms > {NOW_MS} - ?1)"
                ),
                params![live_ms],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(Some(Beat {
                draining,
                users,
                live,
            }))
        })
        .await
    }

    /// Extends every unexpired lease of daemon `id` to `lease_ms` from now; returns the
    /// users it still holds (any other user it runs must stop at once).
    pub async fn cluster_renew(&self, id: &str, lease_ms: i64) -> Result<Vec<UserId>> {
        let id = id.to_owned();
        self.cluster_op(move |c| {
            c.query_vec(
                &format!(
                    "UPDATE user_leases SET expires_ms = {NOW_MS} + ?2 \
                     WHERE daemon_id = ?1 AND expires_ms > {NOW_MS} RETURNING user_id"
                ),
                params![id, lease_ms],
                |r| Ok(UserId(r.get(0)?)),
            )
        })
        .await
    }

    /// Takes up to `max` users that nobody holds (no lease, or an expired one) for daemon
    /// `id`, or only `user` when given; returns those it got. Two daemons taking the same
    /// user at once: the second finds the first's fresh lease and gets nothing.
    pub async fn cluster_acquire(
        &self,
        id: &str,
        lease_ms: i64,
        max: i64,
        user: Option<UserId>,
    ) -> Result<Vec<UserId>> {
        let id = id.to_owned();
        let only = user.map(|u| u.0);
        self.cluster_op(move |c| {
            c.query_vec(
                &format!(
                    "INSERT INTO user_leases (user_id, daemon_id, expires_ms) \
                     SELECT u.id, ?1, {NOW_MS} + ?2 FROM users u \
                     LEFT JOIN user_leases l ON l.user_id = u.id \
                     WHERE (l.user_id IS NULL OR l.expires_ms <= {NOW_MS}) \
                     AND (?4::bigint IS NULL OR u.id = ?4) \
                     ORDER BY u.id LIMIT ?3 \
                     ON CONFLICT (user_id) DO UPDATE \
                     SET daemon_id = excluded.daemon_id, expires_ms = excluded.expires_ms \
                     WHERE user_leases.expires_ms <= {NOW_MS} \
                     RETURNING user_id"
                ),
                params![id, lease_ms, max, only],
                |r| Ok(UserId(r.get(0)?)),
            )
        })
        .await
    }

    /// Gives up daemon `id`'s leases of `users` (their actors have stopped): the next
    /// daemon to look takes them at once.
    pub async fn cluster_release(&self, id: &str, users: Vec<UserId>) -> Result<()> {
        let id = id.to_owned();
        self.cluster_op(move |c| {
            for u in users {
                c.execute(
                    "DELETE FROM user_leases WHERE daemon_id = ?1 AND user_id = ?2",
                    params![id, u.0],
                )?;
            }
            Ok(())
        })
        .await
    }

    /// Removes daemon `id` and whatever leases it still has (a clean stop).
    pub async fn cluster_leave(&self, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.cluster_op(move |c| {
            c.execute("DELETE FROM user_leases WHERE daemon_id = ?1", params![id])?;
            c.execute("DELETE FROM daemons WHERE id = ?1", params![id])?;
            Ok(())
        })
        .await
    }

    /// The daemon holding `user`'s unexpired lease: its id and URL.
    pub async fn cluster_owner(&self, user: UserId) -> Result<Option<(String, String)>> {
        self.cluster_op(move |c| {
            c.query_row(
                &format!(
                    "SELECT d.id, d.url FROM user_leases l JOIN daemons d ON d.id = l.daemon_id \
                     WHERE l.user_id = ?1 AND l.expires_ms > {NOW_MS}"
                ),
                params![user.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
        .await
    }

    /// Every registered daemon, by slot.
    pub async fn cluster_members(&self) -> Result<Vec<Member>> {
        self.cluster_op(move |c| {
            c.query_vec(
                &format!(
                    "SELECT id, slot::bigint, url, {NOW_MS} - heartbeat_ms, users, draining \
                     FROM daemons ORDER BY slot"
                ),
                params![],
                |r| {
                    Ok(Member {
                        id: r.get(0)?,
                        slot: r.get(1)?,
                        url: r.get(2)?,
                        silent_ms: r.get(3)?,
                        users: r.get(4)?,
                        draining: r.get(5)?,
                    })
                },
            )
        })
        .await
    }

    /// Asks daemon `id` to hand its users over and stop; `false` if no such daemon runs.
    pub async fn cluster_drain(&self, id: &str) -> Result<bool> {
        let id = id.to_owned();
        self.cluster_op(move |c| {
            Ok(c.execute(
                "UPDATE daemons SET draining = TRUE WHERE id = ?1",
                params![id],
            )? > 0)
        })
        .await
    }

    /// The secret the daemons of this database share to trust each other's forwarded
    /// requests: made by the first daemon, read by the others.
    pub async fn cluster_key(&self) -> Result<String> {
        let fresh: [u8; 32] = rand::random();
        let fresh = format!(
            "\"{}\"",
            fresh.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        self.cluster_op(move |c| {
            c.execute(
                "INSERT INTO settings (key, value) VALUES ('cluster_key', ?1) \
                 ON CONFLICT (key) DO NOTHING",
                params![fresh],
            )?;
            let v: String = c.value(
                "SELECT value FROM settings WHERE key = 'cluster_key'",
                params![],
            )?;
            Ok(v.trim_matches('"').to_owned())
        })
        .await
    }

    /// Makes the writer give message ids `≡ slot (mod SLOTS)`, so ids of daemons sharing
    /// the database never collide, and above every id stored so far (by any daemon), so a
    /// user taken over keeps its lines in order.
    pub async fn set_id_slot(&self, slot: i64) -> Result<()> {
        self.write(0, move |ctx| {
            let max: i64 = ctx
                .conn
                .value("SELECT coalesce(max(id), 0) FROM messages", params![])?;
            ctx.set_id_slot(slot, SLOTS, max);
            Ok(())
        })
        .await
    }

    /// Raises the writer's next id above every stored id (after taking users over).
    pub async fn raise_id_floor(&self) -> Result<()> {
        self.write(0, move |ctx| {
            let max: i64 = ctx
                .conn
                .value("SELECT coalesce(max(id), 0) FROM messages", params![])?;
            ctx.raise_id_floor(max);
            Ok(())
        })
        .await
    }
}
