//! The async side of one IRC connection: connect (TCP, TLS), run a [`Session`] over the
//! socket, pace output, detect a dead link, and reconnect with backoff until told to stop.
//!
//! It knows nothing of users, storage or HTTP: it sends [`Event`]s to whoever spawned it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use irc_proto::Message;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, trace, warn, Instrument};

use super::codec::LineCodec;
use super::session::{Action, Session};
use super::url::Config;
use super::{tls, Backoff, Options};
use crate::metrics::IrcState;

/// What the owner asks of a connection task.
#[derive(Debug)]
pub enum Request {
    /// Queue a line (paced). Dropped when not connected.
    Send(irc_proto::Message),
    /// Send `QUIT :reason` and stay disconnected until [`Request::Connect`].
    Disconnect(String),
    /// Connect now (also cuts a backoff wait short, or restarts a live connection when
    /// `restart` is set).
    Connect { restart: bool },
    /// Replace the configuration; takes effect on the next connect.
    Configure(Box<Config>),
    /// Replace what the connection may reach; takes effect on the next connect.
    Access(super::Access),
}

/// What a connection task reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// Trying to connect.
    Connecting,
    /// Registered (001) as `nick`, with these capabilities. ISUPPORT (005) follows as
    /// [`Event::ISupport`].
    Registered { nick: String, caps: Vec<String> },
    /// A line for the user.
    Message(Arc<Message>),
    /// Our nick changed.
    NickChanged { old: String, new: String },
    /// An `RPL_ISUPPORT` line (`msg`) and what the server supports with it (the session
    /// applies ISUPPORT; the user's state takes the result).
    ISupport {
        isupport: Box<irc_proto::ISupport>,
        msg: Arc<Message>,
    },
    /// The connection is gone; `retry_in` says when we try again (`None`: we wait to be told).
    Disconnected {
        reason: String,
        retry_in: Option<Duration>,
    },
    /// A permanent failure: we do not reconnect until the user changes something.
    Failed(String),
    /// After registration the enabled capabilities changed (`cap-notify`): the new set.
    Caps(Vec<String>),
    /// STS (<https://ircv3.net/specs/extensions/sts>): `duration: None`, the plaintext
    /// connection is being upgraded to TLS on `port` (this task now uses TLS); `Some(secs)`,
    /// the server's policy seen over TLS: only TLS to it on `port` for that long (0: none).
    Sts { port: u16, duration: Option<u64> },
}

/// An event with the connection it comes from.
#[derive(Debug, Clone)]
pub struct Tagged {
    pub connection: Arc<str>,
    pub event: Event,
    /// When the line behind the event was read, under `CONVOS_TRACE_LATENCY=1`
    /// (see [`crate::metrics::latency`]).
    pub arrived: Option<std::time::Instant>,
}

/// Sends requests to a connection task; cheap to clone. The task ends when every handle
/// is dropped or on shutdown.
#[derive(Debug, Clone)]
pub struct Handle {
    tx: mpsc::Sender<Request>,
}

impl Handle {
    /// Queues a request; `false` when the task is gone.
    pub async fn request(&self, r: Request) -> bool {
        self.tx.send(r).await.is_ok()
    }
}

/// Starts the task for `connection`. It connects at once when `connect` is set.
pub fn spawn(
    connection: Arc<str>,
    config: Config,
    opts: Options,
    connect: bool,
    events: mpsc::Sender<Tagged>,
    shutdown: CancellationToken,
) -> Handle {
    let (tx, rx) = mpsc::channel(256);
    let span = tracing::info_span!("irc", connection = %connection, host = %config.host);
    let task = Task {
        connection,
        config,
        backoff: opts.backoff.clone(),
        opts,
        rx,
        events,
        shutdown,
        gauge: crate::metrics::IrcGauge::new(),
        arrived: None,
    };
    tokio::spawn(task.run(connect).instrument(span));
    Handle { tx }
}

struct Task {
    connection: Arc<str>,
    config: Config,
    opts: Options,
    rx: mpsc::Receiver<Request>,
    events: mpsc::Sender<Tagged>,
    shutdown: CancellationToken,
    backoff: Backoff,
    /// This connection's place in `convos_irc_connections`.
    gauge: crate::metrics::IrcGauge,
    /// When the line being handled was read (latency trace only).
    arrived: Option<std::time::Instant>,
}

