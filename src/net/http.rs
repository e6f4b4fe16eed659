//! The guarded outbound HTTP client: every server-side fetch made because of what a user
//! typed (link previews, their images, oEmbed) goes through [`Client::get`] (or
//! [`Client::stream`] for a video played through the daemon), and every
//! Web Push (to an endpoint a browser named) through [`Client::post`].
//!
//! Hostile URLs are the normal case here, so the client:
//! - resolves the host itself and checks **each resolved address, with its port, right
//!   before connecting** against the one outbound [`Policy`] (so `localhost`, names that
//!   resolve to internal addresses and DNS rebinding are covered), on every redirect hop;
//! - speaks only `http`/`https` (verified TLS), follows at most [`Fetch::max_redirects`]
//!   redirects, never uses a proxy from the environment and keeps no cookies;
//! - stops at a total deadline (connects, redirects and a slowly dripping body included)
//!   and at a body size limit, and checks the content type before reading the body.
//!
//! Built on hyper's client connection rather than `reqwest`: reqwest's resolver hook sees
//! neither the port (which the policy's rules may name) nor IP-literal hosts, which skip
//! the resolver; here the connect step is ours, so nothing reaches a socket unchecked.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::header;
use hyper_util::rt::TokioIo;
use url::Url;

use super::{Denied, Policy};
use crate::irc::tls::Stream;

/// The `User-Agent` of every fetch: names the product and nothing about the user.
pub const USER_AGENT: &str = concat!("Convos/", env!("CARGO_PKG_VERSION"), " (link preview)");

/// The `User-Agent` of a push.
pub const PUSH_AGENT: &str = concat!("Convos/", env!("CARGO_PKG_VERSION"), " (web push)");

/// A POST's answer: its status, and `Retry-After` (seconds) when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    pub status: u16,
    pub retry_after: Option<u64>,
}

/// Why a fetch failed. Messages are for logs and the admin; users get a generic word.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a fetchable URL: {0}")]
    Url(String),
    #[error("only http and https URLs are fetched, not {0}:")]
    Scheme(String),
    #[error("cannot resolve {0}")]
    Dns(String),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error("TLS with {0} failed: {1}")]
    Tls(String, String),
    #[error("HTTP error: {0}")]
    Http(String),
    #[error("more than {0} redirects")]
    Redirects(u8),
    #[error("answered with status {0}")]
    Status(u16),
    #[error("content type {0:?} is not wanted")]
    ContentType(String),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("took longer than {0:?}")]
    Timeout(Duration),
}

/// What one fetch may do.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// Everything (name lookups, connects, redirects, the body) within this time.
    pub timeout: Duration,
    /// The most body bytes read; more is [`Error::TooLarge`].
    pub max_body: usize,
    /// Redirects followed at most.
    pub max_redirects: u8,
    /// Accepted content types by prefix (`"text/html"`, `"image/"`); empty: any.
    pub accept: &'static [&'static str],
    /// Content types (by prefix) whose body is not read: the answer has an empty body
    /// (e.g. a link preview only needs to know that a URL is an image).
    pub skip_body: &'static [&'static str],
}

impl Default for Fetch {
    fn default() -> Self {
        Fetch {
            timeout: Duration::from_secs(5),
            max_body: 2 * 1024 * 1024,
            max_redirects: 5,
            accept: &[],
            skip_body: &[],
        }
    }
}

/// A successful (2xx) answer, its body read whole.
#[derive(Debug, Clone)]
pub struct Response {
    /// The URL after redirects.
    pub url: Url,
    pub status: u16,
    /// The `Content-Type` header, lower-cased, without parameters.
    pub content_type: String,
    /// The `Content-Length` announced (also when the body was skipped).
    pub length: Option<u64>,
    pub body: Bytes,
}

/// The client; cheap to clone.
#[derive(Clone)]
pub struct Client {
    policy: Arc<Policy>,
    tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("policy", &self.policy)
            .finish()
    }
}

