//! ICE servers for calls (docs/rtcz.md §6.2): `CONVOS_STUN` / `CONVOS_TURN` URLs
//! (`stun://host:port`, `turn://user:pass@host:port?transport=tcp`, `turns://...`,
//! comma-separated) turned into `RTCIceServer` objects, with short-lived TURN REST
//! credentials (`<expiry>:<user>`, `base64(HMAC-SHA1(secret, username))`) when a shared
//! secret is configured, as coturn's `use-auth-secret` expects.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};

use crate::model::Secret;
use crate::wire::{self, RtcConfig};

/// One configured STUN or TURN server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceServer {
    /// `stun:host:port`, `turn:host:port?transport=tcp`, ...
    pub urls: String,
    pub username: Option<String>,
    pub credential: Option<Secret>,
}

/// Everything the server hands browsers for calls.
#[derive(Debug, Clone, Default)]
pub struct IceConfig {
    pub servers: Vec<IceServer>,
    /// Shared secret for ephemeral TURN credentials.
    pub secret: Option<Secret>,
    /// `iceTransportPolicy: "relay"`: peers never learn each other's addresses.
    pub relay_only: bool,
    /// Lifetime of ephemeral credentials, seconds.
    pub ttl_secs: i64,
}

/// Parses comma-separated ICE URLs; a clear message for a bad one.
pub fn parse_urls(list: &str) -> Result<Vec<IceServer>, String> {
    let mut out = vec![];
    for raw in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let url =
            url::Url::parse(raw).map_err(|e| format!("invalid ICE server URL {raw:?}: {e}"))?;
        let scheme = url.scheme();
        if !matches!(scheme, "stun" | "stuns" | "turn" | "turns") {
            return Err(format!(
                "invalid ICE server URL {raw:?}: the scheme must be stun, stuns, turn or turns"
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("invalid ICE server URL {raw:?}: no host"))?;
        let mut urls = format!("{scheme}:{host}");
        if let Some(port) = url.port() {
            urls.push_str(&format!(":{port}"));
        }
        if let Some(t) = url
            .query_pairs()
            .find(|(k, _)| k == "transport")
            .map(|(_, v)| v.into_owned())
        {
            urls.push_str(&format!("?transport={t}"));
        }
        let dec = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let username = Some(dec(url.username())).filter(|u| !u.is_empty());
        let credential = url
            .password()
            .map(dec)
            .filter(|p| !p.is_empty())
            .map(Secret::new);
        out.push(IceServer {
            urls,
            username,
            credential,
        });
    }
    Ok(out)
}

impl IceConfig {
    /// Whether calls can be offered at all.
    pub fn enabled(&self) -> bool {
        !self.servers.is_empty()
    }

    /// The `rtc` object for a user: `{ice_servers: [...], ice_transport_policy?}`.
    /// TURN servers without static credentials get ephemeral ones for `user` when a
    /// secret is set.
    pub fn for_user(&self, user: &str, now_secs: i64) -> RtcConfig {
        let ice_servers = self
            .servers
            .iter()
            .map(|s| {
                let is_turn = s.urls.starts_with("turn");
                let (username, credential) = match (&s.username, &s.credential, &self.secret) {
                    (Some(u), Some(c), _) => (Some(u.clone()), Some(c.expose().to_owned())),
                    (_, _, Some(secret)) if is_turn => {
                        let (u, c) =
                            ephemeral(secret.expose(), user, now_secs + self.ttl_secs.max(60));
                        (Some(u), Some(c))
                    }
                    (u, _, _) => (u.clone(), None),
                };
                wire::IceServer {
                    urls: s.urls.clone(),
                    username,
                    credential,
                }
            })
            .collect();
        RtcConfig {
            ice_servers,
            ice_transport_policy: self.relay_only.then(|| "relay".to_string()),
        }
    }
}

/// TURN REST API credentials valid until `expiry` (unix seconds).
pub fn ephemeral(secret: &str, user: &str, expiry: i64) -> (String, String) {
    ephemeral_password(secret, &format!("{expiry}:{user}"))
}

/// `(username, base64(HMAC-SHA1(secret, username)))`.
pub fn ephemeral_password(secret: &str, username: &str) -> (String, String) {
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(username.as_bytes());
    let credential = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (username.to_string(), credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_convos_forms() {
        let s = parse_urls("stun://stun.example.com:3478, turn://u:p%40ss@turn.example.com:3478?transport=tcp,turns://t.example")
            .expect("valid");
        assert_eq!(
            s[0],
            IceServer {
                urls: "stun:stun.example.com:3478".into(),
                username: None,
                credential: None
            }
        );
        assert_eq!(s[1].urls, "turn:turn.example.com:3478?transport=tcp");
        assert_eq!(
            (
                s[1].username.as_deref(),
                s[1].credential.as_ref().map(Secret::expose)
            ),
            (Some("u"), Some("p@ss"))
        );
        assert_eq!(s[2].urls, "turns:t.example");
        assert!(parse_urls("http://x").is_err());
        assert!(parse_urls("").expect("empty").is_empty());
        assert!(!format!("{:?}", s[1]).contains("p@ss"));
    }

    #[test]
    fn ephemeral_credentials_match_coturn() {
        // coturn: password = base64(hmac-sha1(secret, "expiry:user"))
        let (u, c) = ephemeral(
            "north",
            "1700000000:alice".split(':').nth(1).unwrap_or(""),
            1700000000,
        );
        assert_eq!(u, "1700000000:alice");
        assert_eq!(c.len(), 28);
        let cfg = IceConfig {
            servers: parse_urls("stun://127.0.0.1:3478,turn://127.0.0.1:3478").expect("valid"),
            secret: Some("north".into()),
            relay_only: true,
            ttl_secs: 3600,
        };
        let v = cfg.for_user("alice", 1_700_000_000);
        assert_eq!(v.ice_transport_policy.as_deref(), Some("relay"));
        assert!(
            v.ice_servers[0].username.is_none(),
            "no credentials for STUN"
        );
        assert_eq!(
            v.ice_servers[1].username.as_deref(),
            Some("1700003600:alice")
        );
    }
}
