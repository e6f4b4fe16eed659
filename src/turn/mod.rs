//! The built-in STUN/TURN server (`--turn-listen udp://0.0.0.0:3478`), so that
//! `convos daemon` alone gives working calls behind NAT. It uses the `turn` crate of
//! webrtc-rs (a maintained pure-Rust TURN implementation) and the TURN REST credential
//! scheme: usernames `<unix-expiry>:<user>`, passwords `base64(HMAC-SHA1(secret, username))`,
//! the same scheme coturn's `use-auth-secret` checks, so browsers get short-lived
//! credentials from `GET /api/user` and nothing long-lived is ever handed out.
//! What it relays, and for whom, is checked in [`relay`].

pub mod relay;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tracing::{info, warn};

use crate::model::Secret;
use turn::auth::{generate_auth_key, AuthHandler};
use turn::relay::relay_range::RelayAddressGeneratorRanges;
use turn::server::config::{ConnConfig, ServerConfig};
use turn::server::Server;

/// Where and how the built-in server runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// UDP address to listen on for STUN and TURN.
    pub listen: SocketAddr,
    /// The address browsers reach the server and its relays at.
    pub public_ip: IpAddr,
    /// Ports for relayed allocations, inclusive.
    pub min_port: u16,
    pub max_port: u16,
    /// Peers relays may send to although they are not public (`CONVOS_TURN_ALLOW`).
    pub allow: Vec<crate::net::Rule>,
}

/// A startup failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid --turn-listen {0:?}: use udp://HOST:PORT")]
    Listen(String),
    #[error("invalid --turn-relay-ports {0:?}: use MIN-MAX")]
    Ports(String),
    #[error("--turn-listen {0} listens on every address: set --turn-public-ip (CONVOS_TURN_PUBLIC_IP) to the address browsers reach")]
    NeedPublicIp(SocketAddr),
    #[error("cannot listen for TURN on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("TURN server: {0}")]
    Turn(String),
    #[error("CONVOS_TURN_ALLOW: {0}")]
    Allow(#[from] crate::net::RuleError),
}

impl Options {
    /// From the flags: `udp://HOST:PORT`, an optional public IP, `MIN-MAX` relay ports,
    /// and address rules (see [`crate::net::Rule`]) for peers that may be reached anyway.
    pub fn parse(
        listen: &str,
        public_ip: Option<IpAddr>,
        ports: &str,
        allow: &str,
    ) -> Result<Options, Error> {
        let addr = listen
            .strip_prefix("udp://")
            .and_then(|a| a.replace('*', "0.0.0.0").parse::<SocketAddr>().ok())
            .ok_or_else(|| Error::Listen(listen.to_string()))?;
        let (min, max) = ports
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?)))
            .filter(|(a, b)| *a > 0 && a <= b)
            .ok_or_else(|| Error::Ports(ports.to_string()))?;
        let public_ip = match public_ip {
            Some(ip) => ip,
            None if !addr.ip().is_unspecified() => addr.ip(),
            None => return Err(Error::NeedPublicIp(addr)),
        };
        Ok(Options {
            listen: addr,
            public_ip,
            min_port: min,
            max_port: max,
            allow: crate::net::Rule::parse_list(allow)?,
        })
    }

    /// Where relays may send: the public internet (plus `allow`), never this server's own
    /// addresses (its own relay allocations excepted, see [`relay`]).
    pub fn policy(&self) -> crate::net::Policy {
        let own = [self.public_ip, self.listen.ip()]
            .into_iter()
            .filter(|ip| !ip.is_unspecified())
            .map(crate::net::Rule::from);
        crate::net::Policy::public()
            .allow(self.allow.iter().cloned())
            .deny(own)
    }

    /// The `urls` browsers use: STUN and TURN over UDP on the public address.
    pub fn urls(&self) -> (String, String) {
        let host = match self.public_ip {
            IpAddr::V6(v6) => format!("[{v6}]"),
            v4 => v4.to_string(),
        };
        let port = self.listen.port();
        (
            format!("stun:{host}:{port}"),
            format!("turn:{host}:{port}?transport=udp"),
        )
    }
}

/// How long past its expiry a username may still refresh an allocation it holds (so a
/// long call goes on; new allocations need fresh credentials).
const GRACE_SECS: u64 = 12 * 3600;

/// Checks TURN REST usernames (`<expiry>:<user>`) against the shared secret and the users
/// that exist.
struct RestAuth {
    secret: Secret,
    guard: Arc<relay::Guard>,
}

