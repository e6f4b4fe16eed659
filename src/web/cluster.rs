//! Any daemon serves any browser (several daemons on one database, see `crate::cluster`):
//! a signed-in request for a user another daemon runs is passed to that daemon, the
//! WebSocket of `/events` included, and its answer passed back unchanged.
//!
//! Two layers. [`peer`] (outermost) recognises a request forwarded by another daemon of
//! the cluster by the shared key in `x-convos-cluster-key`, and only then believes what
//! that daemon says about the client (`x-convos-cluster-client`, `-https`); anyone
//! else's such headers are removed. [`forward`] (innermost, after the Host check) finds
//! the user of a request to `/api/…` or `/events` and, unless this daemon runs it, proxies
//! the request to the daemon that does (HTTP/1.1 over a fresh connection; a WebSocket
//! upgrade is spliced byte for byte). A forwarded request is never forwarded again: if
//! the user moved meanwhile, its handler answers with the actor gone (the browser retries).
//!
//! Must not: trust the cluster headers without the key; forward unauthenticated requests.

use std::net::IpAddr;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;

use super::{AppState, Error};
use crate::cluster::Route;

const KEY: HeaderName = HeaderName::from_static("x-convos-cluster-key");
const CLIENT: HeaderName = HeaderName::from_static("x-convos-cluster-client");
const HTTPS: HeaderName = HeaderName::from_static("x-convos-cluster-https");

/// What the forwarding daemon said about the client of a forwarded request.
#[derive(Debug, Clone, Copy)]
pub struct Forwarded {
    pub client: Option<IpAddr>,
    pub https: bool,
}

/// Marks requests forwarded by a cluster peer; strips the cluster headers from others.
pub async fn peer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let trusted = match (&state.cluster, req.headers().get(KEY)) {
        (Some(c), Some(k)) => c.key_matches(k.as_bytes()),
        _ => false,
    };
    if trusted {
        let h = req.headers();
        let fwd = Forwarded {
            client: h
                .get(CLIENT)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok()),
            https: h.get(HTTPS).is_some_and(|v| v == "1"),
        };
        req.extensions_mut().insert(fwd);
    }
    for name in [KEY, CLIENT, HTTPS] {
        req.headers_mut().remove(name);
    }
    next.run(req).await
}

