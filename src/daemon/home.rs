//! The data directory and the process around it: `CONVOS_HOME` created private and
//! checked writable, the `convos.lock` that keeps a second daemon out, a private umask
//! for every file created, and the open files limit raised for many sockets.

use std::path::Path;

use tracing::info;

use super::Error;

/// Takes an exclusive lock on `home/convos.lock` (released when the process exits, even
/// on SIGKILL) so that two daemons never drive the same users' IRC connections and
/// database. The file holds the owner's pid, for the message the second daemon prints.
/// `convos user`, `convos backup` and friends do not take it: they are safe beside a
/// running daemon (SQLite WAL).
pub(crate) fn lock_home(home: &Path) -> Result<std::fs::File, Error> {
    use std::io::{Read as _, Seek as _, Write as _};
    let path = home.join("convos.lock");
    let fail = |e: std::io::Error| Error::Home {
        path: home.to_path_buf(),
        reason: format!("{}: {e}", path.display()),
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(fail)?;
    // flock(2) through rustix: std's File::try_lock needs Rust 1.89, our MSRV is 1.85.
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            let pid = if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                format!(" (pid {pid})")
            } else {
                String::new()
            };
            return Err(Error::Locked {
                path: home.to_path_buf(),
                pid,
            });
        }
        Err(e) => return Err(fail(e.into())),
    }
    file.set_len(0).map_err(fail)?;
    file.rewind().map_err(fail)?;
    writeln!(file, "{}", std::process::id()).map_err(fail)?;
    Ok(file)
}

/// Creates `home` with mode 0700 (when missing) and checks that it is writable.
pub(crate) fn ensure_home(home: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    let fail = |reason: String| Error::Home {
        path: home.to_path_buf(),
        reason,
    };
    if !home.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(home)
            .map_err(|e| fail(e.to_string()))?;
    }
    warn_if_shared(home);
    let probe = home.join(format!(".write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| fail(format!("not writable: {e}")))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Makes every file this process creates private to its user (mode 0600, directories
/// 0700): the database, its WAL, backups, certificates. Called first thing by every
/// `convos` command, so `convos backup` and `convos user` write private files too.
pub fn private_umask() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Each browser tab holds a WebSocket and a few HTTP connections, each IRC connection a
/// socket: the usual soft limit of 1024 open files is reached long before memory is.
/// Raises the soft `RLIMIT_NOFILE` to the hard limit.
pub(super) fn raise_nofile_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current == limit.maximum {
        return;
    }
    let before = limit.current;
    limit.current = limit.maximum;
    match setrlimit(Resource::Nofile, limit) {
        Ok(()) => info!(from = ?before, to = ?limit.maximum, "raised the open files limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open files limit"),
    }
}

/// Warns when other users of the host may read or enter `home` (it holds the database
/// with everyone's messages and password hashes).
fn warn_if_shared(home: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(home) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                home = %home.display(),
                mode = format!("{mode:o}"),
                "CONVOS_HOME is accessible to other users of this host; run chmod 700 on it"
            );
        }
    }
}
