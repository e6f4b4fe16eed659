//! Counting failed logins per key (client IP, account) in fixed windows, in memory and
//! bounded in size: a flood of distinct keys evicts the oldest windows, never grows the map
//! past its cap.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    map: Mutex<HashMap<String, Window>>,
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

    /// Whether `key` has used up its failures in the current window.
    pub fn blocked(&self, key: &str, now: Instant) -> bool {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .is_some_and(|w| now.duration_since(w.start) < self.window && w.failures >= self.max)
    }

    /// Counts one failure for `key`.
    pub fn fail(&self, key: &str, now: Instant) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = map.get_mut(key) {
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
            let oldest = map
                .iter()
                .min_by_key(|(_, w)| w.start)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        map.insert(
            key.to_owned(),
            Window {
                start: now,
                failures: 1,
            },
        );
    }

    /// Forgets `key`'s failures (after a successful login).
    pub fn clear(&self, key: &str) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(key);
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
    fn blocks_after_max_failures_until_the_window_ends() {
        let l = Limiter::new(3, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(!l.blocked("ip:1", t0), "failure {i}");
            l.fail("ip:1", t0 + Duration::from_secs(i));
        }
        assert!(l.blocked("ip:1", t0 + Duration::from_secs(5)));
        assert!(!l.blocked("ip:2", t0 + Duration::from_secs(5)));
        assert!(!l.blocked("ip:1", t0 + Duration::from_secs(61)));
        l.fail("ip:1", t0 + Duration::from_secs(61));
        assert!(
            !l.blocked("ip:1", t0 + Duration::from_secs(62)),
            "new window"
        );
        l.clear("ip:1");
        assert!(!l.blocked("ip:1", t0 + Duration::from_secs(62)));
    }

    #[test]
    fn stays_within_its_cap() {
        let l = Limiter::new(1, Duration::from_secs(60), 10);
        let t0 = Instant::now();
        for i in 0..100u64 {
            l.fail(&format!("k{i}"), t0 + Duration::from_millis(i));
        }
        assert_eq!(l.len(), 10);
        assert!(l.blocked("k99", t0 + Duration::from_secs(1)));
        assert!(
            !l.blocked("k0", t0 + Duration::from_secs(1)),
            "oldest evicted"
        );
    }
}