/// Passes requests of users run by another daemon to it.
pub async fn forward(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(cluster) = state.cluster.clone() else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    let per_user = path.starts_with("/api/") || path == "/events";
    if !per_user {
        return next.run(req).await;
    }
    let forwarded = req.extensions().get::<Forwarded>().is_some();
    let (mut parts, body) = req.into_parts();
    let Ok(session) = super::session::Session::identify(&mut parts, &state).await else {
        // Not signed in (or refused): the handler answers as it would anyway.
        return next.run(Request::from_parts(parts, body)).await;
    };
    if forwarded {
        // Sent here because this daemon holds the user: never sent on again. A take in
        // progress finishes first (the user's actor starts with it).
        if !cluster.holds(session.user.id) {
            cluster.settled().await;
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    match cluster.route(&session.user, &state.users).await {
        Route::Local => next.run(Request::from_parts(parts, body)).await,
        Route::Peer(url) => {
            let client = super::origin::client_ip(&parts.headers, &parts.extensions, &state.config);
            let https = parts.extensions.get::<super::transport::Tls>().is_some()
                || super::transport::forwarded_https(&parts.headers, &state.config);
            let req = Request::from_parts(parts, body);
            match proxy(&url, req, cluster.key(), client, https, cluster.policy()).await {
                Ok(res) => res,
                Err(e) => {
                    tracing::warn!(peer = %url, error = %e, "cluster: cannot forward a request");
                    unavailable()
                }
            }
        }
        Route::Unavailable => unavailable(),
    }
}

/// 503 with a short `Retry-After`: the user is changing daemons.
fn unavailable() -> Response {
    let mut res = Error::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Your session is moving to another server. Try again in a moment.",
        "/",
    )
    .into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    res
}

#[derive(Debug, thiserror::Error)]
enum ProxyError {
    #[error("bad peer URL {0}")]
    Url(String),
    #[error("connect: {0}")]
    Connect(std::io::Error),
    #[error(transparent)]
    Denied(#[from] crate::net::Denied),
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    #[error("request: {0}")]
    Request(#[from] axum::http::Error),
}

/// A connection to the first address of `host` the outbound policy allows (each checked
/// right before connecting, as `net::http` does).
async fn connect(
    host: &str,
    port: u16,
    policy: &crate::net::Policy,
) -> Result<tokio::net::TcpStream, ProxyError> {
    let mut last = None;
    for addr in tokio::net::lookup_host((host, port))
        .await
        .map_err(ProxyError::Connect)?
    {
        if let Err(denied) = policy.check(addr) {
            last = Some(ProxyError::Denied(denied));
            continue;
        }
        match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(ProxyError::Connect(e)),
        }
    }
    Err(last.unwrap_or_else(|| ProxyError::Url(format!("{host}: no address"))))
}

/// Sends `req` to the daemon at `base` and returns its answer; a WebSocket upgrade is
/// completed on both sides and spliced.
async fn proxy(
    base: &str,
    mut req: Request,
    key: &str,
    client: Option<IpAddr>,
    https: bool,
    policy: &crate::net::Policy,
) -> Result<Response, ProxyError> {
    let url = url::Url::parse(base).map_err(|_| ProxyError::Url(base.into()))?;
    if url.scheme() != "http" {
        return Err(ProxyError::Url(base.into()));
    }
    let host = url.host_str().ok_or_else(|| ProxyError::Url(base.into()))?;
    let port = url.port_or_known_default().unwrap_or(80);
    let stream = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        connect(host.trim_matches(['[', ']']), port, policy),
    )
    .await
    .map_err(|_| ProxyError::Connect(std::io::ErrorKind::TimedOut.into()))??;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .is_some()
        .then(|| hyper::upgrade::on(&mut req));
    let (parts, body) = req.into_parts();
    let mut out = hyper::Request::builder()
        .method(parts.method)
        .uri(parts.uri.path_and_query().map_or("/", |p| p.as_str()))
        .body(body)?;
    *out.headers_mut() = parts.headers;
    let h = out.headers_mut();
    h.insert(
        KEY,
        HeaderValue::from_str(key).map_err(axum::http::Error::from)?,
    );
    if let Some(ip) = client {
        if let Ok(v) = HeaderValue::from_str(&ip.to_string()) {
            h.insert(CLIENT, v);
        }
    }
    if https {
        h.insert(HTTPS, HeaderValue::from_static("1"));
    }
    let mut res = sender.send_request(out).await?;
    if res.status() == StatusCode::SWITCHING_PROTOCOLS {
        if let Some(theirs) = upgrade {
            let ours = hyper::upgrade::on(&mut res);
            tokio::spawn(async move {
                let (Ok(a), Ok(b)) = (theirs.await, ours.await) else {
                    return;
                };
                let (mut a, mut b) = (TokioIo::new(a), TokioIo::new(b));
                let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
            });
        }
    }
    let (parts, body) = res.into_parts();
    Ok(Response::from_parts(parts, Body::new(body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{Policy, Rule};

    /// Forwarding goes through the outbound policy: a peer address it denies is never
    /// connected to, one it allows is.
    #[tokio::test]
    async fn peers_are_reached_only_where_the_policy_allows() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = l.local_addr().expect("addr").port();
        let deny = Policy::open().deny(Rule::parse_list("127.0.0.0/8").expect("rule"));
        let err = connect("127.0.0.1", port, &deny).await.expect_err("denied");
        assert!(matches!(err, ProxyError::Denied(_)), "{err}");
        let accepted = tokio::spawn(async move { l.accept().await.is_ok() });
        connect("127.0.0.1", port, &Policy::open())
            .await
            .expect("allowed");
        assert!(accepted.await.expect("task"));
    }
}
