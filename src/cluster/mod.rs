//! Several daemons on one PostgreSQL database (`CONVOS_DATABASE`): who runs which user.
//!
//! Each user has at most one lease (`store::cluster`), held by the daemon that runs the
//! user's actor and so its IRC connections. The one property that must never break: a
//! user's connections never open twice. It holds because
//! - a daemon starts a user only while it holds the user's lease (the registry's gate asks
//!   [`Cluster::holds`]), and takes a lease only when it is free or expired by the
//!   database's clock;
//! - a lease row expires `3/4` of the configured lease after its last renewal; the
//!   holder renews every `lease / 8`, and stops any user whose renewal it has not seen
//!   succeed for `lease / 2` (a daemon cut off from the database fences itself before
//!   another may take over), so a dead daemon's users are taken over within the lease;
//! - a clean stop or a drain stops the users, waits until their IRC connections are
//!   closed, and only then gives the leases up.
//!
//! Users are spread by load: each daemon takes free users up to its fair share (users ÷
//! live daemons, rounded up). A request for a user held elsewhere is forwarded to the
//! holder (`web::cluster`); one for a free user makes the daemon that got it take it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::model::UserId;
use crate::store::{self, Store};
use crate::user::Registry;

/// How a cluster member is configured.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the other daemons reach this one (`CONVOS_CLUSTER_URL`).
    pub url: String,
    /// How long a lease lasts unrenewed: the longest a dead daemon's users wait.
    pub lease: Duration,
    /// Kept up to date with the daemons' addresses (the listeners exempt them from the
    /// per-client connection cap: their connections carry many browsers').
    pub peers: Peers,
    /// What the requests forwarded to other daemons may connect to (their URLs come from
    /// the database): the one outbound policy, open to private networks but for the
    /// operator's deny list.
    pub policy: Arc<crate::net::Policy>,
}

/// The addresses of the cluster's daemons.
pub type Peers = Arc<std::sync::RwLock<std::collections::HashSet<std::net::IpAddr>>>;

/// Where a request for a user is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Here: this daemon holds the user.
    Local,
    /// By the daemon at this URL.
    Peer(String),
    /// Nobody right now (the database is unreachable, or this daemon drains): retry.
    Unavailable,
}

/// This daemon's membership; cheap to clone.
#[derive(Clone)]
pub struct Cluster(Arc<Inner>);

struct Inner {
    id: String,
    url: String,
    peers: Peers,
    policy: Arc<crate::net::Policy>,
    key: String,
    lease: Duration,
    store: Store,
    /// Users whose lease this daemon holds, with the moment it stops trusting it.
    held: Mutex<HashMap<UserId, Instant>>,
    /// Serialises the changes of `held` that come from the database (renewals, takes).
    ops: tokio::sync::Mutex<()>,
    draining: std::sync::atomic::AtomicBool,
}

