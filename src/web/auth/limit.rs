//! Counting attempts per key (client address, account) in fixed windows, in memory and
//! bounded in size: keys are kept as SHA-256 digests (an e-mail of any length takes 32
//! bytes), and a flood of distinct keys evicts the oldest windows, never grows the map
//! past its cap.
//!
//! An attempt is reserved before the work it guards (a password check) starts, so that N
//! parallel guesses count as N; one that turns out not to be a failure is given back.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Failures allowed per key and window.
pub const MAX_FAILURES: u32 = 10;
/// The window a key's failures are counted in, from its first failure.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys tracked at most.
pub const CAP: usize = 10_000;

/// Failure counts by key.
pub struct Limiter {
    max: u32,
    window: Duration,
    cap: usize,
    map: Mutex<HashMap<Key, Window>>,
}

type Key = [u8; 32];

fn key(k: &str) -> Key {
    Sha256::digest(k.as_bytes()).into()
}

#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    failures: u32,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new(MAX_FAILURES, WINDOW, CAP)
    }
}

impl Limiter {
    pub fn new(max: u32, window: Duration, cap: usize) -> Limiter {
        Limiter {
            max,
            window,
            cap: cap.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves one attempt on each of `keys` at once: `false`, counting nothing, when
    /// any of them has used up its attempts in the current window.
    pub fn reserve(&self, keys: &[&str], now: Instant) -> bool {
        let keys: Vec<Key> = keys.iter().map(|k| key(k)).collect();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let window = self.window;
        let used_up = keys.iter().any(|k| {
            map.get(k)
                .is_some_and(|w| now.duration_since(w.start) < window && w.failures >= self.max)
        });
        if used_up {
            return false;
        }
        for k in keys {
            self.count(&mut map, k, now);
        }
        true
    }

    fn count(&self, map: &mut HashMap<Key, Window>, k: Key, now: Instant) {
        if let Some(w) = map.get_mut(&k) {
            if now.duration_since(w.start) >= self.window {
                *w = Window {
                    start: now,
                    failures: 0,
                };
            }
            w.failures = w.failures.saturating_add(1);
            return;
        }
        if map.len() >= self.cap {
            let window = self.window;
            map.retain(|_, w| now.duration_since(w.start) < window);
        }
        if map.len() >= self.cap {
            let oldest = map.iter().min_by_key(|(_, w)| w.start).map(|(k, _)| *k);
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        map.insert(
            k,
            Window {
                start: now,
                failures: 1,
            },
        );
    }

    /// Gives back one reserved attempt of `key` (it was not a failure).
    pub fn refund(&self, k: &str) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = map.get_mut(&key(k)) {
            w.failures = w.failures.saturating_sub(1);
        }
    }

    /// Forgets `key`'s attempts (after a successful login).
    pub fn clear(&self, k: &str) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&key(k));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_attempts_until_the_window_ends() {
        let l = Limiter::new(3, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        let s = Duration::from_secs;
        for i in 0..3 {
            assert!(l.reserve(&["ip:1"], t0 + s(i)), "attempt {i}");
        }
        assert!(!l.reserve(&["ip:1"], t0 + s(5)));
        assert!(
            !l.reserve(&["ip:1", "ip:2"], t0 + s(5)),
            "one used-up key refuses all"
        );
        assert!(l.reserve(&["ip:2"], t0 + s(5)), "and counted nothing");
        assert!(l.reserve(&["ip:2"], t0 + s(5)));
        assert!(l.reserve(&["ip:2"], t0 + s(5)));
        assert!(!l.reserve(&["ip:2"], t0 + s(5)));
        l.refund("ip:2");
        assert!(l.reserve(&["ip:2"], t0 + s(5)), "given back");
        assert!(l.reserve(&["ip:1"], t0 + s(61)), "new window");
        l.clear("ip:1");
        for _ in 0..3 {
            assert!(l.reserve(&["ip:1"], t0 + s(62)));
        }
    }

    #[test]
    fn stays_within_its_cap() {
        let l = Limiter::new(1, Duration::from_secs(60), 10);
        let t0 = Instant::now();
        for i in 0..100u64 {
            assert!(l.reserve(&[&format!("k{i}")], t0 + Duration::from_millis(i)));
        }
        assert_eq!(l.len(), 10);
        assert!(!l.reserve(&["k99"], t0 + Duration::from_secs(1)));
        assert!(
            l.reserve(&["k0"], t0 + Duration::from_secs(1)),
            "oldest evicted"
        );
    }
}
