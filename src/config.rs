//! Configuration: the command line (clap) and the environment, and listen URLs.
//!
//! Owns turning flags and `CONVOS_*` variables into plain values. It reads nothing but
//! what it is told to; creating `CONVOS_HOME` and loading certificates happen in [`crate::daemon`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod listen;

pub use listen::{Listen, Tls};

use crate::model::Secret;

/// `convos`: the command line.
#[derive(Debug, Parser)]
#[command(
    name = "convos",
    version,
    about = "Always-online web IRC client with video calls"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What `convos` was asked to do.
// Parsed once at startup: the size of the daemon's options does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Daemon(Daemon),
    /// Print the version and exit.
    Version,
    /// Manage accounts in CONVOS_HOME (add, passwd, list, delete).
    User(UserArgs),
    /// Print a one-time password-reset link for EMAIL, valid 24 hours.
    Recover(Recover),
    /// Copy the database to PATH while the daemon runs (a consistent snapshot).
    Backup(Backup),
    /// Move users, connections and logs in from Convos or The Lounge (daemon stopped).
    Import(ImportArgs),
    /// Copy the store of CONVOS_HOME (convos.db) into PostgreSQL (daemon stopped; resumable).
    MigrateStore(MigrateStore),
    /// Daemons sharing the PostgreSQL database of CONVOS_DATABASE: list them, drain one.
    Cluster(ClusterArgs),
}

/// `convos cluster status|drain ID`.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    pub action: ClusterAction,
}

/// What `convos cluster` does.
#[derive(Debug, Clone, Subcommand)]
pub enum ClusterAction {
    /// List the daemons, their users and heartbeats.
    Status,
    /// Ask daemon ID to hand its users over to the others and stop (rolling upgrades).
    Drain {
        /// The daemon's id, as `convos cluster status` shows it.
        id: String,
        /// Return at once instead of waiting until the daemon has left.
        #[arg(long)]
        no_wait: bool,
    },
}

/// `convos migrate-store --to postgres://…`.
#[derive(Debug, Clone, Args)]
pub struct MigrateStore {
    /// The PostgreSQL database to copy into (empty, or a copy begun earlier):
    /// postgres://user:pass@host/db. Then start the daemon with CONVOS_DATABASE set to it.
    #[arg(long)]
    pub to: String,

    /// Data directory whose convos.db is copied. Default: ~/.local/share/convos.
    #[arg(long, env = "CONVOS_HOME")]
    pub home: Option<PathBuf>,
}

/// `convos import ...`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub from: ImportFrom,

    /// Data directory. Default: ~/.local/share/convos.
    #[arg(long, env = "CONVOS_HOME", global = true)]
    pub home: Option<PathBuf>,

    /// Print what would be imported (users, connections, conversations, messages, what is
    /// skipped and why) without writing anything.
    #[arg(long, global = true)]
    pub dry_run: bool,
}

/// What `convos import` reads. The source is only read, never changed. Running it again
/// imports only what is new.
#[derive(Debug, Clone, Subcommand)]
pub enum ImportFrom {
    /// A Convos home, 4.x to 8.x (its CONVOS_HOME: user directories with user.json).
    Convos { path: PathBuf },
    /// A The Lounge home (the directory holding users/ and logs/).
    Thelounge {
        path: PathBuf,
        /// The Lounge users have names, not e-mails: NAME becomes NAME@DOMAIN.
        #[arg(long, default_value = "localhost")]
        email_domain: String,
    },
}

/// `convos user ...`.
#[derive(Debug, Clone, Args)]
pub struct UserArgs {
    /// Data directory. Default: ~/.local/share/convos.
    #[arg(long, env = "CONVOS_HOME", global = true)]
    pub home: Option<PathBuf>,

    #[command(subcommand)]
    pub action: UserAction,
}

/// What `convos user` does. Passwords are read from stdin (one line), never from arguments.
#[derive(Debug, Clone, Subcommand)]
pub enum UserAction {
    /// Create a user; the password is read from stdin. The first user is always an admin.
    Add {
        email: String,
        /// Make the user an admin.
        #[arg(long)]
        admin: bool,
        /// Read the password from stdin (the default; accepted for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (read from stdin) and end its sessions.
    Passwd {
        email: String,
        /// Read the password from stdin (the default; accepted for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users: email, role, registration time.
    List,
    /// Delete a user and all of its data.
    Delete { email: String },
}

/// `convos recover EMAIL`.
#[derive(Debug, Clone, Args)]
pub struct Recover {
    pub email: String,

    /// Public base URL the link starts with.
    #[arg(
        long,
        env = "CONVOS_REQUEST_BASE",
        default_value = "http://localhost:8080"
    )]
    pub base: url::Url,

    /// Data directory. Default: ~/.local/share/convos.
    #[arg(long, env = "CONVOS_HOME")]
    pub home: Option<PathBuf>,
}