impl AuthHandler for RestAuth {
    fn auth_handle(
        &self,
        username: &str,
        realm: &str,
        src: SocketAddr,
    ) -> Result<Vec<u8>, turn::Error> {
        let expiry = username
            .split(':')
            .next()
            .and_then(|t| t.parse::<u64>().ok());
        let now = u64::try_from(crate::time::now_ms() / 1000).unwrap_or(0);
        let fresh = match expiry {
            Some(t) if t >= now => true,
            Some(t) if t.saturating_add(GRACE_SECS) >= now && self.guard.holds(username, src) => {
                false
            }
            _ => {
                warn!(%src, "turn: expired or malformed username");
                return Err(turn::Error::Other("expired or malformed username".into()));
            }
        };
        if !self.guard.known(username) {
            warn!(%src, "turn: credentials of a user that does not exist");
            return Err(turn::Error::Other("unknown user".into()));
        }
        self.guard.authenticated(username, src, fresh);
        let (_, password) = crate::rtc::servers::ephemeral_password(self.secret.expose(), username);
        Ok(generate_auth_key(username, realm, &password))
    }
}

/// Starts the server; it runs until [`Server::close`] or the process ends. `roster` says
/// whether a user (the part of a username after `:`) exists.
pub async fn start(opts: &Options, secret: Secret, roster: relay::Roster) -> Result<Server, Error> {
    let socket = tokio::net::UdpSocket::bind(opts.listen)
        .await
        .map_err(|source| Error::Bind {
            addr: opts.listen,
            source,
        })?;
    let guard = relay::Guard::new(opts.policy(), roster);
    let relay = relay::Generator {
        inner: RelayAddressGeneratorRanges {
            relay_address: opts.public_ip,
            min_port: opts.min_port,
            max_port: opts.max_port,
            max_retries: 10,
            address: opts.listen.ip().to_string(),
            net: Arc::new(webrtc_util::vnet::net::Net::new(None)),
        },
        guard: guard.clone(),
    };
    let server = Server::new(ServerConfig {
        conn_configs: vec![ConnConfig {
            conn: Arc::new(socket),
            relay_addr_generator: Box::new(relay),
        }],
        realm: "convos".into(),
        auth_handler: Arc::new(RestAuth { secret, guard }),
        channel_bind_timeout: Duration::from_secs(0),
        alloc_close_notify: None,
    })
    .await
    .map_err(|e| Error::Turn(e.to_string()))?;
    info!(listen = %opts.listen, public_ip = %opts.public_ip, "built-in STUN/TURN server listening");
    Ok(server)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let o = Options::parse("udp://127.0.0.1:3478", None, "40000-40100", "").expect("valid");
        assert_eq!(o.public_ip, "127.0.0.1".parse::<IpAddr>().expect("ip"));
        assert_eq!(o.urls().1, "turn:127.0.0.1:3478?transport=udp");
        assert!(matches!(
            Options::parse("udp://0.0.0.0:3478", None, "1-2", ""),
            Err(Error::NeedPublicIp(_))
        ));
        assert!(Options::parse("tcp://x:1", None, "1-2", "").is_err());
        assert!(Options::parse("udp://127.0.0.1:1", None, "9-2", "").is_err());
        let o = Options::parse(
            "udp://*:3478",
            Some("203.0.113.7".parse().expect("ip")),
            "49152-65535",
            "",
        )
        .expect("valid");
        assert_eq!(o.urls().0, "stun:203.0.113.7:3478");
    }

    #[test]
    fn rest_auth_accepts_fresh_and_refuses_expired() {
        let auth = RestAuth {
            secret: "s3cret".into(),
            guard: relay::Guard::new(
                crate::net::Policy::public(),
                Arc::new(|user: &str| user == "alice"),
            ),
        };
        let src: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        let later = crate::time::now_ms() / 1000 + 600;
        let user = format!("{later}:alice");
        let key = auth.auth_handle(&user, "convos", src).expect("fresh");
        let (_, pw) = crate::rtc::servers::ephemeral_password("s3cret", &user);
        assert_eq!(key, generate_auth_key(&user, "convos", &pw));
        assert!(auth.auth_handle("100:alice", "convos", src).is_err());
        assert!(auth.auth_handle("alice", "convos", src).is_err());
        let bob = format!("{later}:bob");
        assert!(
            auth.auth_handle(&bob, "convos", src).is_err(),
            "no such user"
        );
    }
}
