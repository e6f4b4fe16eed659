//! Listening sockets (TCP, TLS, unix) and serving the router on them with graceful shutdown.
//!
//! Binding is separate from serving so that every bind error is reported before anything
//! starts, with the address named. Every connection is counted ([`conns`]), must send its
//! request head within [`Options::timeout`] and is closed after being idle as long.

mod conns;
mod io;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, UnixListener};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::config::Listen;

/// How long in-flight requests get after shutdown is asked for.
pub const GRACE: Duration = Duration::from_secs(4);

/// Limits on connections, the same on every listener.
#[derive(Debug, Clone)]
pub struct Options {
    /// Time to send a request head, and the longest idle time between requests.
    pub timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
    /// Open connections from one client address (an IPv6 /64) at most; `None` behind a
    /// reverse proxy, where every connection comes from the proxy.
    pub max_per_client: Option<usize>,
    /// Addresses exempt from `max_per_client` (the other daemons of a cluster, whose
    /// forwarded requests and event streams carry many browsers': `crate::cluster`).
    pub peers: Peers,
}

pub use crate::cluster::Peers;

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(15),
            max_connections: 4096,
            max_per_client: Some(128),
            peers: Peers::default(),
        }
    }
}

/// A bind failure, naming the address.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {addr} ({url}): {source}")]
    Bind {
        url: String,
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] super::tls::Error),
}

/// A bound socket, ready to serve.
pub struct Bound {
    kind: Kind,
    /// `http://127.0.0.1:PORT`-style URL of what was actually bound (port 0 resolved).
    pub local_url: String,
}

enum Kind {
    Tcp(TcpListener, Option<tokio_rustls::TlsAcceptor>),
    Unix(UnixListener, PathBuf),
}

/// Binds every address of every listen URL; `home` holds the generated certificate
/// for `https://` URLs without `cert=`/`key=`.
pub fn bind(listens: &[Listen], home: &Path) -> Result<Vec<Bound>, Error> {
    let mut out = Vec::new();
    for l in listens {
        match l {
            Listen::Tcp { url, addrs, tls } => {
                let acceptor = match tls {
                    None => None,
                    Some(t) => {
                        let (cert, key) = match (&t.cert, &t.key) {
                            (Some(c), Some(k)) => (c.clone(), k.clone()),
                            _ => super::tls::self_signed(home)?,
                        };
                        let config = super::tls::load(&cert, &key)?;
                        Some(tokio_rustls::TlsAcceptor::from(config))
                    }
                };
                let mut bound_one = false;
                for (i, addr) in addrs.iter().enumerate() {
                    let listener = match bind_tcp(*addr) {
                        Ok(l) => l,
                        // "localhost" may name ::1 on a machine without IPv6: one of its
                        // addresses is enough.
                        Err(e)
                            if e.kind() == std::io::ErrorKind::AddrNotAvailable
                                && (bound_one || i + 1 < addrs.len()) =>
                        {
                            warn!(%addr, error = %e, "address not available, skipped");
                            continue;
                        }
                        Err(source) => {
                            return Err(Error::Bind {
                                url: url.clone(),
                                addr: addr.to_string(),
                                source,
                            })
                        }
                    };
                    bound_one = true;
                    let local = listener.local_addr().unwrap_or(*addr);
                    let scheme = if acceptor.is_some() { "https" } else { "http" };
                    out.push(Bound {
                        kind: Kind::Tcp(listener, acceptor.clone()),
                        local_url: format!("{scheme}://{local}"),
                    });
                }
            }
            Listen::Unix { url, path } => {
                let bind_err = |source| Error::Bind {
                    url: url.clone(),
                    addr: path.display().to_string(),
                    source,
                };
                // A stale socket from an earlier run would make bind fail; only remove a socket.
                if let Ok(meta) = std::fs::symlink_metadata(path) {
                    use std::os::unix::fs::FileTypeExt;
                    if meta.file_type().is_socket()
                        && std::os::unix::net::UnixStream::connect(path).is_err()
                    {
                        let _ = std::fs::remove_file(path);
                    }
                }
                let std_listener =
                    std::os::unix::net::UnixListener::bind(path).map_err(bind_err)?;
                std_listener.set_nonblocking(true).map_err(bind_err)?;
                let listener = UnixListener::from_std(std_listener).map_err(bind_err)?;
                out.push(Bound {
                    kind: Kind::Unix(listener, path.clone()),
                    local_url: format!("http+unix://{}", path.display()),
                });
            }
        }
    }
    Ok(out)
}

