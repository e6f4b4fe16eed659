//! Whose request is this: the request's own origin (Host, or X-Forwarded-Host/-Proto behind
//! a trusted proxy), the `Origin` check that stops cross-site writes and WebSocket
//! hijacking, and the client IP for rate limiting.
//!
//! Everything is worked out per request from its headers; nothing is stored globally.

use std::net::{IpAddr, SocketAddr};

use axum::http::uri::Authority;
use axum::http::{header, Extensions, HeaderMap};
use url::Url;

use super::Config;

/// Whether a request may act on a cookie session: `true` without an `Origin` header
/// (not a browser, or a same-origin GET), else only when `Origin` is the server's own
/// origin or `CONVOS_REQUEST_BASE`. `Origin: null` and malformed values are refused.
pub fn origin_allowed(headers: &HeaderMap, config: &Config) -> bool {
    origin_allowed_at(headers, None, config)
}

/// [`origin_allowed`] for requests whose authority may be in the URI instead of `Host`
/// (HTTP/2): pass `parts.uri.authority()`.
pub fn origin_allowed_at(
    headers: &HeaderMap,
    authority: Option<&Authority>,
    config: &Config,
) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(origin) = origin.to_str().ok().and_then(|o| Url::parse(o).ok()) else {
        return false;
    };
    if !matches!(origin.scheme(), "http" | "https") {
        return false;
    }
    if config
        .request_base
        .as_ref()
        .is_some_and(|base| same_origin(base, &origin))
    {
        return true;
    }
    let scheme = forwarded(headers, config, "x-forwarded-proto");
    let scheme = scheme.as_deref().unwrap_or(origin.scheme());
    own_origin(headers, authority, config, scheme).is_some_and(|own| same_origin(&own, &origin))
}

/// The request's own origin as `scheme://host[:port]/`: `scheme` with the host from
/// `X-Forwarded-Host` (behind a proxy), `Host`, or the URI authority.
fn own_origin(
    headers: &HeaderMap,
    authority: Option<&Authority>,
    config: &Config,
    scheme: &str,
) -> Option<Url> {
    let host = forwarded(headers, config, "x-forwarded-host")
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .or_else(|| authority.map(|a| a.as_str().to_owned()))?;
    if host.is_empty() || host.contains(['/', '@', '?', '#', '\\']) {
        return None;
    }
    Url::parse(&format!("{scheme}://{host}/")).ok()
}

