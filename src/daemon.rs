//! `convos daemon`: prepares the data directory, binds the listeners, serves until
//! SIGINT/SIGTERM, then shuts down within a few seconds.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::config::{self, Listen};
use crate::store::{self, Store};
use crate::web;

mod home;

pub use home::private_umask;
use home::raise_nofile_limit;
pub(crate) use home::{ensure_home, lock_home};

/// A startup failure caused by the user's configuration (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] config::Error),
    #[error("cannot use CONVOS_HOME {path}: {reason}")]
    Home { path: PathBuf, reason: String },
    #[error("another convos daemon{pid} is using CONVOS_HOME {path}; stop it first")]
    Locked { path: PathBuf, pid: String },
    #[error(transparent)]
    Listen(#[from] web::serve::Error),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Turn(#[from] crate::turn::Error),
    #[error(transparent)]
    Vapid(#[from] crate::push::vapid::Error),
}

/// Everything checked and bound, ready to [`Prepared::run`].
pub struct Prepared {
    pub home: PathBuf,
    pub bound: Vec<web::serve::Bound>,
    /// The `--metrics-listen` socket, when given.
    pub metrics: Option<web::serve::Bound>,
    /// Connection limits and timeouts of every listener.
    pub serve: web::serve::Options,
    pub store: Store,
    pub web: web::Config,
    /// The built-in STUN/TURN server, when enabled.
    pub turn: Option<turn::server::Server>,
    /// The running users, once [`Prepared::run`] starts them: the TURN server gives
    /// credentials of other users no relay.
    users: Arc<OnceLock<crate::user::Registry>>,
    /// How users' IRC connections run (outbound policy for non-admins).
    pub irc: crate::irc::Options,
    /// IRC connections one user may have.
    pub max_connections: usize,
    /// Uploaded files (`CONVOS_HOME/uploads`).
    pub files: crate::files::Files,
    /// Link previews (`None`: off).
    pub previews: Option<crate::preview::Previews>,
    /// Web Push: the client (the link previews' outbound rules) and the VAPID key.
    pub push: (crate::net::http::Client, crate::push::Vapid),
    /// This daemon's membership when the store is on PostgreSQL.
    pub cluster: Option<crate::cluster::Cluster>,
    /// `CONVOS_HOME/convos.lock`, locked while this daemon runs.
    _lock: std::fs::File,
}

/// Validates the configuration, creates the data directory and binds every listener.
pub async fn prepare(opts: &config::Daemon) -> Result<Prepared, Error> {
    let listens = opts
        .listen
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Listen::parse(l))
        .collect::<Result<Vec<_>, _>>()?;
    if listens.is_empty() {
        return Err(config::Error::Other("no --listen URL given".into()).into());
    }
    let home = config::home_dir(opts.home.as_ref())?;
    ensure_home(&home)?;
    raise_nofile_limit();
    let lock = lock_home(&home)?;
    let bound = web::serve::bind(&listens, &home)?;
    let metrics = match opts.metrics_listen.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) => {
            let listen = Listen::parse(url)?;
            web::serve::bind(std::slice::from_ref(&listen), &home)?.pop()
        }
    };
    let irc = irc_options(opts)?;
    let fetch = fetch_client(opts, &listens)?;
    let previews = opts
        .link_previews
        .then(|| crate::preview::Previews::new(fetch.clone(), crate::preview::Options::default()));
    let mut rtc = ice_config(opts)?;
    let users: Arc<OnceLock<crate::user::Registry>> = Arc::default();
    let turn = match opts.turn_listen.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some(listen) => {
            let topts = crate::turn::Options::parse(
                listen,
                opts.turn_public_ip,
                &opts.turn_relay_ports,
                &opts.turn_allow,
            )?;
            let secret = rtc.secret.clone().unwrap_or_else(random_secret);
            let server = crate::turn::start(&topts, secret.clone(), roster(users.clone())).await?;
            let (stun_url, turn_url) = topts.urls();
            rtc.servers.push(crate::rtc::servers::IceServer {
                urls: stun_url,
                username: None,
                credential: None,
            });
            rtc.servers.push(crate::rtc::servers::IceServer {
                urls: turn_url,
                username: None,
                credential: None,
            });
            rtc.secret = Some(secret);
            Some(server)
        }
    };
    let store_opts = store::Options {
        synchronous_full: opts.fsync,
        ..store::Options::default()
    };
    let store = Store::open_configured(&home, opts.database.as_deref(), store_opts)?;
    // On PostgreSQL any number of daemons may share the database: each joins the cluster
    // and runs the users whose leases it holds (see `crate::cluster`).
    let peers = crate::cluster::Peers::default();
    let cluster = match store.is_postgres() {
        true => {
            let copts = crate::cluster::Options {
                url: cluster_url(opts, &bound)?,
                lease: std::time::Duration::from_secs(opts.cluster_lease),
                peers: peers.clone(),
                // Like LDAP: admin infrastructure, on private networks as often as not.
                policy: Arc::new(
                    crate::net::Policy::open().deny(
                        crate::net::Rule::parse_list(&opts.irc_deny)
                            .map_err(|e| config::Error::Other(format!("CONVOS_IRC_DENY: {e}")))?,
                    ),
                ),
            };
            Some(crate::cluster::Cluster::join(&store, &copts).await?)
        }
        false => None,
    };
    let previews = match previews {
        Some(p) => {
            let p = p.with_key(kept_key(&store, "preview_signing_key").await?);
            let dir = home.join("previews");
            Some(match p.clone().with_disk(&dir) {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, dir = %dir.display(), "link previews are kept in memory only");
                    p
                }
            })
        }
        None => None,
    };
    let pending_import = crate::import::detect::pending(&store, &home).await;
    let vapid = crate::push::Vapid::load(
        &store,
        opts.vapid_public_key.as_deref(),
        opts.vapid_private_key.as_deref(),
    )
    .await?;
    if let Some(p) = &pending_import {
        tracing::warn!(
            users = p.users,
            path = %p.path,
            command = %p.command,
            "an old Convos home has not been imported: stop the daemon and run the command"
        );
    }
    let loopback_only = !opts.reverse_proxy
        && listens.iter().all(|l| match l {
            Listen::Tcp { addrs, .. } => addrs.iter().all(|a| a.ip().is_loopback()),
            Listen::Unix { .. } => false,
        });
    let web = web::Config {
        loopback_only,
        reverse_proxy: opts.reverse_proxy,
        request_base: opts.request_base.clone(),
        open_to_public: opts.open_to_public,
        reload_tag: opts.reload_tag.clone().filter(|t| !t.trim().is_empty()),
        pending_import,
        ldap: ldap_directory(opts)?,
        oidc: oidc(opts)?,
        proxy_auth: match opts.auth_header.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(h) => Some(
                web::session::proxy::ProxyAuth::parse(h, &opts.trusted_proxies)
                    .map_err(config::Error::Other)?,
            ),
        },
        metrics_token: opts
            .metrics_token
            .clone()
            .filter(|t| !t.expose().is_empty()),
        rtc,
        secure_cookies: listens
            .iter()
            .any(|l| matches!(l, Listen::Tcp { tls: Some(_), .. }))
            || opts
                .request_base
                .as_ref()
                .is_some_and(|u| u.scheme() == "https"),
    };
    let files = crate::files::Files::new(
        &home,
        crate::files::Limits {
            max_file: opts.max_upload_size,
            quota: opts.upload_quota,
            ..crate::files::Limits::default()
        },
    )
    .map_err(|e| Error::Home {
        path: home.clone(),
        reason: format!("cannot create uploads: {e}"),
    })?;
    let serve = web::serve::Options {
        timeout: std::time::Duration::from_secs(opts.http_timeout),
        max_connections: usize::try_from(opts.max_connections).unwrap_or(usize::MAX),
        max_per_client: (!opts.reverse_proxy)
            .then(|| usize::try_from(opts.max_connections_per_client).unwrap_or(usize::MAX)),
        peers,
    };
    Ok(Prepared {
        home,
        bound,
        metrics,
        serve,
        store,
        web,
        turn,
        users,
        irc,
        max_connections: opts.max_connections_per_user.into(),
        files,
        previews,
        push: (fetch, vapid),
        cluster,
        _lock: lock,
    })
}

