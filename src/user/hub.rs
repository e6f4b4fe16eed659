//! A user's event stream: every event gets the next `seq`, is kept in a bounded ring for
//! browsers that reconnect, and is broadcast to the live WebSockets. Each event is
//! serialized once, whatever the number of sockets.
//!
//! The ring only fills while someone watches: from a browser's first subscription until
//! [`KEEP_UNWATCHED`] after the last one left. Only a browser that was subscribed can ask
//! to resume, so a user nobody has looked at for a while (most users of an always-online
//! server, most of the time) keeps no frames and serializes nothing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::broadcast;

use crate::metrics::latency::{self, Stage};
use crate::wire::Event;

/// One serialized event, shared by every socket of the user.
#[derive(Debug)]
pub struct Frame {
    pub seq: u64,
    /// The event's JSON (UTF-8); sockets share these bytes rather than copying them.
    pub json: Bytes,
    /// When the IRC line behind it was read (latency trace only).
    pub arrived: Option<std::time::Instant>,
}

impl Frame {
    /// The JSON as text.
    pub fn text(&self) -> &str {
        // Made from a String in `Hub::publish`, so always UTF-8.
        std::str::from_utf8(&self.json).unwrap_or_default()
    }
}

/// Events kept for resuming browsers, at most, and their JSON bytes at most: memory per
/// user stays small; a browser away for longer reloads instead of replaying. The bytes
/// must hold more than [`LAG`] typical message frames (≈ 300 bytes with msgid), or a
/// socket that lagged could never resume.
const RING: usize = 2048;
const RING_BYTES: usize = 512 * 1024;
/// Events a slow socket may fall behind before it is told to resync.
const LAG: usize = 1024;
/// How long after the last browser left the ring keeps filling: a browser back within this
/// resumes with the events it missed, a later one reloads its state.
pub const KEEP_UNWATCHED: Duration = Duration::from_secs(15 * 60);

/// The publisher side; shared by the actor (publishes) and WebSocket tasks (subscribe).
#[derive(Debug)]
pub struct Hub {
    inner: Mutex<Inner>,
    keep_unwatched: Duration,
    /// How many browsers say the user is active (visible and recently used).
    active: tokio::sync::watch::Sender<usize>,
}

#[derive(Debug)]
struct Inner {
    next_seq: u64,
    ring: VecDeque<Arc<Frame>>,
    /// Bytes of JSON in `ring`.
    bytes: usize,
    /// When a browser was last subscribed; `None`: not since the ring was last dropped.
    watched: Option<Instant>,
    /// The live sockets' channel; made at the first subscription and dropped with the ring
    /// (its buffer of `LAG` slots is most of an idle user's memory otherwise).
    tx: Option<broadcast::Sender<Arc<Frame>>>,
}

/// Held by a WebSocket while it is subscribed; marks the hub as watched when dropped, so
/// the resume window starts when the browser leaves.
pub struct Watch(Arc<Hub>);

impl Drop for Watch {
    fn drop(&mut self) {
        if let Ok(mut inner) = self.0.inner.lock() {
            inner.watched = Some(Instant::now());
        }
    }
}

/// See [`Hub::activity`].
#[derive(Debug)]
pub struct Activity {
    hub: Arc<Hub>,
    active: bool,
}

impl Activity {
    /// This browser is (not) active now.
    pub fn set(&mut self, active: bool) {
        if self.active == active {
            return;
        }
        self.active = active;
        self.hub.active.send_modify(|n| {
            *n = if active {
                n.saturating_add(1)
            } else {
                n.saturating_sub(1)
            }
        });
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        self.set(false);
    }
}

/// Missed frames and the live receiver.
pub type Subscription = (Vec<Arc<Frame>>, broadcast::Receiver<Arc<Frame>>);

/// `since` is older than what the ring holds: the browser must reload.
#[derive(Debug, PartialEq, Eq)]
pub struct Gone;

impl Default for Hub {
    fn default() -> Self {
        Hub::new(crate::time::now_ms().max(1) as u64 * 1000)
    }
}

