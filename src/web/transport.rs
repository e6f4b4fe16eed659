//! What a request's transport says about it, applied to every response: whether it came
//! over https (directly on a TLS listener, or from a trusted reverse proxy with
//! `X-Forwarded-Proto: https`), which then gets HSTS and `Secure` cookies; and, on a
//! server that listens on loopback only, the `Host` check that stops DNS rebinding (a web
//! page on `evil.example` resolving its name to 127.0.0.1 to read the API).
//!
//! Must not: trust forwarding headers without `--reverse-proxy`.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AppState, Config, Error};

/// Marks a request that came in on a TLS listener (set by `web::serve`).
#[derive(Debug, Clone, Copy)]
pub struct Tls;

const HSTS: &str = "max-age=31536000";

/// The middleware: refuses foreign `Host`s on a loopback-only server, adds HSTS and
/// `Secure` to https responses.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let config = &state.config;
    // A cluster peer checked the Host already and says whether it came over https.
    let peer = req.extensions().get::<super::cluster::Forwarded>().copied();
    if config.loopback_only
        && peer.is_none()
        && !loopback_host(req.headers(), req.uri().authority(), config)
    {
        return Error::new(StatusCode::MISDIRECTED_REQUEST, "Invalid host.", "/").into_response();
    }
    let https = req.extensions().get::<Tls>().is_some()
        || forwarded_https(req.headers(), config)
        || peer.is_some_and(|p| p.https);
    let mut res = next.run(req).await;
    crate::metrics::get().http_response(res.status().as_u16());
    if https {
        let h = res.headers_mut();
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
        let cookies: Vec<HeaderValue> = h.get_all(header::SET_COOKIE).iter().cloned().collect();
        if !cookies.is_empty() {
            h.remove(header::SET_COOKIE);
            for c in cookies {
                h.append(header::SET_COOKIE, secure(c));
            }
        }
    }
    res
}

fn secure(cookie: HeaderValue) -> HeaderValue {
    let Ok(text) = cookie.to_str() else {
        return cookie;
    };
    if text
        .split(';')
        .any(|a| a.trim().eq_ignore_ascii_case("secure"))
    {
        return cookie;
    }
    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie)
}

pub(crate) fn forwarded_https(headers: &HeaderMap, config: &Config) -> bool {
    config.reverse_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// Whether the request names this machine: `localhost`, `127.0.0.1` or `[::1]` (any port),
/// or the host of `CONVOS_REQUEST_BASE`. No `Host` at all is not a browser: allowed.
fn loopback_host(
    headers: &HeaderMap,
    authority: Option<&axum::http::uri::Authority>,
    config: &Config,
) -> bool {
    let host = match headers.get(header::HOST) {
        Some(h) => match h.to_str() {
            Ok(h) => h.to_owned(),
            Err(_) => return false,
        },
        None => match authority {
            Some(a) => a.as_str().to_owned(),
            None => return true,
        },
    };
    let Ok(url) = url::Url::parse(&format!("http://{host}/")) else {
        return false;
    };
    let Some(name) = url.host_str() else {
        return false;
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    matches!(name.as_str(), "localhost" | "127.0.0.1" | "[::1]")
        || config
            .request_base
            .as_ref()
            .and_then(|b| b.host_str())
            .is_some_and(|b| b.eq_ignore_ascii_case(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        let config = Config {
            loopback_only: true,
            ..Config::default()
        };
        for (host, want) in [
            ("localhost:8080", true),
            ("LOCALHOST", true),
            ("127.0.0.1:3000", true),
            ("[::1]:8080", true),
            ("evil.example", false),
            ("evil.example:8080", false),
            ("localhost.evil.example", false),
            ("127.0.0.1.nip.io", false),
            ("localhost@evil.example", false),
            ("", false),
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, HeaderValue::from_static(host));
            assert_eq!(loopback_host(&h, None, &config), want, "{host}");
        }
    }

    #[test]
    fn cookies_get_secure_once() {
        let c = secure(HeaderValue::from_static("a=1; HttpOnly"));
        assert_eq!(c, "a=1; HttpOnly; Secure");
        assert_eq!(secure(c.clone()), c);
    }
}