/// `CONVOS_CLUSTER_URL`, or the first http listener's URL as bound (an unspecified
/// address replaced by this machine's name).
fn cluster_url(opts: &config::Daemon, bound: &[web::serve::Bound]) -> Result<String, Error> {
    if let Some(u) = opts.cluster_url.as_deref().filter(|u| !u.trim().is_empty()) {
        let parsed = url::Url::parse(u.trim())
            .map_err(|e| config::Error::Other(format!("CONVOS_CLUSTER_URL: {e}")))?;
        if parsed.scheme() != "http" || parsed.host_str().is_none() {
            return Err(config::Error::Other(
                "CONVOS_CLUSTER_URL: an http://host:port URL of this daemon on the internal network".into(),
            )
            .into());
        }
        return Ok(parsed.as_str().trim_end_matches('/').to_owned());
    }
    for b in bound {
        let Ok(mut u) = url::Url::parse(&b.local_url) else {
            continue;
        };
        if u.scheme() != "http" {
            continue;
        }
        let unspecified = match u.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_unspecified(),
            Some(url::Host::Ipv6(ip)) => ip.is_unspecified(),
            _ => false,
        };
        if unspecified {
            let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "localhost".into());
            if u.set_host(Some(&name)).is_err() {
                continue;
            }
        }
        return Ok(u.as_str().trim_end_matches('/').to_owned());
    }
    Err(config::Error::Other(
        "several daemons on one database reach each other over http: set CONVOS_CLUSTER_URL or listen on an http:// URL".into(),
    )
    .into())
}

