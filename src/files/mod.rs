//! Uploaded files on disk: `CONVOS_HOME/uploads/<aa>/<sha256>` (content-addressed, so
//! equal uploads share one copy) and `<sha256>.thumb` beside it. Bytes are streamed into
//! `uploads/tmp/` while hashed, then renamed into place: a file is never seen half-written.
//!
//! Owns the bytes and the limits (file size, per-user quota, file count); who uploaded
//! what is in the store ([`crate::store::StoredFile`]). Knows no HTTP: the web layer
//! passes a stream of chunks in and serves the paths out.

pub mod image;
pub mod kind;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::model::UserId;
use crate::store::{Added, Store, StoredFile};

/// Limits on what users may store.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of one file (`CONVOS_MAX_UPLOAD_SIZE`).
    pub max_file: u64,
    /// Bytes of all of one user's files (`CONVOS_UPLOAD_QUOTA`).
    pub quota: u64,
    /// Files one user may have.
    pub max_count: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file: 40 * 1024 * 1024,
            quota: 500 * 1024 * 1024,
            max_count: 10_000,
        }
    }
}

/// Why an upload was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("The file is larger than {} (the most one upload may be).", human(*.0))]
    TooLarge(u64),
    #[error("Your files would take more than your quota of {} ({} used). Delete some in Settings → Files.", human(*.quota), human(*.used))]
    Quota { quota: u64, used: u64 },
    #[error("You have {0} files, the most allowed. Delete some in Settings → Files.")]
    Count(u64),
    #[error("The file is empty.")]
    Empty,
    #[error("The upload was interrupted: {0}")]
    Body(String),
    #[error("The upload stalled and was stopped.")]
    Stalled,
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// `41943040` → `"40 MB"` (MB = 2^20 bytes, as the limits are given).
pub fn human(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes % MB == 0 {
        format!("{} MB", bytes / MB)
    } else if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else if bytes >= 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// What an upload brings besides its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub user: UserId,
    /// As given; cleaned with [`kind::clean_name`].
    pub name: String,
    /// The `Content-Length`, when announced: checked before anything is read.
    pub length: Option<u64>,
}

/// The uploads directory and its limits; cheap to clone.
#[derive(Debug, Clone)]
pub struct Files {
    root: PathBuf,
    pub limits: Limits,
    /// Held while bytes are renamed into place and recorded, or unrecorded and removed:
    /// an upload of the same bytes cannot lose its file to a deletion in between.
    lock: Arc<tokio::sync::Mutex<()>>,
    /// Image decoding is memory-heavy: one at a time.
    decode: Arc<tokio::sync::Semaphore>,
}

/// The longest one chunk of an upload may take to arrive.
const STALL: std::time::Duration = std::time::Duration::from_secs(60);

impl Files {
    /// `home/uploads` (created with the daemon's private umask).
    pub fn new(home: &Path, limits: Limits) -> std::io::Result<Files> {
        let root = home.join("uploads");
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(Files {
            root,
            limits,
            lock: Arc::default(),
            decode: Arc::new(tokio::sync::Semaphore::new(1)),
        })
    }

    /// Where the bytes `sha256` are.
    pub fn path(&self, sha256: &str) -> PathBuf {
        let dir = sha256.get(..2).unwrap_or("00");
        self.root.join(dir).join(sha256)
    }

    /// Where the thumbnail of `sha256` is.
    pub fn thumbnail_path(&self, sha256: &str) -> PathBuf {
        let mut p = self.path(sha256).into_os_string();
        p.push(".thumb");
        PathBuf::from(p)
    }

