//! Sign-in by a header that a trusted reverse proxy sets after its own login
//! (`--auth-header X-Remote-User`, for Authelia, oauth2-proxy, nginx `auth_request`).
//! The header is believed only on connections whose peer address is in
//! `--trusted-proxies` (default: loopback), so a client that reaches the daemon directly
//! cannot name a user. The value is the user's e-mail; an unknown one gets an account
//! (the first becomes admin), with a random password nobody knows.
//!
//! Must not: trust the header from any other peer, or log its value beyond the user id.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderName, StatusCode};
use ipnet::IpNet;

use super::{Session, Via};
use crate::account;
use crate::web::{AppState, Error};

/// Which header names the user, and which peers may set it.
#[derive(Debug, Clone)]
pub struct ProxyAuth {
    pub header: HeaderName,
    pub trusted: Vec<IpNet>,
}

impl ProxyAuth {
    /// From `--auth-header` and `--trusted-proxies` (comma-separated addresses or CIDR
    /// networks). Fails on a bad header name or address.
    pub fn parse(header: &str, trusted: &str) -> Result<ProxyAuth, String> {
        let header = HeaderName::try_from(header.trim())
            .map_err(|_| format!("invalid header name {header:?}"))?;
        let trusted = trusted
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("invalid proxy address {s:?}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if trusted.is_empty() {
            return Err("CONVOS_TRUSTED_PROXIES is empty".into());
        }
        Ok(ProxyAuth { header, trusted })
    }

    /// Whether the connection's peer may set the header.
    fn trusts(&self, peer: IpAddr) -> bool {
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        self.trusted.iter().any(|n| n.contains(&peer))
    }
}

/// The session named by the proxy's header, when it is configured, present and set by a
/// trusted peer; `Ok(None)` otherwise (the request is then treated like any other).
pub(super) async fn identify(parts: &Parts, state: &AppState) -> Result<Option<Session>, Error> {
    let Some(auth) = &state.config.proxy_auth else {
        return Ok(None);
    };
    let Some(value) = parts.headers.get(&auth.header) else {
        return Ok(None);
    };
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if !peer.is_some_and(|p| auth.trusts(p)) {
        tracing::debug!(peer = ?peer, "proxy auth header from an untrusted peer ignored");
        return Ok(None);
    }
    let invalid = || {
        Error::new(
            StatusCode::BAD_REQUEST,
            "The sign-in header does not hold an e-mail address.",
            "/",
        )
    };
    let email = value
        .to_str()
        .ok()
        .and_then(|v| account::normalize_email(v).ok())
        .ok_or_else(invalid)?;
    let user = match state.store.user_by_email(&email).await? {
        Some(u) => u,
        None => {
            let first = state.store.users().await?.is_empty();
            match account::create_user(&state.store, &email, account::new_token(), first).await {
                Ok(u) => {
                    tracing::info!(user = %u.id, admin = u.admin, "registered by the proxy's sign-in header");
                    state.users.start(u.clone());
                    u
                }
                // Two first requests at once: the other one made it.
                Err(account::Error::EmailTaken) => state
                    .store
                    .user_by_email(&email)
                    .await?
                    .ok_or_else(invalid)?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    if noted_once(user.id) {
        super::record_sign_in(state, &user, crate::model::SignInMethod::Proxy, "").await;
    }
    Ok(Some(Session {
        token_hash: format!("proxy:{}", user.id),
        user,
        via: Via::Proxy,
    }))
}

/// Whether `user`'s proxy sign-in is to be recorded: the first request of each user per
/// run (the header comes with every request; a write for each would be waste).
fn noted_once(user: crate::model::UserId) -> bool {
    static SEEN: std::sync::Mutex<Option<std::collections::HashSet<i64>>> =
        std::sync::Mutex::new(None);
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let seen = seen.get_or_insert_with(Default::default);
    if seen.len() >= 10_000 {
        seen.clear();
    }
    seen.insert(user.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_peers() {
        let a = ProxyAuth::parse("X-Remote-User", "127.0.0.2, 10.0.0.0/8,::1").expect("valid");
        assert!(a.trusts("127.0.0.2".parse().expect("ip")));
        assert!(!a.trusts("127.0.0.1".parse().expect("ip")));
        assert!(a.trusts("10.1.2.3".parse().expect("ip")));
        assert!(a.trusts("::ffff:10.1.2.3".parse().expect("ip")));
        assert!(a.trusts("::1".parse().expect("ip")));
        assert!(ProxyAuth::parse("bad header", "127.0.0.1").is_err());
        assert!(ProxyAuth::parse("X-User", "").is_err());
        assert!(ProxyAuth::parse("X-User", "not-an-ip").is_err());
    }
}