fn bind_tcp(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let domain = socket2::Domain::for_address(addr);
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP));
    let socket = match socket {
        Ok(s) => s,
        // No IPv6 on this machine: "*" falls back to IPv4 only.
        Err(_) if addr.ip().is_unspecified() && addr.is_ipv6() => {
            return bind_tcp(SocketAddr::new(
                std::net::Ipv4Addr::UNSPECIFIED.into(),
                addr.port(),
            ))
        }
        Err(e) => return Err(e),
    };
    if addr.is_ipv6() {
        // "*" must accept IPv4 too.
        socket.set_only_v6(!addr.ip().is_unspecified())?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

/// Serves `app` on every bound socket until `shutdown` is cancelled, then waits up to
/// [`GRACE`] for in-flight requests and returns.
pub async fn run(bound: Vec<Bound>, app: Router, opts: Options, shutdown: CancellationToken) {
    let graceful = Arc::new(GracefulShutdown::new());
    let conns = conns::Conns::new(opts.max_connections, opts.max_per_client.unwrap_or(0));
    let mut tasks = tokio::task::JoinSet::new();
    for b in bound {
        info!(url = %b.local_url, "listening");
        tasks.spawn(accept_loop(
            b.kind,
            Serve {
                app: app.clone(),
                graceful: graceful.clone(),
                timeout: opts.timeout,
            },
            conns.clone(),
            opts.max_per_client.is_some().then(|| opts.peers.clone()),
            shutdown.clone(),
        ));
    }
    while tasks.join_next().await.is_some() {}
    let graceful = Arc::try_unwrap(graceful).unwrap_or_else(|_| GracefulShutdown::new());
    if tokio::time::timeout(GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        warn!("in-flight requests did not finish in time");
    }
}

/// What serving one connection needs.
#[derive(Clone)]
struct Serve {
    app: Router,
    graceful: Arc<GracefulShutdown>,
    timeout: Duration,
}

async fn accept_loop(
    kind: Kind,
    serve: Serve,
    conns: Arc<conns::Conns>,
    per_client: Option<Peers>,
    shutdown: CancellationToken,
) {
    match kind {
        Kind::Tcp(listener, tls) => loop {
            let (stream, peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(e) => { accept_error(e).await; continue; }
                },
            };
            let client = per_client
                .as_ref()
                .filter(|peers| !peers.read().is_ok_and(|p| p.contains(&peer.ip())))
                .map(|_| super::origin::client_key(peer.ip()));
            let Some(permit) = conns.acquire(client) else {
                // Dropping the stream closes it at once.
                debug!(%peer, "too many connections: closed");
                continue;
            };
            let _ = stream.set_nodelay(true);
            let stream = io::Guarded::new(stream, serve.timeout, Some(permit));
            let serve = serve.clone();
            let shutdown = shutdown.clone();
            match tls.clone() {
                None => serve_conn(stream, &serve, Some(peer), false),
                Some(acceptor) => {
                    tokio::spawn(async move {
                        let handshake =
                            tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
                        let stream = tokio::select! {
                            _ = shutdown.cancelled() => return,
                            r = handshake => match r {
                                Ok(Ok(s)) => s,
                                Ok(Err(e)) => { debug!(%peer, error = %e, "tls handshake failed"); return; }
                                Err(_) => { debug!(%peer, "tls handshake timed out"); return; }
                            },
                        };
                        // The handshake's bytes do not count: the request's must come in time too.
                        let stream = io::Guarded::new(stream, serve.timeout, None);
                        serve_conn(stream, &serve, Some(peer), true);
                    });
                }
            }
        },
        Kind::Unix(listener, path) => {
            loop {
                let (stream, _) = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    r = listener.accept() => match r {
                        Ok(x) => x,
                        Err(e) => { accept_error(e).await; continue; }
                    },
                };
                let Some(permit) = conns.acquire(None) else {
                    debug!("too many connections: closed");
                    continue;
                };
                serve_conn(
                    io::Guarded::new(stream, serve.timeout, Some(permit)),
                    &serve,
                    None,
                    false,
                );
            }
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Too many open files and similar: back off briefly instead of spinning.
async fn accept_error(e: std::io::Error) {
    warn!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

fn serve_conn<I>(io: I, serve: &Serve, peer: Option<SocketAddr>, tls: bool)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use tower::ServiceExt;
    let app = serve.app.clone();
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            if let Some(peer) = peer {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
            }
            if tls {
                req.extensions_mut().insert(super::transport::Tls);
            }
            app.clone().oneshot(req)
        });
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // Also the idle time allowed between keep-alive requests.
        .header_read_timeout(serve.timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(100)
        .keep_alive_interval(serve.timeout)
        .keep_alive_timeout(serve.timeout);
    let conn = builder
        .serve_connection_with_upgrades(TokioIo::new(io), service)
        .into_owned();
    let conn = serve.graceful.watch(conn);
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            debug!(error = %e, "connection ended with an error");
        }
    });
}
