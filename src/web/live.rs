//! The sessions with an open `/events` WebSocket, so that ending a session (logout,
//! password change or reset, account deletion) closes its sockets at once instead of
//! leaving them streaming a user's messages until they reconnect.
//!
//! Owns only cancellation tokens; the sockets themselves belong to `web::events`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::model::UserId;

/// Open WebSockets by session; cheap to share.
#[derive(Debug, Default)]
pub struct Live {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    sockets: HashMap<u64, Socket>,
}

#[derive(Debug)]
struct Socket {
    user: UserId,
    token_hash: String,
    ended: CancellationToken,
}

/// Which sessions of a user end.
#[derive(Debug, Clone, Copy)]
pub enum Ended<'a> {
    /// This session (logout).
    One(&'a str),
    /// Every session but this one (password change).
    AllBut(&'a str),
    /// Every session (reset, deletion).
    All,
}

/// Held by a WebSocket task; cancelled when its session ends, unregisters when dropped.
#[derive(Debug)]
pub struct Registration {
    live: Arc<Live>,
    id: u64,
    /// Cancelled when the session ends.
    pub ended: CancellationToken,
}

impl Live {
    /// Registers a socket of `user`'s session `token_hash`.
    pub fn register(self: &Arc<Self>, user: UserId, token_hash: &str) -> Registration {
        let ended = CancellationToken::new();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.next += 1;
        let id = inner.next;
        inner.sockets.insert(
            id,
            Socket {
                user,
                token_hash: token_hash.to_owned(),
                ended: ended.clone(),
            },
        );
        Registration {
            live: self.clone(),
            id,
            ended,
        }
    }

    /// Closes the sockets of `user`'s ended sessions; returns how many.
    pub fn end(&self, user: UserId, which: Ended<'_>) -> usize {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut n = 0;
        for s in inner.sockets.values().filter(|s| s.user == user) {
            let hit = match which {
                Ended::One(t) => s.token_hash == t,
                Ended::AllBut(t) => s.token_hash != t,
                Ended::All => true,
            };
            if hit {
                s.ended.cancel();
                n += 1;
            }
        }
        n
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut inner = self.live.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.sockets.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_the_right_sockets() {
        let live = Arc::new(Live::default());
        let (a, b) = (UserId(1), UserId(2));
        let a1 = live.register(a, "s1");
        let a1b = live.register(a, "s1");
        let a2 = live.register(a, "s2");
        let b3 = live.register(b, "s3");
        assert_eq!(live.end(a, Ended::AllBut("s1")), 1);
        assert!(a2.ended.is_cancelled() && !a1.ended.is_cancelled());
        assert_eq!(live.end(a, Ended::One("s1")), 2);
        assert!(a1.ended.is_cancelled() && a1b.ended.is_cancelled());
        assert_eq!(live.end(b, Ended::One("s1")), 0, "another user's session");
        assert!(!b3.ended.is_cancelled());
        drop((a1, a1b, a2));
        assert_eq!(live.end(a, Ended::All), 0, "unregistered");
        assert_eq!(live.end(b, Ended::All), 1);
    }
}
