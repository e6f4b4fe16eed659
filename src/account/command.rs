//! `convos user add|passwd|list|delete`, `convos recover` and `convos backup`: the host
//! admin's tools. They open the store in `CONVOS_HOME` directly; a running daemon sees the changes
//! at its next request (sessions, passwords) but only starts actors for users created
//! through the web.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::{normalize_email, Error};
use crate::config::{self, Backup, Recover, UserAction, UserArgs};
use crate::model::Secret;
use crate::store::{self, Store, TokenPurpose};

/// Runs `convos user ...`; prints one line on failure.
pub fn user(args: UserArgs) -> ExitCode {
    finish(block_on(run_user(args)))
}

/// Runs `convos recover EMAIL`; prints the link on stdout.
pub fn recover(args: Recover) -> ExitCode {
    finish(block_on(run_recover(args)))
}

/// Runs `convos backup PATH`; prints where the copy went.
pub fn backup(args: Backup) -> ExitCode {
    finish(block_on(run_backup(args)))
}

async fn run_backup(args: Backup) -> anyhow::Result<()> {
    let home = config::home_dir(args.home.as_ref())?;
    let db = home.join(store::FILE_NAME);
    if !db.is_file() {
        bail!("no database at {}: nothing to back up", db.display());
    }
    let dest = if args.path.is_dir() {
        // `2026-11-27T16:58:24.123Z` → `20261127-165824`
        let digits: String = crate::time::format_ms(crate::time::now_ms())
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        args.path
            .join(format!("convos-{}-{}.db", &digits[..8], &digits[8..14]))
    } else {
        args.path
    };
    if same_file(&dest, &db) {
        bail!("{}: that is the live database", dest.display());
    }
    let store = Store::open_configured(
        &home,
        Store::database_from_env().as_deref(),
        store::Options::default(),
    )?;
    store.backup(&dest).await?;
    let size = std::fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
    println!(
        "backup written to {} ({:.1} MiB)",
        dest.display(),
        size as f64 / (1024.0 * 1024.0)
    );
    Ok(())
}

/// Runs `convos migrate-store --to URL`: copies `CONVOS_HOME/convos.db` into PostgreSQL
/// with a progress bar, then builds the search index there. The daemon must be stopped
/// (the home's lock is taken); run again after a stop, it continues.
pub fn migrate_store(args: config::MigrateStore) -> ExitCode {
    finish(block_on(async move {
        let home = config::home_dir(args.home.as_ref())?;
        if !home.join(store::FILE_NAME).is_file() {
            bail!("{}: no convos.db to copy", home.display());
        }
        let _lock = crate::daemon::lock_home(&home).map_err(|e| match e {
            crate::daemon::Error::Locked { path, pid } => anyhow::anyhow!(
                "the convos daemon{pid} is running on {}: stop it, then copy its store",
                path.display()
            ),
            e => e.into(),
        })?;
        let source = Store::open(&home, store::Options::default())?;
        let target = Store::open_postgres(&args.to, store::Options::default())?;
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} messages ({per_sec}, {eta} left)",
            )
            .context("progress style")?,
        );
        let done = source
            .copy_into(&target, |p| {
                bar.set_length(p.total);
                bar.set_position(p.copied);
            })
            .await?;
        bar.finish();
        // PostgreSQL indexed each batch as it was copied.
        target.index_pending().await?;
        println!(
            "copied {} messages into {}; start the daemon with CONVOS_DATABASE set to it",
            done.copied,
            target.path().display()
        );
        Ok(())
    }))
}