/// `convos backup PATH`.
#[derive(Debug, Clone, Args)]
pub struct Backup {
    /// Where to write the copy: a file (replaced atomically) or an existing directory
    /// (gets `convos-YYYYMMDD-HHMMSS.db`). Restore by stopping the daemon and copying the
    /// file to CONVOS_HOME/convos.db.
    pub path: PathBuf,

    /// Data directory. Default: ~/.local/share/convos.
    #[arg(long, env = "CONVOS_HOME")]
    pub home: Option<PathBuf>,
}

/// Options of `convos daemon`. Every flag can also be set from the environment.
#[derive(Debug, Clone, Args)]
pub struct Daemon {
    /// Where to listen: http://*:8080, https://*:8443?cert=PATH&key=PATH, http+unix://%2Fpath%2Fsock.
    /// Repeatable; comma separated in the environment.
    #[arg(
        short,
        long = "listen",
        env = "CONVOS_LISTEN",
        value_delimiter = ',',
        default_value = "http://localhost:8080"
    )]
    pub listen: Vec<String>,

    /// Data directory (created with mode 0700). Default: ~/.local/share/convos.
    #[arg(long, env = "CONVOS_HOME")]
    pub home: Option<PathBuf>,

    /// Log filter, e.g. "info" or "convos=debug" (RUST_LOG is used when this is unset).
    #[arg(long, env = "CONVOS_LOG_LEVEL")]
    pub log_level: Option<String>,

    /// Keep the store in PostgreSQL instead of CONVOS_HOME/convos.db:
    /// postgres://user:pass@host/db (sslmode=disable|prefer|require, sslrootcert=FILE).
    /// Uploads, keys and the lock file stay in CONVOS_HOME.
    #[arg(long, env = "CONVOS_DATABASE", hide_env_values = true)]
    pub database: Option<String>,

    /// With CONVOS_DATABASE: where the other daemons on the database reach this one
    /// (an http:// URL of one of its listeners on the internal network). Default: the
    /// first --listen URL, with this machine's name for an unspecified address.
    #[arg(long, env = "CONVOS_CLUSTER_URL")]
    pub cluster_url: Option<String>,

    /// With CONVOS_DATABASE: seconds a user's lease lasts unrenewed, so how long a dead
    /// daemon's users wait before another daemon takes them over (5 to 600).
    #[arg(long, env = "CONVOS_CLUSTER_LEASE", default_value = "30", value_parser = clap::value_parser!(u64).range(5..=600))]
    pub cluster_lease: u64,

    /// Trust X-Forwarded-For/-Proto/-Host headers (set only behind a reverse proxy).
    #[arg(long, env = "CONVOS_REVERSE_PROXY", value_parser = parse_bool, default_value = "0", action = clap::ArgAction::Set)]
    pub reverse_proxy: bool,

    /// Public base URL when behind a proxy, e.g. https://chat.example.com/.
    #[arg(long, env = "CONVOS_REQUEST_BASE")]
    pub request_base: Option<url::Url>,

    /// A word mixed into the app's version: changing it makes every open browser offer
    /// "new version, reload" (the bundle's own changes do that anyway).
    #[arg(long, env = "CONVOS_RELOAD_TAG")]
    pub reload_tag: Option<String>,

    /// fsync every commit, so stored messages also survive a power loss (slower writes).
    /// Without it they survive crashes of the process.
    #[arg(long, env = "CONVOS_FSYNC", value_parser = parse_bool, default_value = "0", action = clap::ArgAction::Set)]
    pub fsync: bool,

    /// Let anyone register (the admin can change this in the settings).
    #[arg(long, env = "CONVOS_OPEN_TO_PUBLIC", value_parser = parse_bool, default_value = "0", action = clap::ArgAction::Set)]
    pub open_to_public: bool,

    /// STUN servers for calls, e.g. stun://stun.example.com:3478 (comma separated).
    #[arg(long, env = "CONVOS_STUN", default_value = "")]
    pub stun: String,

    /// TURN servers for calls, e.g. turn://user:pass@turn.example.com:3478 (comma separated).
    #[arg(long, env = "CONVOS_TURN", default_value = "")]
    pub turn: String,

    /// Shared secret of a TURN server using the REST API scheme (coturn use-auth-secret):
    /// each user gets short-lived credentials instead of a static password.
    #[arg(long, env = "CONVOS_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<Secret>,

    /// Relay all call media through TURN, so participants never learn each other's IP.
    #[arg(long, env = "CONVOS_RTC_RELAY_ONLY", value_parser = parse_bool, default_value = "0", action = clap::ArgAction::Set)]
    pub rtc_relay_only: bool,

    /// Run the built-in STUN/TURN server on this UDP address, e.g. udp://0.0.0.0:3478.
    #[arg(long, env = "CONVOS_TURN_LISTEN")]
    pub turn_listen: Option<String>,

    /// The address browsers reach the built-in TURN server at (needed when it listens on
    /// every address).
    #[arg(long, env = "CONVOS_TURN_PUBLIC_IP")]
    pub turn_public_ip: Option<std::net::IpAddr>,

    /// UDP ports the built-in TURN server relays media on.
    #[arg(long, env = "CONVOS_TURN_RELAY_PORTS", default_value = "49152-65535")]
    pub turn_relay_ports: String,

    /// Seconds a client has to send a request's head; also the longest a connection may
    /// stay idle between requests.
    #[arg(long, env = "CONVOS_HTTP_TIMEOUT", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub http_timeout: u64,

    /// Open HTTP connections (WebSockets included) at most.
    #[arg(long, env = "CONVOS_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,

    /// Open HTTP connections from one client address (an IPv6 /64) at most; not applied
    /// with --reverse-proxy (the proxy is the only client).
    #[arg(long, env = "CONVOS_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections_per_client: u64,

    /// Addresses non-admin users' IRC connections may reach although they are not public
    /// (comma separated `ADDR[/PREFIX][:PORTS]`, e.g. `10.0.0.5:6667,[fd00::/8]:6697`).
    #[arg(long, env = "CONVOS_IRC_ALLOW", default_value = "")]
    pub irc_allow: String,

    /// Addresses non-admin users' IRC connections may never reach, in the same syntax;
    /// beats CONVOS_IRC_ALLOW.
    #[arg(long, env = "CONVOS_IRC_DENY", default_value = "")]
    pub irc_deny: String,

    /// IRC connections one user may have.
    #[arg(long, env = "CONVOS_MAX_CONNECTIONS_PER_USER", default_value = "20", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_connections_per_user: u16,

    /// Peers the built-in TURN server may relay to although they are not public, in the
    /// syntax of CONVOS_IRC_ALLOW (relays between its own allocations always work).
    #[arg(long, env = "CONVOS_TURN_ALLOW", default_value = "")]
    pub turn_allow: String,

    /// Serve /metrics (Prometheus/OpenMetrics text), /healthz and /readyz without
    /// authentication on this extra address, e.g. http://127.0.0.1:9090 (keep it private).
    #[arg(long, env = "CONVOS_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,

    /// A bearer token that may read /metrics on the main listener
    /// (`Authorization: Bearer TOKEN`); admins' sessions may read it too.
    #[arg(long, env = "CONVOS_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    /// Sign users in by this header, set by a reverse proxy after its own login (e.g.
    /// X-Remote-User from Authelia or oauth2-proxy); its value is the user's e-mail.
    /// Believed only from --trusted-proxies.
    #[arg(long, env = "CONVOS_AUTH_HEADER")]
    pub auth_header: Option<String>,

    /// Peers allowed to set --auth-header: addresses or networks, comma separated.
    #[arg(long, env = "CONVOS_TRUSTED_PROXIES", default_value = "127.0.0.1,::1")]
    pub trusted_proxies: String,

    /// Sign in against this LDAP server too: ldap://host[:389] or ldaps://host[:636].
    #[arg(long, env = "CONVOS_LDAP_URL")]
    pub ldap_url: Option<url::Url>,

    /// Upgrade ldap:// connections with StartTLS.
    #[arg(long, env = "CONVOS_LDAP_STARTTLS", value_parser = parse_bool, default_value = "0", action = clap::ArgAction::Set)]
    pub ldap_starttls: bool,

    /// PEM file of the CA that signed the LDAP server's certificate (default: system roots).
    #[arg(long, env = "CONVOS_LDAP_CA")]
    pub ldap_ca: Option<PathBuf>,

    /// Bind as the user: a DN template with %uid (the e-mail's local part) and %email,
    /// e.g. uid=%uid,ou=people,dc=example,dc=com.
    #[arg(long, env = "CONVOS_LDAP_BIND_DN")]
    pub ldap_bind_dn: Option<String>,

    /// Search-then-bind: find the user under this base with --ldap-search-filter.
    #[arg(long, env = "CONVOS_LDAP_SEARCH_BASE")]
    pub ldap_search_base: Option<String>,

    /// The search filter, with %uid and %email.
    #[arg(
        long,
        env = "CONVOS_LDAP_SEARCH_FILTER",
        default_value = "(mail=%email)"
    )]
    pub ldap_search_filter: String,

    /// Service account DN for the search (anonymous search without).
    #[arg(long, env = "CONVOS_LDAP_SEARCH_DN")]
    pub ldap_search_dn: Option<String>,

    /// The service account's password.
    #[arg(long, env = "CONVOS_LDAP_SEARCH_PASSWORD", hide_env_values = true)]
    pub ldap_search_password: Option<Secret>,

    /// Attribute holding the user's e-mail.
    #[arg(long, env = "CONVOS_LDAP_EMAIL_ATTRIBUTE", default_value = "mail")]
    pub ldap_email_attribute: String,

    /// Users whose entry matches this filter are admins, e.g.
    /// (memberOf=cn=admins,ou=groups,dc=example,dc=com).
    #[arg(long, env = "CONVOS_LDAP_ADMIN_FILTER")]
    pub ldap_admin_filter: Option<String>,

    /// OpenID Connect providers to offer ("Sign in with ..."), comma separated names; each
    /// NAME is configured by CONVOS_OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _LABEL
    /// and _SCOPES (see README, "Sign-in").
    #[arg(long, env = "CONVOS_OIDC_PROVIDERS", default_value = "")]
    pub oidc_providers: String,

    /// Only OpenID Connect sign-in: the password form is hidden and password logins and
    /// registrations are refused.
    #[arg(long, env = "CONVOS_OIDC_ONLY", value_parser = parse_bool, default_value = "0", action = clap::ArgAction::Set)]
    pub oidc_only: bool,

    /// Addresses of OpenID providers that are not public (e.g. 127.0.0.1 for one on the
    /// same machine), in the syntax of CONVOS_IRC_ALLOW; CONVOS_IRC_DENY still applies.
    #[arg(long, env = "CONVOS_OIDC_ALLOW", default_value = "")]
    pub oidc_allow: String,

    /// Log format on stderr.
    #[arg(long, env = "CONVOS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,

    /// The largest file a user may upload, in bytes or with a unit (`40MB`, `512KB`,
    /// `1GB`; MB = 1048576 bytes).
    #[arg(long, env = "CONVOS_MAX_UPLOAD_SIZE", default_value = "40MB", value_parser = parse_size)]
    pub max_upload_size: u64,

    /// How much all of one user's uploaded files may take, in the same units.
    #[arg(long, env = "CONVOS_UPLOAD_QUOTA", default_value = "500MB", value_parser = parse_size)]
    pub upload_quota: u64,

    /// Show previews of links in messages (fetched by the server, see README).
    #[arg(long, env = "CONVOS_LINK_PREVIEWS", value_parser = parse_bool, default_value = "1", action = clap::ArgAction::Set)]
    pub link_previews: bool,

    /// Addresses link previews and Web Push may reach although they are not public, in
    /// the syntax of CONVOS_IRC_ALLOW.
    #[arg(long, env = "CONVOS_FETCH_ALLOW", default_value = "")]
    pub fetch_allow: String,

    /// The VAPID public key for Web Push (base64url); with the private key, for several
    /// instances sharing subscriptions. Default: a key generated once into the database.
    #[arg(long, env = "CONVOS_VAPID_PUBLIC_KEY")]
    pub vapid_public_key: Option<String>,

    /// The VAPID private key (base64url of the 32-byte P-256 scalar).
    #[arg(long, env = "CONVOS_VAPID_PRIVATE_KEY", hide_env_values = true)]
    pub vapid_private_key: Option<String>,

    /// Addresses link previews may never fetch from; beats CONVOS_FETCH_ALLOW.
    #[arg(long, env = "CONVOS_FETCH_DENY", default_value = "")]
    pub fetch_deny: String,
}