    /// Streams `body` to disk within the limits, makes a thumbnail of images (removing
    /// their metadata), and records the file for `up.user`. Nothing is kept on failure.
    pub async fn save<S, E>(&self, store: &Store, up: Upload, body: S) -> Result<StoredFile, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let max = self.limits.max_file;
        if up.length.is_some_and(|n| n > max) {
            return Err(Error::TooLarge(max));
        }
        let (_, used) = store.files_of(up.user).await?;
        if used.saturating_add(up.length.unwrap_or(0)) > self.limits.quota {
            return Err(Error::Quota {
                quota: self.limits.quota,
                used,
            });
        }
        let tmp = Temp(self.root.join("tmp").join(random_id()));
        let size = self.receive(&tmp.0, body).await?;
        if size == 0 {
            return Err(Error::Empty);
        }
        let name = kind::clean_name(&up.name);
        let head = read_head(&tmp.0).await.map_err(|e| io(&tmp.0, e))?;
        let content_type = kind::detect(&name, &head);
        let mut thumb = None;
        if kind::is_decodable_image(&content_type) {
            let _permit = self.decode.acquire().await;
            let src = tmp.0.clone();
            let out = tokio::task::spawn_blocking(move || self::image::process(&src))
                .await
                .map_err(|e| Error::Body(e.to_string()))?;
            match out {
                Ok(p) => thumb = Some(p.thumbnail),
                Err(e) => tracing::debug!(error = %e, "upload: no thumbnail"),
            }
        }
        let (sha256, size) = hash(&tmp.0).await.map_err(|e| io(&tmp.0, e))?;
        let record = StoredFile {
            id: random_id(),
            user_id: up.user,
            sha256: sha256.clone(),
            name,
            content_type,
            size,
            thumbnail: thumb.is_some(),
            created_at: 0,
        };
        let _guard = self.lock.lock().await;
        let dest = self.path(&sha256);
        let dir = dest.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io(&dir, e))?;
        if let Some(t) = &thumb {
            let tpath = self.thumbnail_path(&sha256);
            let ttmp = Temp(self.root.join("tmp").join(random_id()));
            tokio::fs::write(&ttmp.0, t)
                .await
                .map_err(|e| io(&ttmp.0, e))?;
            tokio::fs::rename(&ttmp.0, &tpath)
                .await
                .map_err(|e| io(&tpath, e))?;
        }
        tokio::fs::rename(&tmp.0, &dest)
            .await
            .map_err(|e| io(&dest, e))?;
        let stored = match store
            .add_file(record, self.limits.quota, self.limits.max_count)
            .await
        {
            Ok(Added::Stored(f)) => Ok(f),
            Ok(Added::OverQuota { used }) => Err(Error::Quota {
                quota: self.limits.quota,
                used,
            }),
            Ok(Added::TooMany) => Err(Error::Count(self.limits.max_count)),
            Err(e) => Err(e.into()),
        };
        if stored.is_err() {
            self.remove_unreferenced(store, &sha256).await;
        }
        stored
    }

    /// Writes the chunks of `body` to `path`, at most `max_file` bytes, each chunk within
    /// [`STALL`]; returns the size.
    async fn receive<S, E>(&self, path: &Path, mut body: S) -> Result<u64, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut file = tokio::fs::File::create(path)
            .await
            .map_err(|e| io(path, e))?;
        let mut size = 0u64;
        loop {
            let chunk = match tokio::time::timeout(STALL, body.next()).await {
                Err(_) => return Err(Error::Stalled),
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    // The web layer's body limit ends the stream with an error too.
                    let msg = e.to_string();
                    if msg.contains("length limit") {
                        return Err(Error::TooLarge(self.limits.max_file));
                    }
                    return Err(Error::Body(msg));
                }
                Ok(Some(Ok(c))) => c,
            };
            size += chunk.len() as u64;
            if size > self.limits.max_file {
                return Err(Error::TooLarge(self.limits.max_file));
            }
            file.write_all(&chunk).await.map_err(|e| io(path, e))?;
        }
        file.flush().await.map_err(|e| io(path, e))?;
        file.sync_all().await.map_err(|e| io(path, e))?;
        Ok(size)
    }

    /// Deletes `user`'s file `id` (and its bytes when nothing else uses them).
    /// `false` when the user has no such file.
    pub async fn delete(&self, store: &Store, user: UserId, id: &str) -> Result<bool, Error> {
        let _guard = self.lock.lock().await;
        let Some((file, shared)) = store.delete_file(user, id).await? else {
            return Ok(false);
        };
        if !shared {
            self.remove_bytes(&file.sha256).await;
        }
        Ok(true)
    }

    /// Removes the bytes `sha256` unless a record uses them (call with the lock held).
    async fn remove_unreferenced(&self, store: &Store, sha256: &str) {
        match store.file_referenced(sha256).await {
            Ok(false) => self.remove_bytes(sha256).await,
            Ok(true) => {}
            Err(e) => tracing::warn!(error = %e, "upload: cannot check whether bytes are used"),
        }
    }

    async fn remove_bytes(&self, sha256: &str) {
        for p in [self.path(sha256), self.thumbnail_path(sha256)] {
            if let Err(e) = tokio::fs::remove_file(&p).await {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(error = %e, path = %p.display(), "upload: cannot remove");
                }
            }
        }
    }

    /// Removes bytes no record uses (left by deleted users) and stale temporary files
    /// older than an hour. Bounded: looks at most at `limit` files per run.
    pub async fn sweep(&self, store: &Store, limit: usize) -> usize {
        let root = self.root.clone();
        // Listing the directories is blocking work: off the async threads.
        let Ok((tmp, blobs)) = tokio::task::spawn_blocking(move || old_files(&root, limit)).await
        else {
            return 0;
        };
        let mut removed = 0;
        for p in tmp {
            if tokio::fs::remove_file(&p).await.is_ok() {
                removed += 1;
            }
        }
        for name in blobs {
            let _guard = self.lock.lock().await;
            if let Ok(false) = store.file_referenced(&name).await {
                self.remove_bytes(&name).await;
                removed += 1;
            }
        }
        removed
    }
}