/// IRC connection options: non-admins reach only the public internet, adjusted by
/// `CONVOS_IRC_ALLOW` / `CONVOS_IRC_DENY`.
fn irc_options(opts: &config::Daemon) -> Result<crate::irc::Options, Error> {
    use crate::net::{Policy, Rule};
    let rules = |name: &str, list: &str| {
        Rule::parse_list(list).map_err(|e| config::Error::Other(format!("{name}: {e}")))
    };
    let policy = Policy::public()
        .allow(rules("CONVOS_IRC_ALLOW", &opts.irc_allow)?)
        .deny(rules("CONVOS_IRC_DENY", &opts.irc_deny)?);
    Ok(crate::irc::Options {
        access: crate::irc::Access {
            policy: std::sync::Arc::new(policy),
            detail: false,
        },
        ..crate::irc::Options::default()
    })
}

/// A 256-bit key made once and kept in the server settings under `name` (base64url):
/// what it signs stays valid across restarts. A missing or unreadable one is made anew.
async fn kept_key(store: &Store, name: &str) -> Result<[u8; 32], Error> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let stored = store.setting(name).await.ok().flatten();
    if let Some(key) = stored
        .as_ref()
        .and_then(|v| v.as_str())
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
    {
        return Ok(key);
    }
    let key: [u8; 32] = rand::random();
    store
        .set_setting(name, serde_json::Value::String(URL_SAFE_NO_PAD.encode(key)))
        .await?;
    Ok(key)
}

/// The guarded HTTP client of link previews and Web Push (both fetch URLs that users or
/// their browsers chose): the public internet only, adjusted by `CONVOS_FETCH_ALLOW` /
/// `CONVOS_FETCH_DENY`, with the listeners' own addresses denied.
fn fetch_client(
    opts: &config::Daemon,
    listens: &[Listen],
) -> Result<crate::net::http::Client, Error> {
    use crate::net::{Policy, Rule};
    let rules = |name: &str, list: &str| {
        Rule::parse_list(list).map_err(|e| config::Error::Other(format!("{name}: {e}")))
    };
    // A link to the daemon itself (on an address it was told to listen on) is not fetched,
    // whatever CONVOS_FETCH_ALLOW says.
    let own = listens
        .iter()
        .flat_map(|l| match l {
            Listen::Tcp { addrs, .. } => addrs.clone(),
            Listen::Unix { .. } => Vec::new(),
        })
        .filter(|a| !a.ip().is_unspecified())
        .filter_map(|a| a.to_string().parse::<Rule>().ok());
    let policy = Policy::public()
        .allow(rules("CONVOS_FETCH_ALLOW", &opts.fetch_allow)?)
        .deny(rules("CONVOS_FETCH_DENY", &opts.fetch_deny)?)
        .deny(own);
    Ok(crate::net::http::Client::new(std::sync::Arc::new(policy)))
}

