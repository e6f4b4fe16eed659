//! Upstream IRC: one task per connection. Framing ([`codec`]), the sans-IO protocol
//! [`session`], the socket and TLS ([`tls`]), and the async [`task`] that paces output,
//! detects dead links and reconnects with backoff.
//!
//! Must not know users, storage or HTTP: it reports [`Event`]s to its owner.

pub mod codec;
pub mod session;
pub mod task;
pub mod tls;
pub mod url;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use task::{spawn, Event, Handle, Request, Tagged};
pub use url::Config;

/// Tunables of a connection task.
#[derive(Debug, Clone)]
pub struct Options {
    /// Lines sent at once before pacing starts.
    pub burst: u32,
    /// Time per line after the burst.
    pub line_interval: Duration,
    /// Send PING after this long without hearing from the server.
    pub ping_after: Duration,
    /// Give up when the PING has no answer within this.
    pub ping_timeout: Duration,
    /// DNS + TCP + TLS budget.
    pub connect_timeout: Duration,
    /// How often to try to get the wanted nick back.
    pub regain_interval: Duration,
    /// Spaces connects to the same host across users.
    pub spacer: Spacer,
    /// Delays between reconnects.
    pub backoff: Backoff,
    /// Which resolved addresses the task may connect to, and how much a failed connect
    /// tells (see [`Access`]).
    pub access: Access,
}

/// What a connection may reach. The default is the public internet with connect failures
/// told without detail: the owner widens it for trusted users.
#[derive(Debug, Clone)]
pub struct Access {
    /// Checked against every resolved address right before connecting to it.
    pub policy: Arc<crate::net::Policy>,
    /// Show the OS error of a failed connect. Without it every failed connect reads
    /// alike, so a user cannot tell open, closed and refused ports apart.
    pub detail: bool,
}

impl Default for Access {
    fn default() -> Self {
        Access {
            policy: Arc::new(crate::net::Policy::public()),
            detail: false,
        }
    }
}

impl Access {
    /// Any address, full error messages: for admins and the server the admin chose.
    pub fn trusted() -> Access {
        Access {
            policy: Arc::new(crate::net::Policy::open()),
            detail: true,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            burst: 8,
            line_interval: Duration::from_millis(1000),
            ping_after: Duration::from_secs(90),
            ping_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(20),
            regain_interval: Duration::from_secs(60),
            spacer: Spacer::new(Duration::from_millis(200)),
            backoff: Backoff::default(),
            access: Access::default(),
        }
    }
}

/// Exponential backoff with jitter: 2 s, 4 s, ... up to 5 min, ±20 %.
#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
    pub min: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            attempt: 0,
            min: Duration::from_secs(2),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// Delays from `min` doubling up to `max`.
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            attempt: 0,
            min,
            max,
        }
    }

    /// The next delay, with jitter.
    pub fn next_delay(&mut self) -> Duration {
        let base = self
            .min
            .saturating_mul(1u32 << self.attempt.min(16))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let jitter = 0.8 + rand::random::<f64>() * 0.4;
        base.mul_f64(jitter).min(self.max)
    }

    /// Back to the shortest delay (after a successful registration).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Spaces connection attempts to one host, so that a restart with many users does not
/// look like a flood to the IRC server.
#[derive(Debug, Clone)]
pub struct Spacer {
    gap: Duration,
    next: Arc<Mutex<HashMap<String, tokio::time::Instant>>>,
}

impl Spacer {
    pub fn new(gap: Duration) -> Spacer {
        Spacer {
            gap,
            next: Arc::default(),
        }
    }

    /// Waits for this host's turn.
    pub async fn wait(&self, host: &str) {
        let at = {
            let Ok(mut map) = self.next.lock() else {
                return;
            };
            let now = tokio::time::Instant::now();
            let slot = map.entry(host.to_ascii_lowercase()).or_insert(now);
            let at = (*slot).max(now);
            *slot = at + self.gap;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_max_and_resets() {
        let mut b = Backoff::default();
        let d: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(d[0] >= Duration::from_millis(1600) && d[0] <= Duration::from_millis(2400));
        assert!(d[1] >= Duration::from_millis(3200) && d[1] <= Duration::from_millis(4800));
        assert!(d[11] <= Duration::from_secs(300) && d[11] >= Duration::from_secs(240));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(2400));
    }

    #[tokio::test(start_paused = true)]
    async fn spacer_spaces_one_host() {
        let s = Spacer::new(Duration::from_millis(500));
        let t0 = tokio::time::Instant::now();
        s.wait("irc.example").await;
        s.wait("IRC.example").await;
        s.wait("other").await;
        assert_eq!(t0.elapsed(), Duration::from_millis(500));
    }
}