impl Hub {
    /// A hub whose first event has `first_seq`. Starting from the clock makes seqs keep
    /// increasing across restarts, so a stale `since` is recognised as such.
    pub fn new(first_seq: u64) -> Hub {
        Hub::with_keep(first_seq, KEEP_UNWATCHED)
    }

    /// [`Hub::new`] with another resume window (tests).
    pub fn with_keep(first_seq: u64, keep_unwatched: Duration) -> Hub {
        Hub {
            inner: Mutex::new(Inner {
                next_seq: first_seq,
                ring: VecDeque::new(),
                bytes: 0,
                watched: None,
                tx: None,
            }),
            keep_unwatched,
            active: tokio::sync::watch::Sender::new(0),
        }
    }

    /// One browser's say in whether the user is active: counted while set, until dropped
    /// (one per WebSocket).
    pub fn activity(self: &Arc<Self>) -> Activity {
        Activity {
            hub: self.clone(),
            active: false,
        }
    }

    /// The number of active browsers, and its changes.
    pub fn active_browsers(&self) -> tokio::sync::watch::Receiver<usize> {
        self.active.subscribe()
    }

    /// Marks the hub as watched until the returned guard is dropped (one per WebSocket).
    pub fn watch(self: &Arc<Self>) -> Watch {
        if let Ok(mut inner) = self.inner.lock() {
            inner.watched = Some(Instant::now());
        }
        Watch(self.clone())
    }

    /// Stamps `event` with the next seq and sends it.
    pub fn publish(&self, event: &Event) -> u64 {
        self.publish_traced(event, None)
    }

    /// [`Hub::publish`] for the event of an IRC line read at `arrived` (a
    /// [`latency::stamp`]), which its frame carries to the sockets.
    pub fn publish_traced(&self, event: &Event, arrived: Option<Instant>) -> u64 {
        let Ok(mut inner) = self.inner.lock() else {
            return 0;
        };
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let live = inner.tx.as_ref().is_some_and(|tx| tx.receiver_count() > 0);
        let kept = live
            || inner
                .watched
                .is_some_and(|t| t.elapsed() < self.keep_unwatched);
        if !kept {
            // Nobody can resume from here: drop what was kept, serialize nothing.
            inner.watched = None;
            if inner.tx.is_some() || !inner.ring.is_empty() {
                inner.ring = VecDeque::new();
                inner.bytes = 0;
                inner.tx = None;
            }
            return seq;
        }
        let frame = Arc::new(Frame {
            seq,
            json: Bytes::from(event.frame(seq)),
            arrived,
        });
        inner.bytes += frame.json.len();
        inner.ring.push_back(frame.clone());
        while inner.ring.len() > RING || (inner.bytes > RING_BYTES && inner.ring.len() > 1) {
            if let Some(old) = inner.ring.pop_front() {
                inner.bytes -= old.json.len();
            }
        }
        // No receivers is fine: nobody is looking.
        if let Some(tx) = &inner.tx {
            let _ = tx.send(frame);
        }
        drop(inner);
        latency::observe(Stage::Publish, arrived);
        seq
    }

