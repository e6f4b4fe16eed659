//! Sign-in against an LDAP directory (`ldap3` crate): bind as the user (a DN template),
//! or search for the user with a service account and then bind as what was found; over
//! `ldaps://` or StartTLS, verified against the system's or a given CA; the e-mail from an
//! attribute; admin when the user's entry matches a filter (e.g. `memberOf=cn=admins,...`).
//!
//! Every connection goes to an address checked by the outbound policy (`crate::net`) right
//! before connecting, like IRC. Owns no state beyond its configuration; one short-lived
//! connection per sign-in, bounded by a timeout. Must not: log passwords.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, StdStream};

use crate::net::Policy;

/// How long one sign-in may take against the directory (connect, TLS, binds, searches).
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how to sign users in.
#[derive(Debug, Clone)]
pub struct Config {
    /// `ldap://host[:port]` or `ldaps://host[:port]`.
    pub url: url::Url,
    pub starttls: bool,
    /// PEM file of the CA that signed the server's certificate; the system's roots otherwise.
    pub ca_file: Option<std::path::PathBuf>,
    /// Bind DN of the user, with `%uid` (the e-mail's local part) and `%email`.
    pub bind_dn: Option<String>,
    /// Search-then-bind: where and how to find the user (`%uid`, `%email` in the filter).
    pub search_base: Option<String>,
    pub search_filter: String,
    /// The service account for the search (anonymous without).
    pub search_dn: Option<String>,
    pub search_password: Option<crate::model::Secret>,
    /// Attribute holding the e-mail (default `mail`).
    pub email_attr: String,
    /// The user is an admin when their entry matches this filter.
    pub admin_filter: Option<String>,
}

/// Why a sign-in could not be checked (not: a wrong password, which is `Ok(None)`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid LDAP configuration: {0}")]
    Config(String),
    #[error("cannot reach the LDAP server: {0}")]
    Connect(String),
    #[error("LDAP error: {0}")]
    Ldap(#[from] ldap3::LdapError),
    #[error("LDAP sign-in timed out")]
    Timeout,
}

/// Who signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub dn: String,
    /// From the e-mail attribute, else what the user typed.
    pub email: String,
    /// `Some` when an admin filter is configured.
    pub admin: Option<bool>,
}

/// The directory, with its TLS settings and the policy its address must pass.
#[derive(Clone)]
pub struct Directory {
    config: Config,
    tls: Arc<rustls::ClientConfig>,
    policy: Arc<Policy>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("url", &self.config.url.as_str())
            .finish()
    }
}

