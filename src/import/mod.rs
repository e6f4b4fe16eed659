//! `convos import convos PATH` and `convos import thelounge PATH`: users, networks and
//! years of logs moved in from an old server's home, losslessly and idempotently.
//!
//! Shape: a reader per product (`convos`, `thelounge`) walks the source tree (read-only;
//! symbolic links followed only inside it, see `lines::Tree`) and hands accounts,
//! connections, conversations and messages to the `sink`, which creates what is missing
//! and queues messages to the store's writer in big batches, each with the marks of how
//! far its source files have been taken (`store::import`). A second run skips what the
//! marks cover, so nothing is imported twice; an interrupted run resumes. Messages are
//! placed by their own time (`NewEntry::backfill`), so old lines sort among newer ones.
//!
//! The import takes the home's lock (`convos.lock`): while the daemon runs it refuses and
//! says to stop it (the daemon's user actors hold connection and conversation state that
//! an import beside them would not reach). `--dry-run` reads the database without the
//! lock and writes nothing.
//!
//! Must not: write below the imported directory, follow links out of it, or stop on bad
//! input (malformed lines are counted, unreadable files named, and the rest goes on).

pub mod convos;
pub mod detect;
mod lines;
mod sink;
pub mod summary;
pub mod thelounge;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};

use crate::config::{self, ImportArgs, ImportFrom};
use crate::store::{self, Store};
use lines::Tree;
use sink::Sink;
use summary::Summary;

/// Largest JSON file read (user, connection, settings files are a few KiB).
const MAX_JSON: u64 = 4 * 1024 * 1024;

/// Runs `convos import ...`; prints the summary on stdout, a failure as one line on stderr.
pub fn run(args: ImportArgs) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("convos: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(import(args)) {
        Ok(summary) => {
            print!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("convos: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Which product a path is imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    Convos,
    TheLounge,
}

impl Product {
    pub fn name(self) -> &'static str {
        match self {
            Product::Convos => "convos",
            Product::TheLounge => "thelounge",
        }
    }
}

/// The whole import; returns its summary.
pub async fn import(args: ImportArgs) -> anyhow::Result<Summary> {
    let home = config::home_dir(args.home.as_ref())?;
    let (from, path, domain) = match &args.from {
        ImportFrom::Convos { path } => (Product::Convos, path.clone(), String::new()),
        ImportFrom::Thelounge { path, email_domain } => {
            (Product::TheLounge, path.clone(), email_domain.clone())
        }
    };
    let tree = Tree::new(&path).with_context(|| format!("cannot read {}", path.display()))?;
    if !tree.root.is_dir() {
        bail!("{}: not a directory", path.display());
    }
    let label = match from {
        Product::Convos => "Convos home",
        Product::TheLounge => "The Lounge home",
    };
    let summary = Summary {
        source: format!("{label} {}", tree.root.display()),
        dry_run: args.dry_run,
        ..Summary::default()
    };
    let started = Instant::now();
    let mut lock = None;
    let mut sink = if args.dry_run {
        let peek = match Store::database_from_env() {
            // The driver is synchronous: off the async threads.
            Some(url) => tokio::task::spawn_blocking(move || store::import::peek_postgres(&url))
                .await
                .context("dry run")?,
            None => store::import::peek(&home),
        }
        .context("cannot read the database")?;
        Sink::dry(peek, summary)
    } else {
        crate::daemon::ensure_home(&home)?;
        lock = Some(crate::daemon::lock_home(&home).map_err(|e| match e {
            crate::daemon::Error::Locked { path, pid } => anyhow::anyhow!(
                "the convos daemon{pid} is running on {}: stop it, then run the import again \
                 (it continues where it stopped and imports nothing twice)",
                path.display()
            ),
            e => e.into(),
        })?);
        let store = Store::open_configured(
            &home,
            Store::database_from_env().as_deref(),
            store::Options::default(),
        )?;
        let marks = store.import_marks().await?;
        Sink::real(store, marks, summary)
    };
    match from {
        Product::Convos => convos::import(&tree, &mut sink).await?,
        Product::TheLounge => thelounge::import(&tree, &mut sink, &domain).await?,
    }
    sink.finish(started).await?;
    if let Some(store) = sink.store() {
        detect::record(store, from, &tree.root).await?;
    }
    drop(lock);
    Ok(sink.summary)
}

/// A JSON file of the tree, bounded in size.
fn json_file(tree: &Tree, path: &Path) -> Result<serde_json::Value, String> {
    let bytes = tree.read_small(path, MAX_JSON).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not valid JSON ({e})"))
}

/// Whether `name` can be a channel or nick: 1–200 bytes, not starting with `.`, no
/// spaces, commas or control characters (no IRC server allows them; a file name must not
/// smuggle in `../x`).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',')
}

/// The connection URL as it will be stored, and how it parses: as is when this server
/// understands it, else without the query parameters it refuses. `Err` when even that
/// does not parse (no host, not irc://).
fn usable_url(raw: &str, default_nick: &str) -> Result<(String, crate::irc::Config), String> {
    use crate::irc::Config;
    let nick = if Config::parse("irc://x", default_nick).is_ok() {
        default_nick
    } else {
        "guest"
    };
    let first = match Config::parse(raw, nick) {
        Ok(c) => return Ok((raw.trim().to_owned(), c)),
        Err(e) => e.to_string(),
    };
    let mut url = url::Url::parse(raw.trim()).map_err(|_| first.clone())?;
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    url.set_query(None);
    for (k, v) in pairs {
        let mut next = url.clone();
        next.query_pairs_mut().append_pair(&k, &v);
        if Config::parse(next.as_str(), nick).is_ok() {
            url = next;
        }
    }
    match Config::parse(url.as_str(), nick) {
        Ok(c) => Ok((url.to_string(), c)),
        Err(_) => Err(first),
    }
}

/// An old password hash as the account stores it, and a note for the summary when it
/// cannot be checked at login (then `!`, which matches no password: a reset link is needed).
fn imported_password(hash: Option<&str>, email: &str) -> (String, Option<String>) {
    let hash = hash.unwrap_or("");
    match crate::account::legacy::check_importable(hash) {
        Ok(()) => (hash.to_owned(), None),
        Err(why) => (
            "!".into(),
            Some(format!(
                "password not usable ({why}): give the user a link with `convos recover {email}`"
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["#convos", "batman", "#a/b", "&local", "#ünïcode"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../etc",
            "a b",
            "a,b",
            "a\u{7}b",
            &"x".repeat(201),
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn urls_keep_what_parses() {
        let (url, c) =
            usable_url("irc://u:p@irc.example.com:6697/%23a?nick=bat&tls=1", "x").expect("usable");
        assert_eq!(url, "irc://u:p@irc.example.com:6697/%23a?nick=bat&tls=1");
        assert_eq!(c.nick, "bat");
        let (url, c) = usable_url("irc://irc.example.com?tls=maybe&nick=bat", "x").expect("usable");
        assert_eq!(url, "irc://irc.example.com?nick=bat");
        assert!(c.tls);
        assert!(usable_url("http://example.com", "x").is_err());
        assert!(usable_url("irc://", "x").is_err());
        let (_, c) = usable_url("irc://irc.example.com", "not a nick").expect("usable");
        assert_eq!(c.nick, "guest");
    }
}
