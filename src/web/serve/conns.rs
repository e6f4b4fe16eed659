//! Counting open connections, in total and per client address, so that one client (or a
//! flood from many) cannot use up the process's file descriptors. A connection over a cap
//! is closed as soon as it is accepted.
//!
//! Owns only counts; which address a connection comes from is the accept loop's business.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Open connections, bounded.
#[derive(Debug)]
pub struct Conns {
    max_total: usize,
    max_per_client: usize,
    inner: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    /// Only clients with at least one connection: the map never outgrows `max_total`.
    per_client: HashMap<IpAddr, usize>,
}

/// One counted connection; its drop gives the slot back.
#[derive(Debug)]
pub struct Permit {
    conns: Arc<Conns>,
    client: Option<IpAddr>,
}

impl Conns {
    /// At most `max_total` connections, and `max_per_client` from one client.
    pub fn new(max_total: usize, max_per_client: usize) -> Arc<Conns> {
        Arc::new(Conns {
            max_total: max_total.max(1),
            max_per_client: max_per_client.max(1),
            inner: Mutex::default(),
        })
    }

    /// A slot for a connection from `client` (already reduced with
    /// [`crate::web::origin::client_key`]; `None`: counted in the total only), or `None`
    /// when a cap is reached.
    pub fn acquire(self: &Arc<Self>, client: Option<IpAddr>) -> Option<Permit> {
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if c.total >= self.max_total {
            return None;
        }
        if let Some(ip) = client {
            let n = c.per_client.entry(ip).or_insert(0);
            if *n >= self.max_per_client {
                return None;
            }
            *n += 1;
        }
        c.total += 1;
        Some(Permit {
            conns: self.clone(),
            client,
        })
    }

    /// Connections counted now.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.inner.lock().map(|c| c.total).unwrap_or(0)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut c = self.conns.inner.lock().unwrap_or_else(|e| e.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(ip) = self.client {
            if let Some(n) = c.per_client.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    c.per_client.remove(&ip);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_client_and_in_total() {
        let conns = Conns::new(5, 2);
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        let a1 = conns.acquire(Some(a)).expect("first");
        let a2 = conns.acquire(Some(a)).expect("second");
        assert!(conns.acquire(Some(a)).is_none(), "third from a");
        let b1 = conns.acquire(Some(b)).expect("b is another client");
        let u1 = conns.acquire(None).expect("unix");
        let u2 = conns.acquire(None).expect("unix");
        assert_eq!(conns.open(), 5);
        assert!(conns.acquire(None).is_none(), "total");
        assert!(conns.acquire(Some(b)).is_none(), "total");
        drop(a1);
        let a3 = conns.acquire(Some(a)).expect("a slot came back");
        drop((a2, a3, b1, u1, u2));
        assert_eq!(conns.open(), 0);
        assert!(conns.inner.lock().expect("lock").per_client.is_empty());
    }
}