/// The first value of a forwarding header, only behind a trusted reverse proxy.
fn forwarded(headers: &HeaderMap, config: &Config, name: &str) -> Option<String> {
    if !config.reverse_proxy {
        return None;
    }
    let v = headers.get(name)?.to_str().ok()?;
    let first = v.split(',').next()?.trim();
    (!first.is_empty()).then(|| first.to_ascii_lowercase())
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The base URL for links sent to users: `CONVOS_REQUEST_BASE`, else the `Origin` of the
/// request when it is allowed (what the browser sees), else the request's own origin;
/// with the [`base_path`] (a trusted proxy's `X-Forwarded-Prefix`) after the origin.
pub fn base_url(
    headers: &HeaderMap,
    authority: Option<&Authority>,
    config: &Config,
) -> Option<Url> {
    if let Some(base) = &config.request_base {
        return Some(base.clone());
    }
    let origin = base_origin(headers, authority, config)?;
    origin.join(&base_path(headers, config)).ok()
}

fn base_origin(headers: &HeaderMap, authority: Option<&Authority>, config: &Config) -> Option<Url> {
    if let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .and_then(|o| Url::parse(o).ok())
    {
        if origin_allowed_at(headers, authority, config) {
            return Some(origin);
        }
    }
    let scheme = forwarded(headers, config, "x-forwarded-proto").unwrap_or_else(|| {
        if config.secure_cookies {
            "https"
        } else {
            "http"
        }
        .to_owned()
    });
    own_origin(headers, authority, config, &scheme)
}

/// The path the app is served under, for index.html: the path of `CONVOS_REQUEST_BASE`,
/// else a trusted proxy's `X-Forwarded-Prefix`, else `/`. Always starts and ends with `/`
/// and holds only `A-Z a-z 0-9 . _ ~ -` between slashes (no `..`), so it is safe in HTML.
pub fn base_path(headers: &HeaderMap, config: &Config) -> String {
    let raw = match &config.request_base {
        Some(base) => Some(base.path().to_owned()),
        None if config.reverse_proxy => headers
            .get("x-forwarded-prefix")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        None => None,
    };
    raw.and_then(|p| clean_prefix(&p))
        .unwrap_or_else(|| "/".to_owned())
}

fn clean_prefix(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.len() > 128 || !raw.starts_with('/') {
        return None;
    }
    let segments: Vec<&str> = raw.split('/').filter(|s| !s.is_empty()).collect();
    let ok = segments.iter().all(|s| {
        *s != "."
            && *s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
    });
    if !ok {
        return None;
    }
    Some(if segments.is_empty() {
        "/".to_owned()
    } else {
        format!("/{}/", segments.join("/"))
    })
}

/// The client's IP for rate limiting: the peer address, or behind a trusted proxy the
/// last `X-Forwarded-For` entry (the one the proxy added; earlier ones are the client's
/// word). `None` on a unix socket without a proxy header.
pub fn client_ip(headers: &HeaderMap, extensions: &Extensions, config: &Config) -> Option<IpAddr> {
    // Forwarded by a cluster peer (checked by its key): the client that peer saw.
    if let Some(f) = extensions.get::<super::cluster::Forwarded>() {
        return f.client;
    }
    if config.reverse_proxy {
        // Only the last entry: a client can put anything in the earlier ones.
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|s| s.trim().parse::<IpAddr>().ok());
        if last.is_some() {
            return last;
        }
    }
    extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The address a client is counted by for limits: an IPv4 address, or the /64 network of
/// an IPv6 one (a single host usually gets a whole /64, and may use any of its addresses).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(v6) & !((1u128 << 64) - 1),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn base_paths() {
        let proxy = Config {
            reverse_proxy: true,
            ..Config::default()
        };
        let based = Config {
            request_base: Url::parse("https://chat.example.com/convos").ok(),
            ..Config::default()
        };
        for (config, prefix, want) in [
            (&Config::default(), "/chat", "/"),
            (&proxy, "/chat", "/chat/"),
            (&proxy, "/chat/", "/chat/"),
            (&proxy, "/a/b-c_d/", "/a/b-c_d/"),
            (&proxy, "/", "/"),
            (&proxy, "chat", "/"),
            (&proxy, "/../etc", "/"),
            (&proxy, "/x\"><script>", "/"),
            (&proxy, "//evil.example", "/evil.example/"),
            (&based, "/ignored", "/convos/"),
        ] {
            let h = headers(&[(
                "x-forwarded-prefix",
                Box::leak(prefix.to_owned().into_boxed_str()),
            )]);
            assert_eq!(base_path(&h, config), want, "{prefix}");
        }
    }

    #[test]
    fn origins() {
        let plain = Config::default();
        let proxy = Config {
            reverse_proxy: true,
            ..Config::default()
        };
        let based = Config {
            request_base: Url::parse("https://chat.example.com/convos/").ok(),
            ..Config::default()
        };
        type Case<'a> = (&'a Config, &'a [(&'static str, &'static str)], bool);
        let cases: &[Case] = &[
            (&plain, &[("host", "localhost:8080")], true),
            (
                &plain,
                &[
                    ("host", "localhost:8080"),
                    ("origin", "http://localhost:8080"),
                ],
                true,
            ),
            (
                &plain,
                &[
                    ("host", "LOCALHOST:8080"),
                    ("origin", "http://localhost:8080"),
                ],
                true,
            ),
            (
                &plain,
                &[
                    ("host", "localhost:8080"),
                    ("origin", "http://localhost:8081"),
                ],
                false,
            ),
            (
                &plain,
                &[
                    ("host", "localhost:8080"),
                    ("origin", "http://evil.example"),
                ],
                false,
            ),
            (
                &plain,
                &[("host", "localhost:8080"), ("origin", "null")],
                false,
            ),
            (
                &plain,
                &[("host", "example.com"), ("origin", "https://example.com")],
                true,
            ),
            (
                &plain,
                &[
                    ("host", "example.com:443"),
                    ("origin", "https://example.com"),
                ],
                true,
            ),
            (
                &plain,
                &[("host", "[::1]:8080"), ("origin", "http://[::1]:8080")],
                true,
            ),
            (&plain, &[("origin", "http://localhost:8080")], false),
            (
                &plain,
                &[
                    ("host", "a.example"),
                    ("x-forwarded-host", "evil.example"),
                    ("origin", "http://evil.example"),
                ],
                false,
            ),
            (
                &proxy,
                &[
                    ("host", "127.0.0.1:8080"),
                    ("x-forwarded-host", "chat.example.com"),
                    ("x-forwarded-proto", "https"),
                    ("origin", "https://chat.example.com"),
                ],
                true,
            ),
            (
                &proxy,
                &[
                    ("host", "127.0.0.1:8080"),
                    ("x-forwarded-host", "chat.example.com"),
                    ("x-forwarded-proto", "https"),
                    ("origin", "http://chat.example.com"),
                ],
                false,
            ),
            (
                &based,
                &[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "https://chat.example.com"),
                ],
                true,
            ),
            (
                &based,
                &[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "https://chat.example.com:8443"),
                ],
                false,
            ),
        ];
        for (config, pairs, want) in cases {
            assert_eq!(origin_allowed(&headers(pairs), config), *want, "{pairs:?}");
        }
        let authority = Authority::from_static("localhost:8443");
        let h = headers(&[("origin", "https://localhost:8443")]);
        assert!(
            origin_allowed_at(&h, Some(&authority), &plain),
            "http/2 authority"
        );
    }

    #[test]
    fn client_ips() {
        let peer: SocketAddr = "10.0.0.1:5000".parse().expect("addr");
        let mut ext = Extensions::new();
        ext.insert(axum::extract::ConnectInfo(peer));
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 2.2.2.2")]);
        let plain = Config::default();
        let proxy = Config {
            reverse_proxy: true,
            ..Config::default()
        };
        assert_eq!(client_ip(&h, &ext, &plain), Some(peer.ip()));
        assert_eq!(client_ip(&h, &ext, &proxy), "2.2.2.2".parse().ok());
        assert_eq!(
            client_ip(&HeaderMap::new(), &Extensions::new(), &plain),
            None
        );
    }

    #[test]
    fn client_keys() {
        for (ip, want) in [
            ("192.0.2.7", "192.0.2.7"),
            ("::ffff:192.0.2.7", "192.0.2.7"),
            ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"),
            ("2001:db8:1:2:ffff::1", "2001:db8:1:2::"),
            ("::1", "::"),
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert_eq!(client_key(ip).to_string(), want, "{ip}");
        }
    }

    #[test]
    fn link_bases() {
        let plain = Config::default();
        let h = headers(&[
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
        ]);
        assert_eq!(
            base_url(&h, None, &plain).map(|u| u.to_string()).as_deref(),
            Some("http://localhost:8080/")
        );
        let h = headers(&[("host", "localhost:8080")]);
        let secure = Config {
            secure_cookies: true,
            ..Config::default()
        };
        assert_eq!(
            base_url(&h, None, &secure)
                .map(|u| u.to_string())
                .as_deref(),
            Some("https://localhost:8080/")
        );
        // Behind a proxy at a sub-path, links keep the prefix.
        let proxied = Config {
            reverse_proxy: true,
            ..Config::default()
        };
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "chat.example.com"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-prefix", "/chat"),
        ]);
        assert_eq!(
            base_url(&h, None, &proxied)
                .map(|u| u.to_string())
                .as_deref(),
            Some("https://chat.example.com/chat/")
        );
    }
}