impl Directory {
    /// Checks the configuration and loads the CA. Fails on a bad URL or CA file, or
    /// with neither a bind DN template nor a search base.
    pub fn new(config: Config, policy: Policy) -> Result<Directory, Error> {
        if !matches!(config.url.scheme(), "ldap" | "ldaps") || config.url.host_str().is_none() {
            return Err(Error::Config(format!(
                "{} is not an ldap:// or ldaps:// URL",
                config.url
            )));
        }
        if config.bind_dn.is_none() && config.search_base.is_none() {
            return Err(Error::Config(
                "set CONVOS_LDAP_BIND_DN or CONVOS_LDAP_SEARCH_BASE".into(),
            ));
        }
        let mut roots = rustls::RootCertStore::empty();
        match &config.ca_file {
            Some(path) => {
                use rustls::pki_types::pem::PemObject;
                let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
                    .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
                for c in certs {
                    let c = c.map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
                    roots
                        .add(c)
                        .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Directory {
            config,
            tls: Arc::new(tls),
            policy: Arc::new(policy),
        })
    }

    /// Checks `email`/`password` against the directory: `Ok(Some)` when the bind
    /// succeeds, `Ok(None)` for an unknown user or a wrong password.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<Option<Found>, Error> {
        // An empty password would be an anonymous ("unauthenticated") bind that succeeds.
        if password.is_empty() {
            return Ok(None);
        }
        tokio::time::timeout(TIMEOUT, self.run(email, password))
            .await
            .map_err(|_| Error::Timeout)?
    }

    async fn run(&self, email: &str, password: &str) -> Result<Option<Found>, Error> {
        let c = &self.config;
        let uid = email.split('@').next().unwrap_or(email);
        let fill = |template: &str, escape: fn(&str) -> String| {
            template
                .replace("%uid", &escape(uid))
                .replace("%email", &escape(email))
        };
        let mut ldap = self.connect().await?;
        let dn = match (&c.bind_dn, &c.search_base) {
            (Some(t), _) => fill(t, |s| ldap3::dn_escape(s).into_owned()),
            (None, Some(base)) => {
                if let (Some(dn), Some(pw)) = (&c.search_dn, &c.search_password) {
                    ldap.simple_bind(dn, pw.expose()).await?.success()?;
                }
                let filter = fill(&c.search_filter, |s| ldap3::ldap_escape(s).into_owned());
                let (entries, _) = ldap
                    .search(base, Scope::Subtree, &filter, vec!["1.1"])
                    .await?
                    .success()?;
                // None or several: nobody to sign in (ambiguous is refused, not guessed).
                let [entry] = entries.as_slice() else {
                    let _ = ldap.unbind().await;
                    return Ok(None);
                };
                SearchEntry::construct(entry.clone()).dn
            }
            (None, None) => return Err(Error::Config("no bind DN or search base".into())),
        };
        let bound = ldap.simple_bind(&dn, password).await?;
        // 49: invalidCredentials (also for an unknown DN); 32: noSuchObject.
        if matches!(bound.rc, 49 | 32) {
            let _ = ldap.unbind().await;
            return Ok(None);
        }
        bound.success()?;
        let (entries, _) = ldap
            .search(
                &dn,
                Scope::Base,
                "(objectClass=*)",
                vec![c.email_attr.as_str()],
            )
            .await?
            .success()?;
        let email = entries
            .into_iter()
            .next()
            .map(SearchEntry::construct)
            .and_then(|e| e.attrs.get(&c.email_attr).and_then(|v| v.first().cloned()))
            .unwrap_or_else(|| email.to_owned());
        let admin = match &c.admin_filter {
            None => None,
            Some(filter) => {
                let (hits, _) = ldap
                    .search(&dn, Scope::Base, filter, vec!["1.1"])
                    .await?
                    .success()?;
                Some(!hits.is_empty())
            }
        };
        let _ = ldap.unbind().await;
        Ok(Some(Found { dn, email, admin }))
    }

    /// A connection to the first address of the URL's host that the policy allows.
    async fn connect(&self) -> Result<ldap3::Ldap, Error> {
        let url = &self.config.url;
        let host = url.host_str().unwrap_or_default().to_owned();
        let port = url
            .port()
            .unwrap_or(if url.scheme() == "ldaps" { 636 } else { 389 });
        let addrs: Vec<SocketAddr> = tokio::task::spawn_blocking(move || {
            (host.as_str(), port)
                .to_socket_addrs()
                .map(|a| a.collect::<Vec<_>>())
        })
        .await
        .map_err(|e| Error::Connect(e.to_string()))?
        .map_err(|e| Error::Connect(e.to_string()))?;
        let mut last = String::from("no address");
        for addr in addrs {
            if let Err(denied) = self.policy.check(addr) {
                last = denied.to_string();
                continue;
            }
            let tcp = match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => s,
                Err(e) => {
                    last = e.to_string();
                    continue;
                }
            };
            let std = tcp.into_std().map_err(|e| Error::Connect(e.to_string()))?;
            let settings = LdapConnSettings::new()
                .set_conn_timeout(TIMEOUT)
                .set_starttls(self.config.starttls && url.scheme() == "ldap")
                .set_config(self.tls.clone())
                .set_std_stream(StdStream::Tcp(std));
            let (conn, ldap) = LdapConnAsync::with_settings(settings, url.as_str()).await?;
            ldap3::drive!(conn);
            return Ok(ldap);
        }
        Err(Error::Connect(last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> Config {
        Config {
            url: url::Url::parse(url).expect("url"),
            starttls: false,
            ca_file: None,
            bind_dn: Some("uid=%uid,ou=people,dc=example,dc=test".into()),
            search_base: None,
            search_filter: "(mail=%email)".into(),
            search_dn: None,
            search_password: None,
            email_attr: "mail".into(),
            admin_filter: None,
        }
    }

    #[test]
    fn configuration_is_checked() {
        assert!(Directory::new(config("ldaps://127.0.0.1:636"), Policy::open()).is_ok());
        assert!(Directory::new(config("http://127.0.0.1"), Policy::open()).is_err());
        let mut c = config("ldap://127.0.0.1");
        c.bind_dn = None;
        assert!(Directory::new(c, Policy::open()).is_err());
        let mut c = config("ldap://127.0.0.1");
        c.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(Directory::new(c, Policy::open()).is_err());
    }

    #[tokio::test]
    async fn the_policy_is_asked_before_connecting() {
        let d = Directory::new(config("ldap://127.0.0.1:1"), Policy::public()).expect("dir");
        let e = d
            .authenticate("alice@example.test", "pw")
            .await
            .expect_err("refused");
        assert!(matches!(e, Error::Connect(_)), "{e}");
        assert_eq!(d.authenticate("a@b", "").await.expect("empty"), None);
    }
}