/// Why a live connection ended.
enum End {
    Closed(String),
    Fatal(String),
    /// The user asked to disconnect.
    Quit,
    /// Reconnect at once (restart requested).
    Restart,
    /// Daemon shutdown or all handles gone.
    Stop,
}

/// What to do after waiting.
enum Wake {
    Connect,
    Stop,
}

impl Task {
    async fn emit(&self, event: Event) -> bool {
        let tagged = Tagged {
            connection: self.connection.clone(),
            event,
            arrived: self.arrived,
        };
        self.events.send(tagged).await.is_ok()
    }

    async fn run(mut self, mut connect: bool) {
        loop {
            if !connect {
                match self.wait(None).await {
                    Wake::Connect => {}
                    Wake::Stop => return,
                }
            }
            connect = true;
            let end = self.connect_once().await;
            self.arrived = None;
            self.gauge.set(match end {
                End::Fatal(_) => IrcState::Failed,
                End::Restart => IrcState::Connecting,
                _ => IrcState::Disconnected,
            });
            let (reason, retry) = match end {
                End::Stop => return,
                End::Quit => {
                    self.emit(Event::Disconnected {
                        reason: "Disconnected.".into(),
                        retry_in: None,
                    })
                    .await;
                    connect = false;
                    continue;
                }
                End::Restart => {
                    self.backoff.reset();
                    continue;
                }
                End::Fatal(reason) => {
                    warn!(%reason, "connection failed permanently");
                    self.emit(Event::Failed(reason)).await;
                    connect = false;
                    continue;
                }
                End::Closed(reason) => {
                    crate::metrics::get().irc_reconnects.inc();
                    (reason, self.backoff.next_delay())
                }
            };
            info!(%reason, retry_in = ?retry, "disconnected");
            if !self
                .emit(Event::Disconnected {
                    reason,
                    retry_in: Some(retry),
                })
                .await
            {
                return;
            }
            match self.wait(Some(retry)).await {
                Wake::Connect => {}
                Wake::Stop => return,
            }
        }
    }

    /// Waits for `Connect` (or the timeout), applying other requests meanwhile.
    async fn wait(&mut self, timeout: Option<Duration>) -> Wake {
        let mut deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let timer = async {
                match deadline {
                    Some(d) => sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.shutdown.cancelled() => return Wake::Stop,
                _ = timer => return Wake::Connect,
                r = self.rx.recv() => match r {
                    None => return Wake::Stop,
                    Some(Request::Connect { .. }) => { self.backoff.reset(); return Wake::Connect }
                    Some(Request::Configure(c)) => self.config = *c,
                    Some(Request::Access(a)) => self.opts.access = a,
                    Some(Request::Send(_)) => debug!("not connected: line dropped"),
                    Some(Request::Disconnect(_)) => {
                        if deadline.is_some() {
                            self.emit(Event::Disconnected { reason: "Disconnected.".into(), retry_in: None }).await;
                        }
                        deadline = None;
                    }
                },
            }
        }
    }

    async fn connect_once(&mut self) -> End {
        self.opts.spacer.wait(&self.config.host).await;
        self.gauge.set(IrcState::Connecting);
        if !self.emit(Event::Connecting).await {
            return End::Stop;
        }
        let stream = tokio::select! {
            _ = self.shutdown.cancelled() => return End::Stop,
            s = tls::connect(&self.config, self.opts.connect_timeout, &self.opts.access.policy) => s,
        };
        match stream {
            Ok(stream) => self.run_session(stream).await,
            Err(e) if self.opts.access.detail => End::Closed(e.to_string()),
            Err(e) => {
                debug!(error = %e, "connect failed");
                End::Closed(e.without_detail())
            }
        }
    }