/// `40MB`, `512 KB`, `1gb`, `1048576` → bytes (K/M/G are powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(digits);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("expected a size like 40MB, got {s:?}"))?;
    let mult: u64 = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("expected a size like 40MB, got {s:?}")),
    };
    n.checked_mul(mult)
        .filter(|b| *b > 0)
        .ok_or_else(|| format!("size out of range: {s:?}"))
}

/// A switch from the command line or environment: [`crate::flag::parse`]'s words, and
/// an empty value is off.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    if s.trim().is_empty() {
        return Ok(false);
    }
    crate::flag::parse(s).ok_or_else(|| format!("expected 1 or 0, got {:?}", s.trim()))
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable with colours on a terminal, plain otherwise.
    Auto,
    /// Human-readable, never coloured.
    Text,
    /// One JSON object per line.
    Json,
}

/// A configuration mistake: printed as one line, exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid listen URL {url:?}: {reason}")]
    Listen { url: String, reason: String },
    #[error("{0}")]
    Other(String),
}

/// The data directory: `--home`, else `$CONVOS_HOME`, else `~/.local/share/convos`.
pub fn home_dir(given: Option<&PathBuf>) -> Result<PathBuf, Error> {
    if let Some(p) = given {
        return Ok(p.clone());
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("convos"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::Other("set CONVOS_HOME or HOME".into()))?;
    Ok(PathBuf::from(home).join(".local/share/convos"))
}

#[cfg(test)]
mod tests;
