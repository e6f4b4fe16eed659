//! Previews kept on disk (`CONVOS_HOME/previews`), so that a restart does not fetch again
//! what was fetched within the hour: one JSON file per URL, named by the SHA-256 of the
//! URL, written to a temporary file and renamed into place. Bounded: expired files and,
//! past [`MAX_FILES`], the oldest are removed every [`PRUNE_EVERY`] writes. Anything
//! unreadable is a miss, never an error.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use super::Preview;

/// Files kept at most.
pub const MAX_FILES: usize = 20_000;
/// A prune runs after this many writes.
const PRUNE_EVERY: usize = 64;
/// A stored preview's file, at most (a preview is a few hundred bytes).
const MAX_FILE: u64 = 16 * 1024;

/// The directory and how long what is in it is good for.
#[derive(Debug)]
pub struct Disk {
    dir: PathBuf,
    ttl: Duration,
    writes: AtomicUsize,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    url: String,
    kind: String,
    title: Option<String>,
    description: Option<String>,
    site_name: Option<String>,
    image: Option<String>,
    #[serde(default)]
    video: Option<String>,
}

impl Disk {
    /// Uses (and makes, readable by the daemon's user only) `dir`.
    pub fn open(dir: &Path, ttl: Duration) -> std::io::Result<Disk> {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(Disk {
            dir: dir.to_owned(),
            ttl,
            writes: AtomicUsize::new(0),
        })
    }

    fn file(&self, url: &str) -> PathBuf {
        let hash = Sha256::digest(url.as_bytes());
        let name: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.json"))
    }

    /// The stored preview of `url`, when there is one younger than the ttl.
    pub async fn get(&self, url: &str) -> Option<Preview> {
        let path = self.file(url);
        let meta = tokio::fs::metadata(&path).await.ok()?;
        let age = meta.modified().ok()?.elapsed().unwrap_or(Duration::MAX);
        if age >= self.ttl || meta.len() > MAX_FILE {
            return None;
        }
        let bytes = tokio::fs::read(&path).await.ok()?;
        let s: Stored = serde_json::from_slice(&bytes).ok()?;
        if s.url != url {
            return None;
        }
        Some(Preview {
            url: s.url,
            kind: match s.kind.as_str() {
                "image" => "image",
                "video" => "video",
                _ => "page",
            },
            title: s.title,
            description: s.description,
            site_name: s.site_name,
            image: s.image.and_then(|u| Url::parse(&u).ok()),
            video: s.video.and_then(|u| Url::parse(&u).ok()),
        })
    }

    /// Keeps `p` (the preview of `url`); failures are only logged.
    pub async fn put(&self, url: &str, p: &Preview) {
        let stored = Stored {
            url: url.to_string(),
            kind: p.kind.to_string(),
            title: p.title.clone(),
            description: p.description.clone(),
            site_name: p.site_name.clone(),
            image: p.image.as_ref().map(Url::to_string),
            video: p.video.as_ref().map(Url::to_string),
        };
        let Ok(json) = serde_json::to_vec(&stored) else {
            return;
        };
        let path = self.file(url);
        let tmp = path.with_extension(format!("tmp{}", rand::random::<u32>()));
        let written = async {
            tokio::fs::write(&tmp, &json).await?;
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&tmp).await;
            tracing::debug!(error = %e, "preview: cannot keep on disk");
        }
        if self.writes.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            let (dir, ttl) = (self.dir.clone(), self.ttl);
            tokio::task::spawn_blocking(move || prune(&dir, ttl, MAX_FILES));
        }
    }
}

/// Removes files older than `ttl`, stray temporary files, and the oldest beyond `max`.
fn prune(dir: &Path, ttl: Duration, max: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    let mut kept: Vec<(SystemTime, PathBuf)> = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        let modified = e
            .metadata()
            .and_then(|m| m.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let old = now.duration_since(modified).unwrap_or_default() >= ttl;
        let json = path.extension().is_some_and(|x| x == "json");
        if old || !json {
            let _ = std::fs::remove_file(&path);
        } else {
            kept.push((modified, path));
        }
    }
    if kept.len() > max {
        kept.sort();
        for (_, path) in &kept[..kept.len() - max] {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preview(url: &str) -> Preview {
        Preview {
            url: url.into(),
            kind: "page",
            title: Some("A <b>page</b>".into()),
            description: None,
            site_name: Some("Site".into()),
            image: Url::parse("https://example.org/i.png").ok(),
            video: None,
        }
    }

    #[tokio::test]
    async fn kept_read_back_and_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let disk =
            Disk::open(&dir.path().join("previews"), Duration::from_secs(3600)).expect("open");
        let url = "https://example.org/a";
        assert!(disk.get(url).await.is_none());
        disk.put(url, &preview(url)).await;
        assert_eq!(disk.get(url).await, Some(preview(url)));
        assert!(disk.get("https://example.org/b").await.is_none());

        // garbage or another URL's content under the name: a miss
        std::fs::write(disk.file(url), b"not json").expect("write");
        assert!(disk.get(url).await.is_none());
        let other = serde_json::to_vec(&Stored {
            url: "https://evil.example/".into(),
            kind: "page".into(),
            title: None,
            description: None,
            site_name: None,
            image: None,
            video: None,
        })
        .expect("json");
        std::fs::write(disk.file(url), other).expect("write");
        assert!(disk.get(url).await.is_none());

        // expired: a miss; prune keeps at most `max`, the newest
        let short = Disk::open(&dir.path().join("short"), Duration::ZERO).expect("open");
        short.put(url, &preview(url)).await;
        assert!(short.get(url).await.is_none());
        for i in 0..5 {
            let u = format!("https://example.org/{i}");
            disk.put(&u, &preview(&u)).await;
        }
        std::fs::write(dir.path().join("previews/x.tmp1"), b"stray").expect("write");
        prune(&dir.path().join("previews"), Duration::from_secs(3600), 3);
        let left = std::fs::read_dir(dir.path().join("previews"))
            .expect("dir")
            .count();
        assert_eq!(left, 3);
    }
}
