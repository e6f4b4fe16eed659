//! Listen URLs: `http://host:port`, `https://host:port?cert=..&key=..` and
//! `http+unix://%2Fpath`, parsed into the addresses to bind (a host resolved once, `*` as
//! IPv6 any with an IPv4 fallback) and the TLS files to load.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use super::Error;

/// Where one listener binds, parsed from a listen URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// `http://host:port` or `https://host:port?...`.
    Tcp {
        /// What the URL said, for messages.
        url: String,
        /// Every address to bind (`*` gives IPv6 any, which also accepts IPv4, with an IPv4
        /// fallback when the machine has no IPv6).
        addrs: Vec<SocketAddr>,
        tls: Option<Tls>,
    },
    /// `http+unix://%2Fpath%2Fto%2Fsock`.
    Unix { url: String, path: PathBuf },
}

/// TLS files named in an `https://` listen URL; both `None` means "generate one".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tls {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl Listen {
    /// Parses one listen URL. Fails on an unknown scheme, a missing port or socket path,
    /// a host that does not resolve, or a cert without a key (and the reverse).
    pub fn parse(raw: &str) -> Result<Listen, Error> {
        let err = |reason: &str| Error::Listen {
            url: raw.to_string(),
            reason: reason.to_string(),
        };
        let raw = raw.trim();
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| err("expected scheme://host:port"))?;
        match scheme {
            "http+unix" => {
                let path = rest.split(['?', '#']).next().unwrap_or_default();
                let path = percent_encoding::percent_decode_str(path)
                    .decode_utf8()
                    .map_err(|_| err("socket path is not UTF-8"))?;
                if path.is_empty() {
                    return Err(err("missing socket path (http+unix://%2Fpath%2Fto%2Fsock)"));
                }
                Ok(Listen::Unix {
                    url: raw.to_string(),
                    path: PathBuf::from(path.as_ref()),
                })
            }
            "http" | "https" => {
                let (hostport, query) = match rest.split_once('?') {
                    Some((h, q)) => (h, q),
                    None => (rest, ""),
                };
                let hostport = hostport.trim_end_matches('/');
                let (host, port) = split_host_port(hostport).ok_or_else(|| err("missing port"))?;
                let port: u16 = port.parse().map_err(|_| err("invalid port"))?;
                let addrs = resolve(host, port).map_err(|r| err(&r))?;
                let tls = if scheme == "https" {
                    let mut tls = Tls::default();
                    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
                        match k.as_ref() {
                            "cert" => tls.cert = Some(PathBuf::from(v.as_ref())),
                            "key" => tls.key = Some(PathBuf::from(v.as_ref())),
                            _ => {}
                        }
                    }
                    if tls.cert.is_some() != tls.key.is_some() {
                        return Err(err("give both cert= and key=, or neither"));
                    }
                    Some(tls)
                } else {
                    None
                };
                Ok(Listen::Tcp {
                    url: raw.to_string(),
                    addrs,
                    tls,
                })
            }
            other => Err(err(&format!(
                "unknown scheme {other:?} (use http, https or http+unix)"
            ))),
        }
    }

    /// The URL as given, for messages.
    pub fn url(&self) -> &str {
        match self {
            Listen::Tcp { url, .. } | Listen::Unix { url, .. } => url,
        }
    }
}

/// Splits `host:port`, `[v6]:port`; `None` when there is no port.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return Some((host, port));
    }
    let (host, port) = s.rsplit_once(':')?;
    if port.is_empty() {
        return None;
    }
    Some((host, port))
}

fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    match host {
        "*" | "" => Ok(vec![SocketAddr::new(
            IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            port,
        )]),
        "0.0.0.0" => Ok(vec![SocketAddr::new(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port,
        )]),
        _ => {
            if let Ok(ip) = host.parse::<IpAddr>() {
                return Ok(vec![SocketAddr::new(ip, port)]);
            }
            let mut addrs: Vec<SocketAddr> = (host, port)
                .to_socket_addrs()
                .map_err(|e| format!("cannot resolve {host:?}: {e}"))?
                .collect();
            addrs.sort();
            addrs.dedup();
            if addrs.is_empty() {
                return Err(format!("{host:?} has no address"));
            }
            Ok(addrs)
        }
    }
}