impl Client {
    /// A client that reaches only what `policy` allows, verifying TLS with the system's
    /// roots (else the Mozilla set compiled in).
    pub fn new(policy: Arc<Policy>) -> Client {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(crate::irc::tls::roots())
            .with_no_client_auth();
        Client {
            policy,
            tls: Arc::new(tls),
        }
    }

    /// GETs `url`, following redirects, within the limits of `fetch`.
    pub async fn get(&self, url: &str, fetch: &Fetch) -> Result<Response, Error> {
        let url = Url::parse(url).map_err(|e| Error::Url(e.to_string()))?;
        tokio::time::timeout(fetch.timeout, self.follow(url, fetch))
            .await
            .map_err(|_| Error::Timeout(fetch.timeout))?
    }

    async fn follow(&self, url: Url, fetch: &Fetch) -> Result<Response, Error> {
        let opened = self.open(url, fetch, None).await?;
        let Opened {
            url,
            res,
            content_type,
            ..
        } = opened;
        let status = res.status().as_u16();
        let length = announced(&res);
        if fetch.skip_body.iter().any(|a| content_type.starts_with(a)) {
            return Ok(Response {
                url,
                status,
                content_type,
                length,
                body: Bytes::new(),
            });
        }
        if length.is_some_and(|n| n > fetch.max_body as u64) {
            return Err(Error::TooLarge(fetch.max_body));
        }
        let body = read_body(res.into_body(), fetch.max_body).await?;
        Ok(Response {
            url,
            status,
            content_type,
            length,
            body,
        })
    }

    /// Follows redirects from `url` to a successful answer whose content type `fetch`
    /// accepts; its body is not read yet. `range` is sent as the `Range` header.
    async fn open(
        &self,
        mut url: Url,
        fetch: &Fetch,
        range: Option<&header::HeaderValue>,
    ) -> Result<Opened, Error> {
        let mut hops = 0u8;
        loop {
            let (res, conn) = self.request(&url, range).await?;
            let status = res.status();
            if status.is_redirection() && status != hyper::StatusCode::NOT_MODIFIED {
                let next = res
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or_else(|| {
                        Error::Http(format!("redirect ({status}) without a usable Location"))
                    })?;
                if hops >= fetch.max_redirects {
                    return Err(Error::Redirects(fetch.max_redirects));
                }
                hops += 1;
                tracing::debug!(from = %url, to = %next, "fetch: redirect");
                url = next;
                continue;
            }
            if !status.is_success() {
                return Err(Error::Status(status.as_u16()));
            }
            let content_type = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(|v| v.trim().to_ascii_lowercase())
                .unwrap_or_default();
            if !fetch.accept.is_empty() && !fetch.accept.iter().any(|a| content_type.starts_with(a))
            {
                return Err(Error::ContentType(content_type));
            }
            return Ok(Opened {
                url,
                res,
                conn,
                content_type,
            });
        }
    }

    /// GETs `url` like [`Client::get`] (redirects, the policy, `fetch.accept`, the
    /// deadline up to the answer's head), passing `range` on, and hands the body over as
    /// a stream: at most `fetch.max_body` bytes (the stream fails past them), each chunk
    /// within `fetch.timeout` of the one before. For media played through the daemon.
    pub async fn stream(
        &self,
        url: &str,
        fetch: &Fetch,
        range: Option<&header::HeaderValue>,
    ) -> Result<Streamed, Error> {
        let url = Url::parse(url).map_err(|e| Error::Url(e.to_string()))?;
        let opened = tokio::time::timeout(fetch.timeout, self.open(url, fetch, range))
            .await
            .map_err(|_| Error::Timeout(fetch.timeout))??;
        let Opened {
            res,
            conn,
            content_type,
            ..
        } = opened;
        let length = announced(&res);
        if length.is_some_and(|n| n > fetch.max_body as u64) {
            return Err(Error::TooLarge(fetch.max_body));
        }
        let header = |name| res.headers().get(name).cloned();
        let content_range = header(header::CONTENT_RANGE);
        let status = res.status().as_u16();
        let state = StreamState {
            body: res.into_body(),
            _conn: conn,
            left: fetch.max_body,
            idle: fetch.timeout,
        };
        let body = futures_util::stream::unfold(Some(state), |state| async move {
            let mut st = state?;
            loop {
                let frame = match tokio::time::timeout(st.idle, st.body.frame()).await {
                    Err(_) => return Some((Err(Error::Timeout(st.idle)), None)),
                    Ok(None) => return None,
                    Ok(Some(Err(e))) => return Some((Err(Error::Http(e.to_string())), None)),
                    Ok(Some(Ok(frame))) => frame,
                };
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                if data.len() > st.left {
                    let max = st.left;
                    return Some((Err(Error::TooLarge(max)), None));
                }
                st.left -= data.len();
                return Some((Ok(data), Some(st)));
            }
        });
        Ok(Streamed {
            status,
            content_type,
            length,
            content_range,
            body: Box::pin(body),
        })
    }

