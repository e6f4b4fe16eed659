//! Process-wide operational metrics, exposed by `/metrics` in the OpenMetrics text format
//! (which Prometheus scrapes) through the `prometheus-client` crate.
//!
//! Owns the counters and gauges only. Hot paths (an IRC line, a WebSocket frame) touch
//! one atomic each: no lock and no allocation per line. Values that are cheap to read
//! but costly to track (users running, the store's queue, process RSS/CPU/fds) are set
//! when a scrape asks, in [`encode`]. It reads no user data and names no user.
//!
//! Every metric is listed in docs/metrics.md.

pub mod latency;
mod process;

use std::sync::{LazyLock, Mutex};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

type Labels = [(&'static str, &'static str); 1];

/// The state of one IRC connection, as counted by `convos_irc_connections`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IrcState {
    /// Connecting or registering.
    Connecting,
    /// Registered (001 received).
    Connected,
    /// Not connected: waiting to reconnect, or not wanted.
    Disconnected,
    /// Stopped for good until the user changes something (e.g. SASL refused).
    Failed,
}

impl IrcState {
    const ALL: [IrcState; 4] = [
        IrcState::Connecting,
        IrcState::Connected,
        IrcState::Disconnected,
        IrcState::Failed,
    ];

    fn label(self) -> &'static str {
        match self {
            IrcState::Connecting => "connecting",
            IrcState::Connected => "connected",
            IrcState::Disconnected => "disconnected",
            IrcState::Failed => "failed",
        }
    }
}

/// Every metric of the process. Get it with [`get`].
pub struct Metrics {
    registry: Registry,
    /// Running user actors (set at scrape).
    pub users: Gauge,
    irc_connections: [Gauge; 4],
    /// IRC reconnects scheduled after a connection closed or failed to open.
    pub irc_reconnects: Counter,
    /// IRC lines read from servers.
    pub irc_lines_in: Counter,
    /// IRC lines written to servers.
    pub irc_lines_out: Counter,
    /// Message rows committed to the store.
    pub messages_stored: Counter,
    /// Time of each group commit (`BEGIN` to `COMMIT`).
    pub store_commit_seconds: Histogram,
    /// Group commits that failed (disk full, I/O error).
    pub store_commit_failures: Counter,
    /// Write jobs queued or running (set at scrape).
    pub store_queue_depth: Gauge,
    /// Stored messages not yet in the search index.
    pub index_backlog: Gauge,
    /// Open `/events` WebSockets.
    pub websocket_clients: Gauge,
    /// WebSockets closed with 4000 `resync` because they fell behind.
    pub events_resync: Counter,
    /// Resumes (`?since=`) answered with `reload`: the events were gone.
    pub events_reload: Counter,
    /// Call signals (RTCZ) relayed between browsers and IRC.
    pub rtc_signals: Counter,
    /// Live allocations on the built-in TURN server.
    pub turn_allocations: Gauge,
    /// HTTP requests answered, by status class.
    http_responses: Family<Labels, Counter>,
    process: process::Gauges,
    /// The per-message latency trace, when `CONVOS_TRACE_LATENCY` is on.
    latency: Option<latency::Trace>,
    /// Serialises the scrape-time updates (two scrapes at once would count CPU twice).
    scrape: Mutex<()>,
}

/// The process's metrics, registered on first use.
pub fn get() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

impl Metrics {
    fn new() -> Metrics {
        let mut root = Registry::default();
        // Standard `process_*` names beside our `convos_*` ones.
        let process = process::Gauges::register(root.sub_registry_with_prefix("process"));
        let r = root.sub_registry_with_prefix("convos");
        let users = Gauge::default();
        r.register("users", "Running user actors", users.clone());
        let family = Family::<Labels, Gauge>::default();
        r.register(
            "irc_connections",
            "IRC connections by state",
            family.clone(),
        );
        let irc_connections =
            IrcState::ALL.map(|s| family.get_or_create(&[("state", s.label())]).clone());
        let counter = |r: &mut Registry, name: &str, help: &str| {
            let c = Counter::default();
            r.register(name, help, c.clone());
            c
        };
        let gauge = |r: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            r.register(name, help, g.clone());
            g
        };
        let irc_reconnects = counter(r, "irc_reconnects", "IRC reconnects scheduled");
        let irc_lines_in = counter(r, "irc_lines_in", "IRC lines read from servers");
        let irc_lines_out = counter(r, "irc_lines_out", "IRC lines written to servers");
        let messages_stored = counter(r, "messages_stored", "Messages committed to the store");
        // 100 µs .. ~3.3 s.
        let store_commit_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        r.register(
            "store_commit_seconds",
            "Duration of each group commit of the store's writer",
            store_commit_seconds.clone(),
        );
        let store_commit_failures =
            counter(r, "store_commit_failures", "Group commits that failed");
        let store_queue_depth = gauge(
            r,
            "store_queue_depth",
            "Write jobs queued or running in the store",
        );
        let index_backlog = gauge(
            r,
            "index_backlog",
            "Stored messages not yet in the search index",
        );
        let websocket_clients = gauge(r, "websocket_clients", "Open /events WebSockets");
        let events_resync = counter(
            r,
            "events_resync",
            "WebSockets closed with 4000 resync because they fell behind",
        );
        let events_reload = counter(
            r,
            "events_reload",
            "Resumes answered with reload because the missed events were gone",
        );
        let rtc_signals = counter(
            r,
            "rtc_signals",
            "Call signals relayed between browsers and IRC",
        );
        let turn_allocations = gauge(
            r,
            "turn_allocations",
            "Live allocations on the built-in TURN server",
        );
        let http_responses = Family::<Labels, Counter>::default();
        r.register(
            "http_responses",
            "HTTP responses by status class",
            http_responses.clone(),
        );
        for class in ["1xx", "2xx", "3xx", "4xx", "5xx"] {
            let _ = http_responses.get_or_create(&[("class", class)]);
        }
        let latency = latency::Trace::register(r);
        Metrics {
            registry: root,
            users,
            irc_connections,
            irc_reconnects,
            irc_lines_in,
            irc_lines_out,
            messages_stored,
            store_commit_seconds,
            store_commit_failures,
            store_queue_depth,
            index_backlog,
            websocket_clients,
            events_resync,
            events_reload,
            rtc_signals,
            turn_allocations,
            http_responses,
            process,
            latency,
            scrape: Mutex::new(()),
        }
    }

    fn irc(&self, state: IrcState) -> &Gauge {
        &self.irc_connections[state as usize]
    }

    /// Counts one HTTP response by its status class (`2xx`, `4xx`, ...).
    pub fn http_response(&self, status: u16) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.http_responses.get_or_create(&[("class", class)]).inc();
    }
}

