//! What the built-in TURN server relays, and for whom: each datagram a client asks to send
//! goes out only to an address the outbound [`Policy`] allows (the public internet), or to
//! one of this server's own relay allocations (two relayed browsers calling each other);
//! a user has at most [`MAX_ALLOCATIONS_PER_USER`] allocations; a user who no longer exists
//! gets none and its relays go quiet.
//!
//! The `turn` crate has no permission hook, but every relayed datagram leaves through the
//! socket our [`RelayAddressGenerator`] hands it, so the checks sit in that socket. The
//! crate handles one request at a time per listener, and authenticates an Allocate right
//! before it asks for the socket: the username of the last authenticated request is the
//! one the socket is for.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tracing::{debug, warn};
use turn::relay::relay_range::RelayAddressGeneratorRanges;
use turn::relay::RelayAddressGenerator;
use webrtc_util::Conn;

use crate::net::Policy;

/// Allocations one user may hold at once (a call needs one per browser and peer group).
pub const MAX_ALLOCATIONS_PER_USER: usize = 10;

/// Whether the user named in a TURN REST username (`<expiry>:<user>`) still exists.
pub type Roster = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The user part of a TURN REST username.
pub fn user_of(username: &str) -> &str {
    username.split_once(':').map(|(_, u)| u).unwrap_or("")
}

/// State shared by the authenticator, the generator and every relay socket.
pub struct Guard {
    policy: Policy,
    roster: Roster,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Username and client address of the request authenticated last.
    last_auth: Option<(String, SocketAddr)>,
    /// Live allocations per user.
    per_user: HashMap<String, usize>,
    /// Live allocations per (username, client address): they may refresh past expiry.
    live: HashMap<(String, SocketAddr), usize>,
    /// Relay addresses of live allocations, as clients see them.
    relays: HashSet<SocketAddr>,
}

