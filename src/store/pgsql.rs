//! Opening the store on PostgreSQL (`CONVOS_DATABASE=postgres://…`): connections with TLS,
//! the migrations, and what the writer needs from the engine.
//!
//! Connections are made on a plain thread: the synchronous `postgres` client runs its own
//! small runtime, which must not start inside the daemon's async threads. TLS uses rustls
//! with the system's roots and the bundled web roots, verified; `sslmode` comes from the URL
//! (`disable`, `prefer` (the default), `require`), and `sslrootcert=FILE` adds a CA (a
//! private database's certificate), which the driver itself does not read.
//!
//! Migrations are numbered like SQLite's but start from the schema SQLite reached with its
//! 12th (`pg/001_base.sql`). They run in one transaction under an advisory lock, so several
//! daemons starting at once migrate once.

use super::{Error, Options, Result};
use std::str::FromStr;

/// PostgreSQL migration N is `MIGRATIONS[N - 1]`.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("pg/001_base.sql"),
    include_str!("pg/002_cluster.sql"),
    include_str!("pg/003_search_order.sql"),
];

/// The advisory lock held while migrating (any fixed number; "convos" in ASCII).
const MIGRATION_LOCK: i64 = 0x636f_6e76_6f73;

/// Where the store is: the URL without its password, for messages and `Store::path`.
pub(crate) fn display_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "postgres://(unreadable URL)".into(),
    }
}

/// Whether `s` names a PostgreSQL database rather than a directory.
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// The connection settings and TLS of one database.
#[derive(Clone)]
pub(crate) struct Target {
    config: postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    pub(crate) shown: String,
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Target> {
        let shown = display_url(url);
        let bad = |detail: String| Error::Invalid(format!("{shown}: {detail}"));
        let mut parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        // `sslrootcert` is libpq's; the driver refuses options it does not know.
        let mut root_cert = None;
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .filter_map(|(k, v)| {
                if k == "sslrootcert" {
                    root_cert = Some(v.into_owned());
                    None
                } else {
                    Some((k.into_owned(), v.into_owned()))
                }
            })
            .collect();
        parsed.set_query(None);
        if !pairs.is_empty() {
            parsed.query_pairs_mut().extend_pairs(pairs);
        }
        let mut config =
            postgres::Config::from_str(parsed.as_str()).map_err(|e| bad(e.to_string()))?;
        if config.get_application_name().is_none() {
            config.application_name("convos");
        }
        config.connect_timeout(std::time::Duration::from_secs(10));
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        if let Some(path) = root_cert {
            let pem = std::fs::read(&path).map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
            let mut reader = std::io::BufReader::new(pem.as_slice());
            for cert in rustls_pemfile_certs(&mut reader) {
                roots
                    .add(cert)
                    .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Target {
            config,
            tls: tokio_postgres_rustls::MakeRustlsConnect::new(tls),
            shown,
        })
    }

    /// Connects `n` clients, off the async threads.
    pub(crate) fn connect(&self, n: usize) -> Result<Vec<postgres::Client>> {
        let target = self.clone();
        std::thread::spawn(move || {
            (0..n)
                .map(|_| {
                    target.config.connect(target.tls.clone()).map_err(|e| {
                        Error::Invalid(format!("{}: cannot connect: {e}", target.shown))
                    })
                })
                .collect()
        })
        .join()
        .map_err(|_| Error::Write("the database connection thread failed".into()))?
    }
}

/// Certificates of a PEM file.
fn rustls_pemfile_certs(
    reader: &mut dyn std::io::BufRead,
) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    let mut pem = Vec::new();
    let _ = reader.read_to_end(&mut pem);
    rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
        .filter_map(|c| c.ok())
        .collect()
}

/// Brings the schema up to date; fails with [`Error::TooNew`] for a database written by a
/// newer convos.
pub(crate) fn migrate(client: &mut postgres::Client, shown: &str, _opts: &Options) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS convos_schema (version BIGINT NOT NULL)")?;
    let found: i64 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM convos_schema", &[])?
        .get(0);
    if found > known {
        return Err(Error::TooNew {
            path: shown.into(),
            found,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = i as i64 + 1;
        tracing::info!(version, "store: migrating the PostgreSQL schema");
        tx.batch_execute(sql)?;
    }
    if found < known {
        tx.execute("DELETE FROM convos_schema", &[])?;
        tx.execute("INSERT INTO convos_schema (version) VALUES ($1)", &[&known])?;
    }
    tx.commit()?;
    Ok(())
}