/// What a scrape reads from the running daemon.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot {
    pub users: usize,
    pub store_queue_depth: usize,
}

/// The OpenMetrics text of every metric, after setting the scrape-time values.
pub fn encode(snapshot: Snapshot) -> String {
    let m = get();
    let _one = m.scrape.lock().unwrap_or_else(|e| e.into_inner());
    m.users
        .set(i64::try_from(snapshot.users).unwrap_or(i64::MAX));
    m.store_queue_depth
        .set(i64::try_from(snapshot.store_queue_depth).unwrap_or(i64::MAX));
    m.process.update();
    let mut out = String::with_capacity(8 * 1024);
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &m.registry);
    out
}

/// The content type of [`encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One IRC connection's place in `convos_irc_connections`: moves between states and
/// leaves the count when dropped (the connection's task ended).
#[derive(Debug)]
pub struct IrcGauge {
    state: IrcState,
}

impl IrcGauge {
    /// A new connection, not connected yet.
    pub fn new() -> IrcGauge {
        get().irc(IrcState::Disconnected).inc();
        IrcGauge {
            state: IrcState::Disconnected,
        }
    }

    /// Moves the connection to `state`.
    pub fn set(&mut self, state: IrcState) {
        if state != self.state {
            let m = get();
            m.irc(self.state).dec();
            m.irc(state).inc();
            self.state = state;
        }
    }
}

impl Default for IrcGauge {
    fn default() -> Self {
        IrcGauge::new()
    }
}

impl Drop for IrcGauge {
    fn drop(&mut self) {
        get().irc(self.state).dec();
    }
}

/// Counts one open WebSocket while alive.
#[derive(Debug)]
pub struct WebSocketGauge(());

impl WebSocketGauge {
    pub fn new() -> WebSocketGauge {
        get().websocket_clients.inc();
        WebSocketGauge(())
    }
}

impl Default for WebSocketGauge {
    fn default() -> Self {
        WebSocketGauge::new()
    }
}

impl Drop for WebSocketGauge {
    fn drop(&mut self) {
        get().websocket_clients.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_family() {
        let mut g = IrcGauge::new();
        g.set(IrcState::Connected);
        get().irc_lines_in.inc();
        get().store_commit_seconds.observe(0.002);
        get().http_response(404);
        let text = encode(Snapshot {
            users: 3,
            store_queue_depth: 1,
        });
        for want in [
            "convos_users 3",
            "convos_irc_connections{state=\"connected\"}",
            "convos_irc_lines_in_total",
            "convos_store_commit_seconds_bucket{le=",
            "convos_store_queue_depth 1",
            "convos_http_responses_total{class=\"4xx\"}",
            "process_resident_memory_bytes",
            "process_open_fds",
            "# EOF",
        ] {
            assert!(text.contains(want), "{want} missing in\n{text}");
        }
        drop(g);
    }

    /// Names like `convos_x_total` in `text`.
    fn names(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find(['c', 'p']) {
            rest = &rest[i..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            if word.starts_with("convos_") || word.starts_with("process_") {
                out.push(word.to_string());
            }
            rest = &rest[end.max(1)..];
        }
        out
    }

    /// The docs list every metric, and the Grafana dashboard uses only real ones.
    #[test]
    fn docs_and_dashboard_match() {
        let text = encode(Snapshot::default());
        let docs = include_str!("../../docs/metrics.md");
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap_or_default();
                assert!(docs.contains(name), "{name} is not in docs/metrics.md");
            }
        }
        let dashboard = include_str!("../../contrib/grafana-dashboard.json");
        let found = names(dashboard);
        assert!(found.len() > 10, "{found:?}");
        for name in found {
            assert!(
                text.contains(&name),
                "dashboard uses {name}, which is not exported"
            );
        }
    }
}