impl Guard {
    pub fn new(policy: Policy, roster: Roster) -> Arc<Guard> {
        Arc::new(Guard {
            policy,
            roster,
            state: Mutex::default(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere poisons the lock; the counts are still right.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the user of `username` exists.
    pub fn known(&self, username: &str) -> bool {
        (self.roster)(user_of(username))
    }

    /// Records an authenticated request (see the module notes); one let in only to
    /// refresh what it holds (`fresh == false`) can make no allocation.
    pub fn authenticated(&self, username: &str, src: SocketAddr, fresh: bool) {
        self.state().last_auth = fresh.then(|| (username.to_string(), src));
    }

    /// Whether `username` already holds an allocation for the client at `src`.
    pub fn holds(&self, username: &str, src: SocketAddr) -> bool {
        self.state().live.contains_key(&(username.to_string(), src))
    }

    /// Whether a relay may send to `peer`: one of our relays, or allowed by the policy.
    fn may_send(&self, peer: SocketAddr) -> bool {
        self.state().relays.contains(&peer) || self.policy.check(peer).is_ok()
    }

    /// Takes a place for a new allocation of the last authenticated user.
    fn reserve(self: &Arc<Self>) -> Result<Slot, turn::Error> {
        let mut st = self.state();
        let (username, src) = st
            .last_auth
            .take()
            .ok_or_else(|| turn::Error::Other("allocation without authentication".into()))?;
        let user = user_of(&username).to_string();
        let n = st.per_user.entry(user.clone()).or_default();
        if *n >= MAX_ALLOCATIONS_PER_USER {
            warn!(%user, "turn: allocation limit reached");
            return Err(turn::Error::Other("allocation limit reached".into()));
        }
        *n += 1;
        *st.live.entry((username.clone(), src)).or_default() += 1;
        crate::metrics::get().turn_allocations.inc();
        Ok(Slot {
            guard: self.clone(),
            user,
            username,
            src,
            relay: None,
            released: std::sync::atomic::AtomicBool::new(false),
        })
    }
}

/// One allocation's place in the counts, given back once (on close or drop).
struct Slot {
    guard: Arc<Guard>,
    user: String,
    username: String,
    src: SocketAddr,
    relay: Option<SocketAddr>,
    released: std::sync::atomic::AtomicBool,
}

impl Slot {
    fn release(&self) {
        if self
            .released
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        crate::metrics::get().turn_allocations.dec();
        let mut st = self.guard.state();
        if let Some(n) = st.per_user.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                st.per_user.remove(&self.user);
            }
        }
        let key = (self.username.clone(), self.src);
        if let Some(n) = st.live.get_mut(&key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                st.live.remove(&key);
            }
        }
        if let Some(r) = self.relay {
            st.relays.remove(&r);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.release();
    }
}

/// Makes relay sockets in a port range, each wrapped in the checks.
pub struct Generator {
    pub inner: RelayAddressGeneratorRanges,
    pub guard: Arc<Guard>,
}

#[async_trait]
impl RelayAddressGenerator for Generator {
    fn validate(&self) -> Result<(), turn::Error> {
        self.inner.validate()
    }

    async fn allocate_conn(
        &self,
        use_ipv4: bool,
        requested_port: u16,
    ) -> Result<(Arc<dyn Conn + Send + Sync>, SocketAddr), turn::Error> {
        let mut slot = self.guard.reserve()?;
        let (conn, relay) = self.inner.allocate_conn(use_ipv4, requested_port).await?;
        slot.relay = Some(relay);
        self.guard.state().relays.insert(relay);
        Ok((Arc::new(Relay { conn, slot }), relay))
    }
}

/// A relay socket that sends only where the guard allows, and nothing once its user is gone.
struct Relay {
    conn: Arc<dyn Conn + Send + Sync>,
    slot: Slot,
}

impl Relay {
    fn may_send(&self, peer: SocketAddr) -> bool {
        let guard = &self.slot.guard;
        if !guard.known(&self.slot.username) {
            debug!(user = %self.slot.user, "turn: user gone, datagram dropped");
            return false;
        }
        if !guard.may_send(peer) {
            debug!(%peer, "turn: peer refused by the outbound policy, datagram dropped");
            return false;
        }
        true
    }
}

#[async_trait]
impl Conn for Relay {
    async fn connect(&self, addr: SocketAddr) -> webrtc_util::Result<()> {
        if !self.may_send(addr) {
            return Err(webrtc_util::Error::Other("peer refused".into()));
        }
        self.conn.connect(addr).await
    }

    async fn recv(&self, buf: &mut [u8]) -> webrtc_util::Result<usize> {
        self.conn.recv(buf).await
    }

    async fn recv_from(&self, buf: &mut [u8]) -> webrtc_util::Result<(usize, SocketAddr)> {
        // What comes in reaches the client only from peers it gave a permission to (the
        // crate checks); the client's own sends are what we police.
        self.conn.recv_from(buf).await
    }

    async fn send(&self, buf: &[u8]) -> webrtc_util::Result<usize> {
        match self.conn.remote_addr() {
            Some(peer) if self.may_send(peer) => self.conn.send(buf).await,
            _ => Ok(buf.len()),
        }
    }

    async fn send_to(&self, buf: &[u8], target: SocketAddr) -> webrtc_util::Result<usize> {
        // Dropped like a firewall would: an error here would only make the crate log.
        if !self.may_send(target) {
            return Ok(buf.len());
        }
        self.conn.send_to(buf, target).await
    }

    fn local_addr(&self) -> webrtc_util::Result<SocketAddr> {
        self.conn.local_addr()
    }

    fn remote_addr(&self) -> Option<SocketAddr> {
        self.conn.remote_addr()
    }

    async fn close(&self) -> webrtc_util::Result<()> {
        self.slot.release();
        self.conn.close().await
    }

    fn as_any(&self) -> &(dyn std::any::Any + Send + Sync) {
        self
    }
}