    /// Sends one request (any method, headers and body) on a fresh, checked connection
    /// and reads the answer whatever its status: redirects are not followed. For API
    /// calls such as an OpenID provider's token endpoint, within `fetch`'s deadline and
    /// body cap (its `accept` list is not applied).
    pub async fn send(
        &self,
        req: hyper::Request<Vec<u8>>,
        fetch: &Fetch,
    ) -> Result<hyper::Response<Vec<u8>>, Error> {
        let url = Url::parse(&req.uri().to_string()).map_err(|e| Error::Url(e.to_string()))?;
        let (parts, body) = req.into_parts();
        let max = fetch.max_body;
        let call = async move {
            let (res, _conn) = self
                .request_with(&url, parts.method, parts.headers, Bytes::from(body))
                .await?;
            if announced(&res).is_some_and(|n| n > max as u64) {
                return Err(Error::TooLarge(max));
            }
            let (parts, body) = res.into_parts();
            let body = read_body(body, max).await?;
            Ok(hyper::Response::from_parts(parts, body.to_vec()))
        };
        tokio::time::timeout(fetch.timeout, call)
            .await
            .map_err(|_| Error::Timeout(fetch.timeout))?
    }

    /// POSTs `body` with `headers` to `url` (no redirects followed: a push service
    /// answers where it was asked) within `timeout`; returns the status and the
    /// `Retry-After` seconds if any. The answer's body is not read.
    pub async fn post(
        &self,
        url: &str,
        headers: Vec<(header::HeaderName, header::HeaderValue)>,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Posted, Error> {
        let url = Url::parse(url).map_err(|e| Error::Url(e.to_string()))?;
        let mut map = hyper::HeaderMap::new();
        map.insert(
            header::USER_AGENT,
            header::HeaderValue::from_static(PUSH_AGENT),
        );
        for (name, value) in headers {
            map.insert(name, value);
        }
        let post = async {
            let (res, _conn) = self
                .request_with(&url, hyper::Method::POST, map, Bytes::from(body))
                .await?;
            let retry_after = res
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            Ok(Posted {
                status: res.status().as_u16(),
                retry_after,
            })
        };
        tokio::time::timeout(timeout, post)
            .await
            .map_err(|_| Error::Timeout(timeout))?
    }

    /// One GET on a fresh, checked connection.
    /// The connection lives as long as the returned guard (drop it after the body).
    async fn request(
        &self,
        url: &Url,
        range: Option<&header::HeaderValue>,
    ) -> Result<(hyper::Response<hyper::body::Incoming>, AbortOnDrop), Error> {
        let mut headers = hyper::HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            header::HeaderValue::from_static("text/html, image/*;q=0.9, */*;q=0.5"),
        );
        if let Some(range) = range {
            headers.insert(header::RANGE, range.clone());
        }
        self.request_with(url, hyper::Method::GET, headers, Bytes::new())
            .await
    }

