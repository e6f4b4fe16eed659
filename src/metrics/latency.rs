//! The per-message latency trace, on with `CONVOS_TRACE_LATENCY=1` (read once at start):
//! each IRC line is stamped when its task read it from the socket, and the time from that
//! stamp is observed at each later stage of its way to the browsers, so a slow tail can be
//! explained stage by stage (`scripts/bench` prints the quantiles per stage):
//!
//! | stage | when |
//! |---|---|
//! | `actor` | the user's actor took the line and queued its append to the store |
//! | `commit` | the store acknowledged the commit (the actor saw the result) |
//! | `publish` | the event was serialized into the user's hub and broadcast |
//! | `write` | a WebSocket wrote (and flushed) the frame, once per socket |
//!
//! Exposed as the histogram `convos_latency_seconds{stage}` on `/metrics` only while on.
//! Off, [`stamp`] returns `None`, nothing is registered and every [`observe`] is a branch
//! on that `None`: no clock read, no lock.

use std::sync::LazyLock;
use std::time::Instant;

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// A point on a message's way from the IRC socket to the browsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Actor,
    Commit,
    Publish,
    Write,
}

impl Stage {
    const ALL: [Stage; 4] = [Stage::Actor, Stage::Commit, Stage::Publish, Stage::Write];

    fn label(self) -> &'static str {
        match self {
            Stage::Actor => "actor",
            Stage::Commit => "commit",
            Stage::Publish => "publish",
            Stage::Write => "write",
        }
    }
}

/// The trace's histograms, one per stage.
pub(super) struct Trace([Histogram; 4]);

/// Whether `CONVOS_TRACE_LATENCY` turned the trace on.
fn on() -> bool {
    static ON: LazyLock<bool> = LazyLock::new(|| {
        std::env::var("CONVOS_TRACE_LATENCY")
            .ok()
            .and_then(|v| crate::flag::parse(&v))
            .unwrap_or(false)
    });
    *ON
}

impl Trace {
    /// Registers `latency_seconds` in `r` when the trace is on.
    pub(super) fn register(r: &mut Registry) -> Option<Trace> {
        if !on() {
            return None;
        }
        // 20 µs .. ~4 s in steps of 25 %, so a p99 reads within a quarter.
        let family =
            Family::<[(&'static str, &'static str); 1], Histogram>::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.00002, 1.25, 56))
            });
        r.register(
            "latency_seconds",
            "Time from reading an IRC line to each stage of its delivery (CONVOS_TRACE_LATENCY=1)",
            family.clone(),
        );
        Some(Trace(Stage::ALL.map(|s| {
            family.get_or_create(&[("stage", s.label())]).clone()
        })))
    }
}

/// Now, when the trace is on: the arrival stamp of a line just read.
pub fn stamp() -> Option<Instant> {
    on().then(Instant::now)
}

/// Observes the time since `arrived` (a [`stamp`]) at `stage`; nothing without a stamp.
pub fn observe(stage: Stage, arrived: Option<Instant>) {
    let Some(arrived) = arrived else { return };
    if let Some(trace) = &super::get().latency {
        trace.0[stage as usize].observe(arrived.elapsed().as_secs_f64());
    }
}