impl Cluster {
    /// Registers this daemon on the store's database and takes its message-id slot.
    pub async fn join(store: &Store, opts: &Options) -> store::Result<Cluster> {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_default();
        let tag: [u8; 4] = rand::random();
        let id = format!(
            "{}-{}",
            if host.is_empty() { "convos" } else { &host },
            tag.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let lease_ms = opts.lease.as_millis() as i64;
        // Rows of daemons silent for two leases go (their leases expired long ago).
        let slot = store.cluster_join(&id, &opts.url, 2 * lease_ms).await?;
        store.set_id_slot(slot).await?;
        let key = store.cluster_key().await?;
        info!(daemon = %id, slot, url = %opts.url, lease_s = opts.lease.as_secs(), "joined the cluster");
        Ok(Cluster(Arc::new(Inner {
            id,
            url: opts.url.clone(),
            peers: opts.peers.clone(),
            policy: opts.policy.clone(),
            key,
            lease: opts.lease,
            store: store.clone(),
            held: Mutex::default(),
            ops: tokio::sync::Mutex::new(()),
            draining: Default::default(),
        })))
    }

    /// This daemon's id (`convos cluster drain ID`).
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The secret daemons of this database prove themselves to each other with.
    pub fn key(&self) -> &str {
        &self.0.key
    }

    /// The outbound policy for connections to other daemons.
    pub fn policy(&self) -> &crate::net::Policy {
        &self.0.policy
    }

    /// Whether `given` is the cluster's key (compared in constant time).
    pub fn key_matches(&self, given: &[u8]) -> bool {
        let key = self.0.key.as_bytes();
        key.len() == given.len() && key.iter().zip(given).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
    }

    /// Whether this daemon holds `user`'s lease right now.
    pub fn holds(&self, user: UserId) -> bool {
        self.held()
            .get(&user)
            .is_some_and(|until| *until > Instant::now())
    }

    /// The registry's gate: a user may start here only while [`Cluster::holds`].
    pub fn gate(&self) -> Arc<dyn Fn(UserId) -> bool + Send + Sync> {
        let me = self.clone();
        Arc::new(move |u| me.holds(u))
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, Instant>> {
        self.0.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long a lease row lasts unrenewed (ms), by the database's clock.
    fn lease_ms(&self) -> i64 {
        (self.0.lease * 3 / 4).as_millis() as i64
    }

    /// How long after a renewal was sent this daemon still trusts the lease.
    fn trust(&self) -> Duration {
        self.0.lease / 2
    }

    /// How often leases are renewed and free users looked for.
    fn tick(&self) -> Duration {
        (self.0.lease / 8).max(Duration::from_millis(200))
    }

    /// Where `user`'s requests go; a free user is taken here and started.
    pub async fn route(&self, user: &crate::model::User, users: &Registry) -> Route {
        if self.holds(user.id) {
            return Route::Local;
        }
        match self.0.store.cluster_owner(user.id).await {
            Ok(Some((id, _))) if id == self.0.id => {
                // Being taken right now (or no longer trusted): once that is settled.
                self.settled().await;
                match self.holds(user.id) {
                    true => Route::Local,
                    false => Route::Unavailable,
                }
            }
            Ok(Some((_, url))) => Route::Peer(url),
            Ok(None) if self.0.draining.load(std::sync::atomic::Ordering::Relaxed) => {
                Route::Unavailable
            }
            Ok(None) => match self.take(Some(user.id), 1, users).await {
                n if n > 0 => Route::Local,
                _ => match self.0.store.cluster_owner(user.id).await {
                    Ok(Some((id, url))) if id != self.0.id => Route::Peer(url),
                    _ if self.holds(user.id) => Route::Local,
                    _ => Route::Unavailable,
                },
            },
            Err(e) => {
                warn!(error = %e, "cluster: cannot look the user's daemon up");
                Route::Unavailable
            }
        }
    }

    /// Waits until no renewal or take is under way.
    pub async fn settled(&self) {
        drop(self.0.ops.lock().await);
    }

    /// Takes up to `max` free users (or only `only`) and starts them; returns how many.
    async fn take(&self, only: Option<UserId>, max: i64, users: &Registry) -> usize {
        let _ops = self.0.ops.lock().await;
        let sent = Instant::now();
        let acquire = self
            .0
            .store
            .cluster_acquire(&self.0.id, self.lease_ms(), max, only);
        let got = match tokio::time::timeout(self.trust() / 2, acquire).await {
            Ok(Ok(got)) => got,
            Ok(Err(e)) => {
                warn!(error = %e, "cluster: cannot take users");
                return 0;
            }
            Err(_) => {
                // It may still commit: the leases then expire unrenewed (never started).
                warn!("cluster: taking users timed out");
                return 0;
            }
        };
        if got.is_empty() {
            return 0;
        }
        // Lines of a user taken over sort after what its previous daemon stored.
        if let Err(e) = self.0.store.raise_id_floor().await {
            warn!(error = %e, "cluster: cannot read the newest message id");
        }
        {
            let mut held = self.held();
            for u in &got {
                held.insert(*u, sent + self.trust());
            }
        }
        for u in &got {
            match self.0.store.user(*u).await {
                Ok(Some(user)) => {
                    users.start(user);
                }
                Ok(None) => {}
                Err(e) => warn!(error = %e, user = u.0, "cluster: cannot load a user taken"),
            }
        }
        info!(users = got.len(), "cluster: took users");
        got.len()
    }

    /// Renews this daemon's leases; stops every user it no longer holds.
    async fn renew(&self, users: &Registry) {
        let _ops = self.0.ops.lock().await;
        let sent = Instant::now();
        // Bounded so the loop goes on; the lease is trusted from `sent`, however long
        // the answer takes.
        let renewed = tokio::time::timeout(
            self.trust() / 2,
            self.0.store.cluster_renew(&self.0.id, self.lease_ms()),
        )
        .await;
        match renewed {
            Ok(Ok(kept)) => {
                let idle: Vec<UserId> = {
                    let mut held = self.held();
                    let lost: Vec<UserId> =
                        held.keys().filter(|u| !kept.contains(u)).copied().collect();
                    for u in lost {
                        held.remove(&u);
                        warn!(user = u.0, "cluster: lost a user's lease; stopping it");
                        users.stop(u);
                    }
                    for u in &kept {
                        held.insert(*u, sent + self.trust());
                    }
                    kept.into_iter().filter(|u| !users.contains(*u)).collect()
                };
                // Held but not running (a take that timed out yet committed, a user
                // fenced before a late renewal): start it.
                for u in idle {
                    if let Ok(Some(user)) = self.0.store.user(u).await {
                        users.start(user);
                    }
                }
            }
            Ok(Err(e)) => warn!(error = %e, "cluster: cannot renew leases"),
            Err(_) => warn!("cluster: renewing leases timed out"),
        }
    }

    /// Stops the users whose lease this daemon no longer trusts (not renewed in time).
    fn fence(&self, users: &Registry) {
        let now = Instant::now();
        let mut held = self.held();
        let stale: Vec<UserId> = held
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(u, _)| *u)
            .collect();
        for u in stale {
            held.remove(&u);
            warn!(
                user = u.0,
                "cluster: lease not renewed in time; stopping the user"
            );
            users.stop(u);
        }
    }

    /// Renews, spreads and drains until `shutdown` (fencing in a task of its own); then
    /// hands every user over.
    pub async fn run(self, users: Registry, shutdown: CancellationToken) {
        let tick = self.tick();
        // Fencing runs on its own: a database call that hangs (a network cut the driver
        // has not noticed yet) must not keep a user running past its lease.
        let fence = {
            let (me, users, stop) = (self.clone(), users.clone(), shutdown.clone());
            tokio::spawn(async move {
                let mut every = tokio::time::interval(tick / 2);
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = every.tick() => me.fence(&users),
                    }
                }
            })
        };
        let mut next = Instant::now();
        let mut rounds = 0u64;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep_until(next) => {}
            }
            next = Instant::now() + tick;
            self.fence(&users);
            // Renewal first: a slow heartbeat must not cost the leases.
            self.renew(&users).await;
            let running = self.held().len() as i64;
            let beat = tokio::time::timeout(
                self.trust() / 2,
                // Live: heard within three ticks (a dead daemon soon stops counting, so
                // the others' shares grow to take its users).
                self.0
                    .store
                    .cluster_beat(&self.0.id, running, 3 * tick.as_millis() as i64),
            )
            .await;
            let beat = match beat {
                Ok(Ok(Some(b))) => b,
                Ok(Ok(None)) => {
                    // Declared dead by the others (silent for two leases): whatever it
                    // ran has been taken over. Stop everything and join again.
                    warn!("cluster: this daemon was removed as dead; rejoining");
                    self.stop_all(&users).await;
                    self.rejoin().await;
                    continue;
                }
                Ok(Err(e)) => {
                    warn!(error = %e, "cluster: heartbeat failed");
                    continue;
                }
                Err(_) => {
                    warn!("cluster: heartbeat timed out");
                    continue;
                }
            };
            if beat.draining {
                info!("cluster: draining: handing every user over, then stopping");
                self.0
                    .draining
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                self.hand_over(&users).await;
                shutdown.cancel();
                fence.abort();
                return;
            }
            if rounds % 8 == 0 {
                self.learn_peers().await;
            }
            rounds += 1;
            let share = (beat.users + beat.live.max(1) - 1) / beat.live.max(1);
            let want = share - self.held().len() as i64;
            if want > 0 {
                self.take(None, want, &users).await;
            }
        }
        fence.abort();
        self.hand_over(&users).await;
    }

    /// Resolves the daemons' URLs into [`Options::peers`].
    async fn learn_peers(&self) {
        let Ok(members) = self.0.store.cluster_members().await else {
            return;
        };
        let mut found = std::collections::HashSet::new();
        for m in members {
            let Ok(u) = url::Url::parse(&m.url) else {
                continue;
            };
            let (Some(host), Some(port)) = (u.host_str(), u.port_or_known_default()) else {
                continue;
            };
            let host = host.trim_matches(['[', ']']).to_owned();
            let lookup = tokio::net::lookup_host((host, port));
            if let Ok(Ok(addrs)) = tokio::time::timeout(Duration::from_secs(2), lookup).await {
                found.extend(addrs.map(|a| a.ip()));
            }
        }
        if let Ok(mut peers) = self.0.peers.write() {
            *peers = found;
        }
    }

    /// Registers again after being removed, with a fresh slot: the old one may be
    /// another daemon's now.
    async fn rejoin(&self) {
        let store = &self.0.store;
        match store
            .cluster_join(&self.0.id, &self.0.url, 2 * self.0.lease.as_millis() as i64)
            .await
        {
            Ok(slot) => match store.set_id_slot(slot).await {
                Ok(()) => info!(slot, "cluster: joined again"),
                Err(e) => warn!(error = %e, "cluster: cannot set the id slot"),
            },
            Err(e) => warn!(error = %e, "cluster: cannot join again"),
        }
    }

    /// Stops every user (waiting, bounded, until their IRC connections closed).
    async fn stop_all(&self, users: &Registry) -> Vec<UserId> {
        let ids: Vec<UserId> = self.held().drain().map(|(u, _)| u).collect();
        let waits: Vec<_> = ids.iter().map(|u| users.stop_wait(*u)).collect();
        let all = futures_util::future::join_all(waits);
        if tokio::time::timeout(Duration::from_secs(10), all)
            .await
            .is_err()
        {
            warn!("cluster: some users took over 10 s to stop");
        }
        ids
    }

    /// A clean stop: stop the users, then give their leases up so other daemons take
    /// them at once, and leave.
    async fn hand_over(&self, users: &Registry) {
        let _ops = self.0.ops.lock().await;
        let ids = self.stop_all(users).await;
        let n = ids.len();
        if let Err(e) = self.0.store.cluster_release(&self.0.id, ids).await {
            warn!(error = %e, "cluster: cannot give leases up; they expire by themselves");
        }
        if let Err(e) = self.0.store.cluster_leave(&self.0.id).await {
            warn!(error = %e, "cluster: cannot leave");
        }
        info!(users = n, "cluster: handed users over");
    }
}