/// The LDAP directory of `--ldap-url`, if any. Its server is chosen by the admin, so any
/// address is allowed except what `CONVOS_IRC_DENY` forbids; the check itself runs for
/// each connection, like IRC's.
fn ldap_directory(opts: &config::Daemon) -> Result<Option<crate::ldap::Directory>, Error> {
    let Some(url) = opts.ldap_url.clone() else {
        return Ok(None);
    };
    let empty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let deny = crate::net::Rule::parse_list(&opts.irc_deny)
        .map_err(|e| config::Error::Other(format!("CONVOS_IRC_DENY: {e}")))?;
    let config = crate::ldap::Config {
        url,
        starttls: opts.ldap_starttls,
        ca_file: opts.ldap_ca.clone(),
        bind_dn: empty(&opts.ldap_bind_dn),
        search_base: empty(&opts.ldap_search_base),
        search_filter: opts.ldap_search_filter.clone(),
        search_dn: empty(&opts.ldap_search_dn),
        search_password: opts
            .ldap_search_password
            .clone()
            .filter(|s| !s.expose().trim().is_empty()),
        email_attr: opts.ldap_email_attribute.clone(),
        admin_filter: empty(&opts.ldap_admin_filter),
    };
    let dir = crate::ldap::Directory::new(config, crate::net::Policy::open().deny(deny))
        .map_err(|e| config::Error::Other(e.to_string()))?;
    Ok(Some(dir))
}

/// The OpenID Connect providers of `CONVOS_OIDC_PROVIDERS`, if any. Like link previews,
/// only public addresses unless `CONVOS_OIDC_ALLOW` names others (a provider on the same
/// machine); `CONVOS_IRC_DENY` applies too.
fn oidc(opts: &config::Daemon) -> Result<Option<Arc<crate::oidc::Oidc>>, Error> {
    use crate::net::{Policy, Rule};
    let providers = crate::oidc::config::parse(&opts.oidc_providers, |k| std::env::var(k).ok())
        .map_err(|e| config::Error::Other(e.to_string()))?;
    if providers.is_empty() {
        if opts.oidc_only {
            return Err(config::Error::Other(
                "CONVOS_OIDC_ONLY needs providers in CONVOS_OIDC_PROVIDERS".into(),
            )
            .into());
        }
        return Ok(None);
    }
    let rules = |name: &str, list: &str| {
        Rule::parse_list(list).map_err(|e| config::Error::Other(format!("{name}: {e}")))
    };
    let policy = Policy::public()
        .allow(rules("CONVOS_OIDC_ALLOW", &opts.oidc_allow)?)
        .deny(rules("CONVOS_IRC_DENY", &opts.irc_deny)?);
    let client = crate::net::http::Client::new(Arc::new(policy));
    for p in &providers {
        info!(provider = %p.name, issuer = %p.issuer, "OpenID Connect provider");
    }
    Ok(Some(Arc::new(crate::oidc::Oidc::new(
        providers,
        client,
        opts.oidc_only,
    ))))
}

/// Whether a TURN user (a user id) exists: its actor runs from registration (or daemon
/// start) until the account is deleted.
fn roster(users: Arc<OnceLock<crate::user::Registry>>) -> crate::turn::relay::Roster {
    Arc::new(move |user: &str| {
        let (Some(users), Ok(id)) = (users.get(), user.parse::<i64>()) else {
            return false;
        };
        users.contains(crate::model::UserId(id))
    })
}

/// A fresh shared secret for the built-in TURN server.
fn random_secret() -> crate::model::Secret {
    let bytes: [u8; 24] = rand::random();
    crate::model::Secret::new(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// ICE servers from `--stun`/`--turn` (and their environment variables).
fn ice_config(opts: &config::Daemon) -> Result<crate::rtc::servers::IceConfig, Error> {
    use crate::rtc::servers::{parse_urls, IceConfig};
    let mut servers = parse_urls(&opts.stun).map_err(config::Error::Other)?;
    servers.extend(parse_urls(&opts.turn).map_err(config::Error::Other)?);
    if opts.rtc_relay_only
        && opts.turn_listen.is_none()
        && !servers.iter().any(|s| s.urls.starts_with("turn"))
    {
        return Err(config::Error::Other(
            "CONVOS_RTC_RELAY_ONLY needs a TURN server (CONVOS_TURN)".into(),
        )
        .into());
    }
    Ok(IceConfig {
        servers,
        secret: opts.turn_secret.clone().filter(|s| !s.expose().is_empty()),
        relay_only: opts.rtc_relay_only,
        // Short-lived: a leaked credential soon stops giving relays. The browser fetches
        // fresh ones when a call starts; an allocation it holds may refresh a while longer.
        ttl_secs: 2 * 3600,
    })
}

/// Applies the connections' history retention a minute after start, then hourly.
async fn retention(store: Store, shutdown: CancellationToken) {
    let mut next = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
        match store.apply_retention(crate::time::now_ms()).await {
            Ok(0) => {}
            Ok(n) => info!(deleted = n, "retention: deleted old messages"),
            Err(e) => tracing::warn!(error = %e, "retention: sweep failed, next in an hour"),
        }
        next += std::time::Duration::from_secs(3600);
    }
}

/// Removes uploaded bytes no record uses (a deleted user's) a minute after start, then
/// hourly.
async fn sweep_files(files: crate::files::Files, store: Store, shutdown: CancellationToken) {
    let mut next = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
        let removed = files.sweep(&store, 100_000).await;
        if removed > 0 {
            info!(removed, "uploads: removed unused files");
        }
        next += std::time::Duration::from_secs(3600);
    }
}