    async fn run_session<S: AsyncRead + AsyncWrite + Unpin>(&mut self, stream: S) -> End {
        let mut framed = Framed::new(stream, LineCodec::default());
        let mut session = Session::new(self.config.clone());
        let mut out = Outbox::new(self.opts.burst, self.opts.line_interval);
        for line in session.start() {
            out.push_urgent(line);
        }
        let mut last_read = Instant::now();
        let mut ping_sent: Option<Instant> = None;
        let mut regain_at = Instant::now() + self.opts.regain_interval;
        let mut cut_reported = 0;
        loop {
            // Write what the bucket allows.
            while let Some(line) = out.pop(Instant::now()) {
                trace!(line = %redact(&line), ">>");
                if let Err(e) = framed.send(line).await {
                    return End::Closed(format!("write failed: {e}"));
                }
                crate::metrics::get().irc_lines_out.inc();
            }
            let ping_deadline = match ping_sent {
                Some(t) => t + self.opts.ping_timeout,
                None => last_read + self.opts.ping_after,
            };
            let next_send = out.next_ready();
            tokio::select! {
                _ = self.shutdown.cancelled() => {
                    let quit = irc_proto::Message::new("QUIT").trailing("Server shutting down").to_string();
                    let _ = tokio::time::timeout(Duration::from_secs(1), framed.send(quit)).await;
                    return End::Stop;
                }
                _ = sleep_until(next_send.unwrap_or(ping_deadline)), if next_send.is_some() => {}
                _ = sleep_until(ping_deadline) => {
                    if ping_sent.is_some() {
                        return End::Closed("Ping timeout.".into());
                    }
                    ping_sent = Some(Instant::now());
                    let token = format!("convos-{}", last_read.elapsed().as_secs());
                    out.push_urgent(irc_proto::Message::new("PING").trailing(&token).to_string());
                }
                _ = sleep_until(regain_at) => {
                    regain_at = Instant::now() + self.opts.regain_interval;
                    if let Some(line) = session.regain() {
                        out.push(line);
                    }
                }
                r = self.rx.recv() => match r {
                    None => return End::Stop,
                    Some(Request::Send(line)) => out.push(line.to_string()),
                    Some(Request::Disconnect(reason)) => {
                        let quit = irc_proto::Message::new("QUIT").trailing(&reason).to_string();
                        let _ = framed.send(quit).await;
                        let _ = SinkExt::<String>::close(&mut framed).await;
                        return End::Quit;
                    }
                    Some(Request::Connect { restart }) => {
                        if restart {
                            let _ = framed.send("QUIT :Reconnecting".to_string()).await;
                            return End::Restart;
                        }
                    }
                    Some(Request::Configure(c)) => self.config = *c,
                    Some(Request::Access(a)) => self.opts.access = a,
                },
                line = framed.next() => {
                    let line = match line {
                        None => return End::Closed("Connection closed by the server.".into()),
                        Some(Err(e)) => return End::Closed(format!("read failed: {e}")),
                        Some(Ok(line)) => line,
                    };
                    last_read = Instant::now();
                    self.arrived = crate::metrics::latency::stamp();
                    ping_sent = None;
                    crate::metrics::get().irc_lines_in.inc();
                    if framed.codec().cut > cut_reported {
                        cut_reported = framed.codec().cut;
                        debug!(cut = cut_reported, "over-long line cut");
                    }
                    trace!(%line, "<<");
                    let msg = match Message::parse(&line) {
                        Ok(m) => m,
                        Err(e) => { debug!(error = %e, %line, "malformed line skipped"); continue; }
                    };
                    if msg.command() == "ERROR" {
                        let reason = msg.last_param().unwrap_or("closed").to_string();
                        self.emit(Event::Message(Arc::new(msg))).await;
                        return End::Closed(reason);
                    }
                    let msg = Arc::new(msg);
                    for action in session.handle(&msg) {
                        match action {
                            Action::Send(l) => out.push_urgent(l),
                            Action::Forward => { if !self.emit(Event::Message(msg.clone())).await { return End::Stop; } }
                            Action::Registered { nick } => {
                                self.backoff.reset();
                                self.gauge.set(IrcState::Connected);
                                let caps = session.caps().map(str::to_string).collect();
                                self.emit(Event::Registered { nick, caps }).await;
                            }
                            Action::NickChanged { old, new } => { self.emit(Event::NickChanged { old, new }).await; }
                            Action::ISupport => {
                                let isupport = Box::new(session.isupport().clone());
                                if !self.emit(Event::ISupport { isupport, msg: msg.clone() }).await { return End::Stop; }
                            }
                            Action::CapsChanged(caps) => { self.emit(Event::Caps(caps)).await; }
                            Action::Upgrade { port } => {
                                info!(port, "upgrading to TLS (STS)");
                                self.config.tls = true;
                                self.config.tls_verify = true;
                                self.config.port = port;
                                self.emit(Event::Sts { port, duration: None }).await;
                                return End::Restart;
                            }
                            Action::StsPolicy { port, duration } => {
                                self.emit(Event::Sts { port, duration: Some(duration) }).await;
                            }
                            Action::Fatal(reason) => {
                                let _ = framed.send("QUIT".to_string()).await;
                                return End::Fatal(reason);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Hides secrets in logged lines.
fn redact(line: &str) -> std::borrow::Cow<'_, str> {
    for prefix in ["PASS ", "AUTHENTICATE ", "OPER "] {
        if line.starts_with(prefix)
            && line != "AUTHENTICATE +"
            && !line.starts_with("AUTHENTICATE PLAIN")
        {
            return format!("{prefix}********").into();
        }
    }
    if let Some(rest) = line.strip_prefix("PRIVMSG ") {
        let target = rest.split(' ').next().unwrap_or("");
        if target.eq_ignore_ascii_case("nickserv") {
            return "PRIVMSG NickServ :********".into();
        }
    }
    line.into()
}

/// Output queue with a token bucket: `burst` lines at once, then one per `interval`.
/// Protocol answers (PONG, CAP, registration) go first and are not held back.
struct Outbox {
    urgent: VecDeque<String>,
    queue: VecDeque<String>,
    tokens: f64,
    burst: f64,
    interval: Duration,
    refilled: Instant,
}

/// Lines the user may have waiting; more are refused so memory stays bounded.
const MAX_QUEUED: usize = 2000;

impl Outbox {
    fn new(burst: u32, interval: Duration) -> Outbox {
        Outbox {
            urgent: VecDeque::new(),
            queue: VecDeque::new(),
            tokens: burst as f64,
            burst: burst.max(1) as f64,
            interval,
            refilled: Instant::now(),
        }
    }

    fn push(&mut self, line: String) {
        if self.queue.len() >= MAX_QUEUED {
            warn!("output queue full: line dropped");
            return;
        }
        self.queue.push_back(line);
    }

    fn push_urgent(&mut self, line: String) {
        self.urgent.push_back(line);
    }

    fn refill(&mut self, now: Instant) {
        if self.interval.is_zero() {
            self.tokens = self.burst;
            return;
        }
        let gained = now.duration_since(self.refilled).as_secs_f64() / self.interval.as_secs_f64();
        self.tokens = (self.tokens + gained).min(self.burst);
        self.refilled = now;
    }

    fn pop(&mut self, now: Instant) -> Option<String> {
        self.refill(now);
        if let Some(l) = self.urgent.pop_front() {
            self.tokens = (self.tokens - 1.0).max(-self.burst);
            return Some(l);
        }
        if self.tokens >= 1.0 {
            if let Some(l) = self.queue.pop_front() {
                self.tokens -= 1.0;
                return Some(l);
            }
        }
        None
    }

    /// When the next queued line may go, if any is waiting.
    fn next_ready(&self) -> Option<Instant> {
        if self.queue.is_empty() && self.urgent.is_empty() {
            return None;
        }
        let missing = (1.0 - self.tokens).max(0.0);
        Some(self.refilled + self.interval.mul_f64(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn outbox_paces_after_burst() {
        let mut o = Outbox::new(3, Duration::from_secs(1));
        for i in 0..6 {
            o.push(format!("L{i}"));
        }
        let t0 = Instant::now();
        let mut got = vec![];
        while let Some(l) = o.pop(t0) {
            got.push(l);
        }
        assert_eq!(got, vec!["L0", "L1", "L2"]);
        assert_eq!(o.next_ready(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(o.pop(t0 + Duration::from_millis(999)), None);
        assert_eq!(o.pop(t0 + Duration::from_secs(1)).as_deref(), Some("L3"));
        o.push_urgent("PONG :x".into());
        assert_eq!(
            o.pop(t0 + Duration::from_secs(1)).as_deref(),
            Some("PONG :x")
        );
    }

    #[test]
    fn redacts_secrets() {
        assert_eq!(redact("PASS :hunter2"), "PASS ********");
        assert_eq!(redact("AUTHENTICATE Ym9i"), "AUTHENTICATE ********");
        assert_eq!(redact("AUTHENTICATE PLAIN"), "AUTHENTICATE PLAIN");
        assert_eq!(
            redact("PRIVMSG NickServ :identify pw"),
            "PRIVMSG NickServ :********"
        );
        assert_eq!(redact("PRIVMSG #c :hi"), "PRIVMSG #c :hi");
    }
}