/// `convos cluster status|drain ID` on the database of `CONVOS_DATABASE`.
pub fn cluster(args: config::ClusterArgs) -> ExitCode {
    finish(block_on(async move {
        let Some(db) = Store::database_from_env() else {
            bail!("set CONVOS_DATABASE to the daemons' PostgreSQL database");
        };
        let store = Store::open_postgres(&db, store::Options::default())?;
        match args.action {
            config::ClusterAction::Status => {
                let members = store.cluster_members().await?;
                if members.is_empty() {
                    println!("no daemon runs on {}", store.path().display());
                }
                for m in members {
                    println!(
                        "{}\tslot {}\t{}\t{} users\tlast heard {:.1} s ago{}",
                        m.id,
                        m.slot,
                        m.url,
                        m.users,
                        m.silent_ms as f64 / 1000.0,
                        if m.draining { "\tdraining" } else { "" }
                    );
                }
            }
            config::ClusterAction::Drain { id, no_wait } => {
                if !store.cluster_drain(&id).await? {
                    bail!("no daemon {id} runs (see `convos cluster status`)");
                }
                println!("{id} is handing its users over");
                if !no_wait {
                    // Bounded: a daemon that died meanwhile is removed after two leases.
                    for _ in 0..1200 {
                        let members = store.cluster_members().await?;
                        if !members.iter().any(|m| m.id == id) {
                            println!("{id} has stopped");
                            return Ok(());
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                    bail!("{id} has not stopped within 10 minutes");
                }
            }
        }
        Ok(())
    }))
}

/// Whether both paths exist and name the same file.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("convos: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn block_on<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?
        .block_on(f)
}

fn open(home: Option<&PathBuf>) -> anyhow::Result<Store> {
    let home = config::home_dir(home)?;
    Ok(Store::open_configured(
        &home,
        Store::database_from_env().as_deref(),
        store::Options::default(),
    )?)
}

async fn run_user(args: UserArgs) -> anyhow::Result<()> {
    let store = open(args.home.as_ref())?;
    match args.action {
        UserAction::Add { email, admin, .. } => {
            let email = normalize_email(&email)?;
            let password = read_password()?;
            let first = store.users().await?.is_empty();
            let user = super::create_user(&store, &email, password, admin || first).await?;
            let role = if user.admin { "admin" } else { "user" };
            println!("created {} ({role})", user.email);
        }
        UserAction::Passwd { email, .. } => {
            let user = find(&store, &email).await?;
            let password = read_password()?;
            super::set_password(&store, &user, password, None).await?;
            println!(
                "changed the password of {}; its sessions were ended",
                user.email
            );
        }
        UserAction::List => {
            for u in store.users().await? {
                let role = if u.admin { "admin" } else { "user" };
                println!(
                    "{}\t{role}\t{}",
                    u.email,
                    crate::time::format_ms(u.created_at)
                );
            }
        }
        UserAction::Delete { email } => {
            let user = find(&store, &email).await?;
            store.delete_user(user.id).await?;
            println!("deleted {} and all of its data", user.email);
        }
    }
    Ok(())
}

async fn run_recover(args: Recover) -> anyhow::Result<()> {
    let store = open(args.home.as_ref())?;
    let user = find(&store, &args.email).await?;
    let link = super::create_link(&store, TokenPurpose::PasswordReset, &user.email).await?;
    println!(
        "{}",
        super::link_url(&args.base, &user.email, &link.token, true)
    );
    eprintln!(
        "valid once, until {}",
        crate::time::format_ms(link.expires_at)
    );
    Ok(())
}

async fn find(store: &Store, email: &str) -> anyhow::Result<crate::model::User> {
    let email = normalize_email(email)?;
    match store.user_by_email(&email).await? {
        Some(u) => Ok(u),
        None => bail!("no user {email}"),
    }
}

/// One line from stdin (prompted without echo on a terminal), checked for length.
fn read_password() -> anyhow::Result<Secret> {
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        eprint!("Password: ");
        let _ = std::io::stderr().flush();
        set_echo(false);
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if tty {
        set_echo(true);
        eprintln!();
    }
    read.context("cannot read the password from stdin")?;
    let password = Secret::new(line.trim_end_matches(['\r', '\n']));
    super::check_password(&password).map_err(|e| match e {
        Error::PasswordTooShort => anyhow::anyhow!(
            "password too short (at least {} characters)",
            super::MIN_PASSWORD_CHARS
        ),
        e => e.into(),
    })?;
    Ok(password)
}

/// Turns terminal echo off or on with `stty`, which acts on the inherited stdin.
fn set_echo(on: bool) {
    let _ = std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status();
}