impl Prepared {
    /// Serves until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        info!(home = %self.home.display(), version = env!("CARGO_PKG_VERSION"), "starting");
        let contact = crate::account::Settings::load(&self.store, self.web.open_to_public)
            .await
            .map(|s| s.contact)
            .unwrap_or_else(|_| "mailto:root@localhost".into());
        let (push_client, vapid) = self.push;
        let push = crate::push::spawn(
            self.store.clone(),
            push_client,
            vapid,
            contact,
            crate::push::Options::default(),
            shutdown.clone(),
        );
        let mut users = crate::user::Registry::new(self.store.clone(), self.irc, shutdown.clone())
            .with_max_connections(self.max_connections)
            .with_push(push.clone());
        if let Some(c) = &self.cluster {
            users = users.with_gate(c.gate());
        }
        let _ = self.users.set(users.clone());
        let ready: Arc<web::ops::Ready> = Arc::default();
        let cluster_task = match self.cluster.clone() {
            // The cluster starts the users this daemon takes, from its first tick on.
            Some(c) => {
                ready.set_users_started();
                Some(tokio::spawn(c.run(users.clone(), shutdown.clone())))
            }
            None => {
                match users.start_all().await {
                    Ok(n) => {
                        info!(users = n, "users started");
                        ready.set_users_started();
                    }
                    Err(e) => tracing::error!(error = %e, "cannot start users"),
                }
                None
            }
        };
        tokio::spawn(retention(self.store.clone(), shutdown.clone()));
        tokio::spawn(sweep_files(
            self.files.clone(),
            self.store.clone(),
            shutdown.clone(),
        ));
        let state = web::AppState::new(web::state::Shared {
            store: self.store.clone(),
            users,
            config: std::sync::Arc::new(self.web),
            live: Default::default(),
            files: self.files,
            previews: self.previews,
            push: Some(push),
            ready: ready.clone(),
            cluster: self.cluster.clone(),
        });
        let metrics = self.metrics.map(|bound| {
            use tracing::Instrument as _;
            let app = web::ops::metrics_app(state.clone());
            tokio::spawn(
                web::serve::run(vec![bound], app, self.serve.clone(), shutdown.clone())
                    .instrument(tracing::info_span!("metrics")),
            )
        });
        let state_users = state.users.len();
        let app = web::router(state);
        {
            let (ready, shutdown) = (ready.clone(), shutdown.clone());
            tokio::spawn(async move {
                shutdown.cancelled().await;
                ready.set_stopping();
                crate::systemd::stopping();
            });
        }
        ready.set_listening();
        crate::systemd::spawn_watchdog(self.store.clone(), shutdown.clone());
        crate::systemd::ready(&format!("serving {} users", state_users));
        web::serve::run(self.bound, app, self.serve, shutdown).await;
        if let Some(t) = cluster_task {
            // Hands the users over (their leases given up) before the process ends.
            let _ = t.await;
        }
        if let Some(m) = metrics {
            let _ = m.await;
        }
        if let Some(t) = self.turn {
            let _ = t.close().await;
        }
        info!("stopped");
        Ok(())
    }
}

/// Cancels the returned token on the first SIGINT or SIGTERM.
pub fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::error!("cannot install signal handlers");
            return;
        };
        tokio::select! {
            _ = term.recv() => info!("SIGTERM: shutting down"),
            _ = int.recv() => info!("SIGINT: shutting down"),
        }
        t.cancel();
    });
    token
}
