//! The running user actors, by user id, and the ids of deleted users, whose actors must
//! never come back (a request that was already past its session check when the account
//! was deleted would otherwise start it again).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use super::Handle;
use crate::irc;
use crate::model::{User, UserId};
use crate::store::Store;

/// Running user actors; cheap to clone. Starting a user twice returns the running one.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Mutex<HashMap<UserId, (Handle, CancellationToken)>>>,
    /// Deleted users (ids are never reused: AUTOINCREMENT).
    deleted: Arc<Mutex<HashSet<UserId>>>,
    store: Store,
    irc: irc::Options,
    max_connections: usize,
    /// How long a "minute" of auto-away is (shorter in tests).
    away_minute: std::time::Duration,
    /// Where pushes go (`None`: no Web Push).
    push: Option<crate::push::Handle>,
    /// Whether a user may run here (several daemons: only while this one holds the
    /// user's lease, see `crate::cluster`); `None`: every user.
    gate: Option<Gate>,
    shutdown: CancellationToken,
}

/// See [`Registry::with_gate`].
pub type Gate = Arc<dyn Fn(UserId) -> bool + Send + Sync>;

impl Registry {
    /// A registry whose actors use `store`, connect with `irc` options and stop on `shutdown`.
    pub fn new(store: Store, irc: irc::Options, shutdown: CancellationToken) -> Registry {
        Registry {
            inner: Arc::default(),
            deleted: Arc::default(),
            store,
            irc,
            max_connections: super::DEFAULT_MAX_CONNECTIONS,
            away_minute: std::time::Duration::from_secs(60),
            push: None,
            gate: None,
            shutdown,
        }
    }

    /// Starts only the users `gate` allows; a request for another gets
    /// [`super::Error::Gone`]. Its users are started by whoever owns the gate, not by
    /// [`Registry::start_all`].
    pub fn with_gate(mut self, gate: Gate) -> Registry {
        self.gate = Some(gate);
        self
    }

    /// Lets each user have at most `n` connections (default [`super::DEFAULT_MAX_CONNECTIONS`]).
    pub fn with_max_connections(mut self, n: usize) -> Registry {
        self.max_connections = n;
        self
    }

    /// Sends the users' pushes to `push`.
    pub fn with_push(mut self, push: crate::push::Handle) -> Registry {
        self.push = Some(push);
        self
    }

    /// Makes a minute of the users' auto-away delay last `d` (tests).
    pub fn with_away_minute(mut self, d: std::time::Duration) -> Registry {
        self.away_minute = d;
        self
    }

    /// Starts every user in the store (daemon start); their wanted connections come back.
    pub async fn start_all(&self) -> Result<usize, crate::store::Error> {
        let users = self.store.users().await?;
        let n = users.len();
        for u in users {
            self.start(u);
        }
        Ok(n)
    }

    /// Starts `user`'s actor unless it runs; returns its handle. A deleted user gets a
    /// handle whose requests all fail with [`super::Error::Gone`].
    pub fn start(&self, user: User) -> Handle {
        let barred = self.gate.as_ref().is_some_and(|may| !may(user.id));
        if barred || self.is_deleted(user.id) {
            let (tx, _) = tokio::sync::mpsc::channel(1);
            return Handle {
                user_id: user.id,
                tx,
                hub: Default::default(),
            };
        }
        let Ok(mut map) = self.inner.lock() else {
            // A poisoned lock means a panic elsewhere; run the actor unregistered.
            let token = self.shutdown.child_token();
            return super::actor::spawn(
                user,
                self.store.clone(),
                self.irc.clone(),
                self.max_connections,
                self.away_minute,
                self.push.clone(),
                token,
            );
        };
        if let Some((h, _)) = map.get(&user.id) {
            return h.clone();
        }
        let token = self.shutdown.child_token();
        let id = user.id;
        let handle = super::actor::spawn(
            user,
            self.store.clone(),
            self.irc.clone(),
            self.max_connections,
            self.away_minute,
            self.push.clone(),
            token.clone(),
        );
        map.insert(id, (handle.clone(), token));
        handle
    }

    /// Stops a user's actor (and its IRC connections).
    pub fn stop(&self, id: UserId) {
        if let Ok(mut map) = self.inner.lock() {
            if let Some((_, token)) = map.remove(&id) {
                token.cancel();
            }
        }
    }

    /// Stops a user's actor and waits until it ended, its IRC connections closed.
    pub fn stop_wait(&self, id: UserId) -> impl std::future::Future<Output = ()> + 'static {
        let running = self.inner.lock().ok().and_then(|mut map| map.remove(&id));
        async move {
            if let Some((handle, token)) = running {
                token.cancel();
                handle.closed().await;
            }
        }
    }

    /// Stops a user's actor for good: the account is being deleted.
    pub fn delete(&self, id: UserId) {
        if let Ok(mut deleted) = self.deleted.lock() {
            deleted.insert(id);
        }
        self.stop(id);
    }

    fn is_deleted(&self, id: UserId) -> bool {
        self.deleted.lock().map(|d| d.contains(&id)).unwrap_or(true)
    }

    /// The running actor of a user.
    pub fn get(&self, id: UserId) -> Option<Handle> {
        self.inner.lock().ok()?.get(&id).map(|(h, _)| h.clone())
    }

    /// How many user actors run.
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |m| m.len())
    }

    /// Whether no user runs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `id`'s actor runs.
    pub fn contains(&self, id: UserId) -> bool {
        self.get(id).is_some()
    }
}