/// Temporary files and stored bytes (by name) older than an hour, looking at most at
/// `limit` directory entries.
fn old_files(root: &Path, limit: usize) -> (Vec<PathBuf>, Vec<String>) {
    let hour = std::time::Duration::from_secs(3600);
    let old = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > hour)
    };
    let (mut tmp, mut blobs) = (Vec::new(), Vec::new());
    let mut seen = 0;
    let Ok(dirs) = std::fs::read_dir(root) else {
        return (tmp, blobs);
    };
    for dir in dirs.flatten() {
        let is_tmp = dir.file_name() == "tmp";
        let Ok(entries) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > limit {
                return (tmp, blobs);
            }
            let p = e.path();
            if !old(&p) {
                continue;
            }
            let name = e.file_name().to_string_lossy().to_string();
            if is_tmp {
                tmp.push(p);
            } else if !name.ends_with(".thumb") {
                blobs.push(name);
            }
        }
    }
    (tmp, blobs)
}

/// A temporary file removed when dropped (after a rename it is gone already).
struct Temp(PathBuf);

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// 128 random bits, base64url without padding (22 characters): public ids and temp names.
pub fn random_id() -> String {
    use base64::Engine as _;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `id` looks like one of ours (so odd paths never reach the store).
pub fn valid_id(id: &str) -> bool {
    id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut f = tokio::fs::File::open(path).await?;
    let mut buf = vec![0u8; 512];
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]).await? {
            0 => break,
            k => n += k,
        }
    }
    buf.truncate(n);
    Ok(buf)
}

/// SHA-256 (hex) and size of the file at `path`.
async fn hash(path: &Path) -> std::io::Result<(String, u64)> {
    use tokio::io::AsyncReadExt;
    let mut f = tokio::fs::File::open(path).await?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    let hex = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_128_bits_and_checked() {
        let a = random_id();
        assert_eq!(a.len(), 22);
        assert!(valid_id(&a));
        assert_ne!(a, random_id());
        for bad in ["", "../../etc/passwd", "aaaaaaaaaaaaaaaaaaaaa/", "a"] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn the_sweep_removes_old_unused_bytes_only() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(&dir.path().join("db"), Default::default()).expect("store");
        let files = Files::new(dir.path(), Limits::default()).expect("files");
        let user = store
            .create_user("a@example.com", crate::model::Secret::new("x"), false)
            .await
            .expect("user");
        let ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        let put = |name: &str, old: bool| {
            let p = files.path(name);
            std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
            let f = std::fs::File::create(&p).expect("create");
            if old {
                f.set_modified(ago).expect("mtime");
            }
            p
        };
        let (used, unused, fresh) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
        let used_p = put(&used, true);
        let unused_p = put(&unused, true);
        let fresh_p = put(&fresh, false);
        let stale = files.root.join("tmp").join("stale");
        std::fs::File::create(&stale)
            .and_then(|f| f.set_modified(ago))
            .expect("tmp");
        let rec = StoredFile {
            id: random_id(),
            user_id: user.id,
            sha256: used.clone(),
            name: "x".into(),
            content_type: "text/plain".into(),
            size: 0,
            thumbnail: false,
            created_at: 0,
        };
        assert!(matches!(
            store.add_file(rec, 10, 10).await.expect("add"),
            Added::Stored(_)
        ));
        assert_eq!(files.sweep(&store, 1000).await, 2);
        assert!(used_p.exists() && fresh_p.exists());
        assert!(!unused_p.exists() && !stale.exists());
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human(40 * 1024 * 1024), "40 MB");
        assert_eq!(human(1536 * 1024), "1.5 MB");
        assert_eq!(human(2048), "2 KB");
        assert_eq!(human(12), "12 bytes");
    }
}