    /// One request on a fresh, checked connection; `headers` are added to ours (`Host`,
    /// `User-Agent`, identity encoding), `Host` and `Content-Length` are always ours.
    async fn request_with(
        &self,
        url: &Url,
        method: hyper::Method,
        headers: hyper::HeaderMap,
        body: Bytes,
    ) -> Result<(hyper::Response<hyper::body::Incoming>, AbortOnDrop), Error> {
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            other => return Err(Error::Scheme(other.to_string())),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::Url("URLs with credentials are not fetched".into()));
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(Error::Url("no host".into())),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Error::Url("no port".into()))?;
        let stream = self.connect(&host, port, tls).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Error::Http(e.to_string()))?;
        // The connection task ends with the response body, or with the guard (a redirect
        // hop, an error, the deadline).
        let task = tokio::spawn(async move {
            let _ = conn.await;
        });
        let guard = AbortOnDrop(task.abort_handle());
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let host_header = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(header::USER_AGENT, USER_AGENT)
            .header(header::ACCEPT_ENCODING, "identity")
            .body(Full::new(body))
            .map_err(|e| Error::Url(e.to_string()))?;
        for (name, value) in &headers {
            if name != header::HOST && name != header::CONTENT_LENGTH {
                req.headers_mut().insert(name.clone(), value.clone());
            }
        }
        let host_header = header::HeaderValue::try_from(host_header)
            .map_err(|_| Error::Url("bad host".into()))?;
        req.headers_mut().insert(header::HOST, host_header);
        let res = sender
            .send_request(req)
            .await
            .map_err(|e| Error::Http(e.to_string()))?;
        Ok((res, guard))
    }

    /// Resolves `host`, then connects to the first address the policy allows; every
    /// address is checked as it is about to be used.
    async fn connect(&self, host: &str, port: u16, tls: bool) -> Result<Stream, Error> {
        let addrs: Vec<_> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| Error::Dns(host.to_string()))?
            .collect();
        let mut last = Error::Dns(host.to_string());
        let mut tcp = None;
        for addr in addrs {
            if let Err(denied) = self.policy.check(addr) {
                tracing::debug!(%denied, "fetch: address refused by the outbound policy");
                last = Error::Denied(denied);
                continue;
            }
            match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = Error::Connect(format!("{host}:{port}"), e.to_string()),
            }
        }
        let tcp = tcp.ok_or(last)?;
        let _ = tcp.set_nodelay(true);
        if !tls {
            return Ok(Stream::Plain(tcp));
        }
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| Error::Tls(host.to_string(), e.to_string()))?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| Error::Tls(host.to_string(), e.to_string()))?;
        Ok(Stream::Tls(Box::new(tls)))
    }
}

/// The `Content-Length` an answer announces.
fn announced<B>(res: &hyper::Response<B>) -> Option<u64> {
    res.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// An answer whose head is read, with its connection.
struct Opened {
    url: Url,
    res: hyper::Response<hyper::body::Incoming>,
    conn: AbortOnDrop,
    content_type: String,
}

/// What [`Client::stream`]'s body stream carries along: the connection lives with it.
struct StreamState {
    body: hyper::body::Incoming,
    _conn: AbortOnDrop,
    left: usize,
    idle: Duration,
}

/// A successful answer whose body comes as it is read.
pub struct Streamed {
    /// 200, or 206 for a range.
    pub status: u16,
    /// The `Content-Type` header, lower-cased, without parameters.
    pub content_type: String,
    /// The `Content-Length` announced.
    pub length: Option<u64>,
    /// The `Content-Range` of a 206.
    pub content_range: Option<header::HeaderValue>,
    pub body: std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, Error>> + Send>>,
}

impl std::fmt::Debug for Streamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streamed")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

/// Reads at most `max` bytes of `body`; more is an error (the rest is never read).
async fn read_body(mut body: hyper::body::Incoming, max: usize) -> Result<Bytes, Error> {
    let mut out = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::Http(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > max {
                return Err(Error::TooLarge(max));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out.freeze())
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