    /// The events after `since` (none when `None`: a fresh socket needs no backlog) and a receiver for what follows, with no gap between them.
    pub fn subscribe(&self, since: Option<u64>) -> Result<Subscription, Gone> {
        let mut inner = self.inner.lock().map_err(|_| Gone)?;
        let rx = match &inner.tx {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = broadcast::channel(LAG);
                inner.tx = Some(tx);
                rx
            }
        };
        let Some(since) = since else {
            return Ok((Vec::new(), rx));
        };
        if since + 1 >= inner.next_seq {
            return Ok((Vec::new(), rx));
        }
        let oldest = inner.ring.front().map(|f| f.seq).unwrap_or(inner.next_seq);
        if since + 1 < oldest {
            return Err(Gone);
        }
        let missed = inner
            .ring
            .iter()
            .filter(|f| f.seq > since)
            .cloned()
            .collect();
        Ok((missed, rx))
    }

    /// The seq the next event will get.
    pub fn next_seq(&self) -> u64 {
        self.inner.lock().map(|i| i.next_seq).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::State;

    /// A small event.
    fn ev(message: &str) -> Event {
        Event::State(State::Error {
            message: message.into(),
        })
    }

    #[test]
    fn counts_active_browsers() {
        let hub = Arc::new(Hub::default());
        let rx = hub.active_browsers();
        let (mut a, mut b) = (hub.activity(), hub.activity());
        a.set(true);
        a.set(true);
        b.set(true);
        assert_eq!(*rx.borrow(), 2);
        b.set(false);
        assert_eq!(*rx.borrow(), 1);
        drop(b);
        assert_eq!(
            *rx.borrow(),
            1,
            "an inactive browser leaving changes nothing"
        );
        drop(a);
        assert_eq!(*rx.borrow(), 0);
    }

    #[test]
    fn resume_without_gaps() {
        let hub = Arc::new(Hub::new(100));
        let _watch = hub.watch();
        for i in 0..5 {
            hub.publish(&ev(&i.to_string()));
        }
        let (missed, mut rx) = hub.subscribe(Some(101)).expect("kept");
        assert_eq!(
            missed.iter().map(|f| f.seq).collect::<Vec<_>>(),
            vec![102, 103, 104]
        );
        hub.publish(&ev("y"));
        assert_eq!(rx.try_recv().expect("live").seq, 105);
        assert!(missed[0].text().contains("\"seq\":102"));
        // up to date, or nothing asked
        assert!(hub.subscribe(Some(105)).expect("ok").0.is_empty());
        assert!(hub.subscribe(None).expect("ok").0.is_empty());
        // from before this hub's time: reload
        assert_eq!(hub.subscribe(Some(5)).err(), Some(Gone));
    }

    #[test]
    fn ring_fills_only_while_watched() {
        let hub = Arc::new(Hub::with_keep(10, Duration::from_millis(50)));
        // Seqs 10 and 11, never watched: nothing kept, a resume reloads.
        hub.publish(&ev("x"));
        hub.publish(&ev("x"));
        assert_eq!(hub.subscribe(Some(10)).err(), Some(Gone));
        let watch = hub.watch();
        let (_, rx) = hub.subscribe(None).expect("live");
        // 12, kept: someone is subscribed; 13, kept: the browser left just now.
        hub.publish(&ev("x"));
        drop(rx);
        drop(watch);
        hub.publish(&ev("x"));
        let (missed, _) = hub.subscribe(Some(11)).expect("kept");
        assert_eq!(missed.iter().map(|f| f.seq).collect::<Vec<_>>(), [12, 13]);
        std::thread::sleep(Duration::from_millis(60));
        // 14: left longer ago than the window: dropped, and the next resume reloads.
        hub.publish(&ev("x"));
        assert!(hub.inner.lock().expect("lock").ring.is_empty());
        assert_eq!(hub.subscribe(Some(13)).err(), Some(Gone));
        assert_eq!(hub.next_seq(), 15);
    }

    #[test]
    fn ring_is_bounded_by_bytes() {
        let hub = Arc::new(Hub::new(1));
        let _watch = hub.watch();
        let big = "x".repeat(10_000);
        for _ in 0..100 {
            hub.publish(&ev(&big));
        }
        let inner = hub.inner.lock().expect("lock");
        assert!(inner.bytes <= RING_BYTES && inner.ring.len() < 100);
        assert_eq!(
            inner.bytes,
            inner.ring.iter().map(|f| f.json.len()).sum::<usize>()
        );
    }

    #[test]
    fn ring_is_bounded() {
        let hub = Arc::new(Hub::new(1));
        let _watch = hub.watch();
        for _ in 0..(RING + 10) {
            hub.publish(&ev(""));
        }
        assert_eq!(hub.subscribe(Some(1)).err(), Some(Gone));
        let (missed, _) = hub.subscribe(Some(10)).expect("kept");
        assert_eq!(missed.len(), RING);
    }
}
