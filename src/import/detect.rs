//! Noticing an old Convos home that has not been imported: `CONVOS_HOME` is where Convos
//! 4.x–8.x kept its files too (`~/.local/share/convos`), and older ones used `~/.convos`.
//! The daemon logs one line at start and the admin's settings show it
//! (`pending_import`), until `convos import` has run on that directory (recorded in the
//! store setting `imports`) or every user of it has an account here.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::Product;
use crate::store::{self, Store};
use crate::wire::PendingImport;

/// Entries of a directory looked at, at most, when checking for a Convos layout.
const MAX_ENTRIES: usize = 10_000;
/// Users of an old home looked up, at most, to tell whether they are all here.
const MAX_CHECKED: usize = 100;
/// The store setting listing imported directories.
const KEY: &str = "imports";

/// The user directories (`<x>@<y>/user.json`, their names) `dir` holds; `None` when it
/// does not look like a Convos home at all (no users and no `settings.json`).
pub fn convos_layout(dir: &Path) -> Option<Vec<String>> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut users = Vec::new();
    for entry in entries.take(MAX_ENTRIES).flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some(at) = name.find('@') else { continue };
        if at > 0 && at + 1 < name.len() && entry.path().join("user.json").is_file() {
            users.push(name.into_owned());
        }
    }
    (!users.is_empty() || dir.join("settings.json").is_file()).then_some(users)
}

/// Whether every user of an old home has an account here already (it was imported from a
/// copy elsewhere, or its users registered again): then nothing is pending. Looks at the
/// first [`MAX_CHECKED`] users.
async fn all_here(store: &Store, users: &[String]) -> bool {
    if users.is_empty() {
        return false;
    }
    for name in users.iter().take(MAX_CHECKED) {
        let Ok(email) = crate::account::normalize_email(name) else {
            continue;
        };
        if !matches!(store.user_by_email(&email).await, Ok(Some(_))) {
            return false;
        }
    }
    true
}

/// The directories already imported, canonical.
async fn imported(store: &Store) -> store::Result<Vec<(String, String)>> {
    let list = store.setting(KEY).await?.unwrap_or(Value::Null);
    Ok(list
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| {
                    Some((
                        v.get("source")?.as_str()?.to_owned(),
                        v.get("path")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Records that `path` has been imported from `source` (once per directory).
pub async fn record(store: &Store, source: Product, path: &Path) -> store::Result<()> {
    let path = path.to_string_lossy().into_owned();
    let mut list = match store.setting(KEY).await? {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    list.retain(|v| {
        v.get("source").and_then(Value::as_str) != Some(source.name())
            || v.get("path").and_then(Value::as_str) != Some(path.as_str())
    });
    list.push(json!({"source": source.name(), "path": path, "at": crate::time::format_ms(crate::time::now_ms())}));
    store.set_setting(KEY, Value::Array(list)).await
}

/// The old Convos home in `home` (or `~/.convos`) not imported yet, if any.
pub async fn pending(store: &Store, home: &Path) -> Option<PendingImport> {
    let mut dirs: Vec<PathBuf> = vec![home.to_owned()];
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        dirs.push(PathBuf::from(h).join(".convos"));
    }
    let done = imported(store).await.unwrap_or_default();
    for dir in dirs {
        let Some(users) = convos_layout(&dir) else {
            continue;
        };
        if all_here(store, &users).await {
            continue;
        }
        let Ok(canonical) = dir.canonicalize() else {
            continue;
        };
        let path = canonical.to_string_lossy().into_owned();
        if done
            .iter()
            .any(|(s, p)| s == Product::Convos.name() && *p == path)
        {
            continue;
        }
        let same_home = home.canonicalize().is_ok_and(|h| h == canonical);
        let command = if same_home {
            format!("convos import convos {path}")
        } else {
            format!("convos import convos {path} --home {}", home.display())
        };
        return Some(PendingImport {
            source: Product::Convos.name().into(),
            path,
            users: u32::try_from(users.len()).unwrap_or(u32::MAX),
            command,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_convos_home_is_pending_until_recorded() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path(), store::Options::default()).expect("store");
        assert_eq!(
            convos_layout(dir.path()),
            None,
            "our own files are no Convos home"
        );
        let user = dir.path().join("alice@example.com");
        std::fs::create_dir(&user).expect("mkdir");
        std::fs::write(user.join("user.json"), "{}").expect("write");
        assert_eq!(
            convos_layout(dir.path()),
            Some(vec!["alice@example.com".into()])
        );
        let p = pending(&store, dir.path()).await.expect("pending");
        assert_eq!(p.users, 1);
        assert!(
            p.command.starts_with("convos import convos /"),
            "{}",
            p.command
        );
        let root = dir.path().canonicalize().expect("canonical");
        record(&store, Product::Convos, &root)
            .await
            .expect("record");
        record(&store, Product::Convos, &root)
            .await
            .expect("record twice");
        assert_eq!(imported(&store).await.expect("list").len(), 1);
        assert_eq!(pending(&store, dir.path()).await, None);
    }

    #[tokio::test]
    async fn nothing_is_pending_when_every_old_user_is_here() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path(), store::Options::default()).expect("store");
        for name in ["bob@example.com", "Carol@Example.com"] {
            let user = dir.path().join(name);
            std::fs::create_dir(&user).expect("mkdir");
            std::fs::write(user.join("user.json"), "{}").expect("write");
        }
        let hash = crate::model::Secret::new("!");
        store
            .create_user("bob@example.com", hash.clone(), true)
            .await
            .expect("bob");
        assert!(
            pending(&store, dir.path()).await.is_some(),
            "carol is missing"
        );
        store
            .create_user("carol@example.com", hash, false)
            .await
            .expect("carol");
        assert_eq!(pending(&store, dir.path()).await, None);
    }
}
