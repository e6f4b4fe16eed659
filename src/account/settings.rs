//! Server settings the admin edits (organisation, default connection, open registration),
//! kept as one JSON object under the store setting `server`, with defaults for what was
//! never set.

use serde::{Deserialize, Serialize};

use crate::store::{self, Store};

const KEY: &str = "server";

/// The connection a new user is offered.
pub const DEFAULT_CONNECTION: &str = "irc://irc.libera.chat:6697/%23convos";

/// Server settings, as `GET /api/settings` shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Settings {
    pub organization_name: String,
    pub organization_url: String,
    pub contact: String,
    pub default_connection: String,
    /// Users may only use `default_connection`.
    pub forced_connection: bool,
    /// Anyone may register.
    pub open_to_public: bool,
}

/// What is stored: only what the admin set.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    organization_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    organization_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_connection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    forced_connection: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    open_to_public: Option<bool>,
}

/// A partial update, as `POST /api/settings` takes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Update {
    pub organization_name: Option<String>,
    pub organization_url: Option<String>,
    pub contact: Option<String>,
    pub default_connection: Option<String>,
    pub forced_connection: Option<bool>,
    pub open_to_public: Option<bool>,
    /// Read-only (`GET /api/settings` shows it): accepted and ignored, so that a client
    /// may send back what it got.
    #[serde(default)]
    pub pending_import: Option<serde::de::IgnoredAny>,
}

/// A setting that cannot be saved: `(field, message)`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: &'static str,
}

impl Settings {
    /// The current settings; `open_to_public` defaults to `open_default`
    /// (`CONVOS_OPEN_TO_PUBLIC`) until the admin sets it. A stored value that no longer
    /// parses counts as unset.
    pub async fn load(store: &Store, open_default: bool) -> store::Result<Settings> {
        Ok(Settings::from_stored(
            load_stored(store).await?,
            open_default,
        ))
    }

    /// The settings when nothing was ever set.
    pub fn load_defaults(open_default: bool) -> Settings {
        Settings::from_stored(Stored::default(), open_default)
    }

    fn from_stored(stored: Stored, open_default: bool) -> Settings {
        Settings {
            organization_name: stored.organization_name.unwrap_or_else(|| "Convos".into()),
            organization_url: stored
                .organization_url
                .unwrap_or_else(|| "https://convos.chat".into()),
            contact: stored
                .contact
                .unwrap_or_else(|| "mailto:root@localhost".into()),
            default_connection: stored
                .default_connection
                .unwrap_or_else(|| DEFAULT_CONNECTION.into()),
            forced_connection: stored.forced_connection.unwrap_or(false),
            open_to_public: stored.open_to_public.unwrap_or(open_default),
        }
    }

    /// Checks and stores the fields given in `update`; nothing is stored when one is invalid.
    pub async fn update(store: &Store, update: Update) -> Result<(), UpdateError> {
        validate(&update)?;
        let mut stored = load_stored(store).await?;
        let trim = |s: String| s.trim().to_owned();
        if let Some(v) = update.organization_name {
            stored.organization_name = Some(trim(v));
        }
        if let Some(v) = update.organization_url {
            stored.organization_url = Some(trim(v));
        }
        if let Some(v) = update.contact {
            stored.contact = Some(trim(v));
        }
        if let Some(v) = update.default_connection {
            stored.default_connection = Some(trim(v));
        }
        if let Some(v) = update.forced_connection {
            stored.forced_connection = Some(v);
        }
        if let Some(v) = update.open_to_public {
            stored.open_to_public = Some(v);
        }
        let value =
            serde_json::to_value(&stored).map_err(|e| store::Error::Invalid(e.to_string()))?;
        store.set_setting(KEY, value).await?;
        Ok(())
    }
}

/// What [`Settings::import`] did: the fields taken over, and those refused with why.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub taken: Vec<&'static str>,
    pub refused: Vec<Invalid>,
}

impl Settings {
    /// Takes over the settings of an imported server: each field of `update` that is valid
    /// and not set here yet (what the admin chose wins). Without a store (a dry run) nothing
    /// is read or written and every valid field counts as taken.
    pub async fn import(store: Option<&Store>, update: Update) -> store::Result<Imported> {
        let mut stored = match store {
            Some(store) => load_stored(store).await?,
            None => Stored::default(),
        };
        let mut out = Imported::default();
        let mut take = |field: &'static str, ok: Result<(), Invalid>, unset: bool| match ok {
            Ok(()) if unset => {
                out.taken.push(field);
                true
            }
            Ok(()) => false,
            Err(e) => {
                out.refused.push(e);
                false
            }
        };
        let one = |u: Update| validate(&u);
        if let Some(v) = update.organization_name {
            let ok = one(Update {
                organization_name: Some(v.clone()),
                ..Update::default()
            });
            if take("organization_name", ok, stored.organization_name.is_none()) {
                stored.organization_name = Some(v.trim().to_owned());
            }
        }
        if let Some(v) = update.organization_url {
            let ok = one(Update {
                organization_url: Some(v.clone()),
                ..Update::default()
            });
            if take("organization_url", ok, stored.organization_url.is_none()) {
                stored.organization_url = Some(v.trim().to_owned());
            }
        }
        if let Some(v) = update.contact {
            let ok = one(Update {
                contact: Some(v.clone()),
                ..Update::default()
            });
            if take("contact", ok, stored.contact.is_none()) {
                stored.contact = Some(v.trim().to_owned());
            }
        }
        if let Some(v) = update.default_connection {
            let ok = one(Update {
                default_connection: Some(v.clone()),
                ..Update::default()
            });
            if take(
                "default_connection",
                ok,
                stored.default_connection.is_none(),
            ) {
                stored.default_connection = Some(v.trim().to_owned());
            }
        }
        if let Some(v) = update.forced_connection {
            if take(
                "forced_connection",
                Ok(()),
                stored.forced_connection.is_none(),
            ) {
                stored.forced_connection = Some(v);
            }
        }
        if let Some(v) = update.open_to_public {
            if take("open_to_public", Ok(()), stored.open_to_public.is_none()) {
                stored.open_to_public = Some(v);
            }
        }
        if let (Some(store), false) = (store, out.taken.is_empty()) {
            let value =
                serde_json::to_value(&stored).map_err(|e| store::Error::Invalid(e.to_string()))?;
            store.set_setting(KEY, value).await?;
        }
        Ok(out)
    }
}

/// Why [`Settings::update`] failed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Store(#[from] store::Error),
}

async fn load_stored(store: &Store) -> store::Result<Stored> {
    Ok(store
        .setting(KEY)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

fn validate(u: &Update) -> Result<(), Invalid> {
    let bad = |field, message| Err(Invalid { field, message });
    if let Some(name) = &u.organization_name {
        if name.trim().is_empty() || name.len() > 200 {
            return bad("organization_name", "Must be 1 to 200 characters.");
        }
    }
    if let Some(v) = &u.organization_url {
        let v = v.trim();
        if !v.is_empty() && !url_with_scheme(v, &["http", "https"]) {
            return bad("organization_url", "Must be an http or https URL.");
        }
    }
    if let Some(v) = &u.contact {
        if v.len() > 500 {
            return bad("contact", "Too long.");
        }
    }
    if let Some(v) = &u.default_connection {
        if !url_with_scheme(v.trim(), &["irc", "ircs"]) {
            return bad("default_connection", "Must be an irc:// URL.");
        }
    }
    Ok(())
}

fn url_with_scheme(s: &str, schemes: &[&str]) -> bool {
    url::Url::parse(s)
        .map(|u| schemes.contains(&u.scheme()) && u.host_str().is_some_and(|h| !h.is_empty()))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn imports_take_only_what_is_valid_and_unset() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path(), store::Options::default()).expect("store");
        Settings::update(
            &store,
            Update {
                contact: Some("mailto:me@here".into()),
                ..Update::default()
            },
        )
        .await
        .expect("update");
        let old = || Update {
            organization_name: Some("Old".into()),
            organization_url: Some("javascript:alert(1)".into()),
            contact: Some("mailto:old@there".into()),
            open_to_public: Some(true),
            ..Update::default()
        };
        let dry = Settings::import(None, old()).await.expect("dry");
        assert_eq!(
            dry.taken,
            ["organization_name", "contact", "open_to_public"]
        );
        let got = Settings::import(Some(&store), old()).await.expect("import");
        assert_eq!(got.taken, ["organization_name", "open_to_public"]);
        assert_eq!(
            got.refused.iter().map(|r| r.field).collect::<Vec<_>>(),
            ["organization_url"]
        );
        let s = Settings::load(&store, false).await.expect("load");
        assert_eq!(
            (s.organization_name.as_str(), s.contact.as_str()),
            ("Old", "mailto:me@here")
        );
        assert!(s.open_to_public);
    }

    #[test]
    fn validation() {
        let ok = Update {
            organization_url: Some("https://example.com".into()),
            default_connection: Some("ircs://irc.example.com:6697/%23chat".into()),
            ..Update::default()
        };
        assert!(validate(&ok).is_ok());
        for (u, field) in [
            (
                Update {
                    organization_url: Some("javascript:alert(1)".into()),
                    ..Update::default()
                },
                "organization_url",
            ),
            (
                Update {
                    default_connection: Some("http://example.com".into()),
                    ..Update::default()
                },
                "default_connection",
            ),
            (
                Update {
                    organization_name: Some("  ".into()),
                    ..Update::default()
                },
                "organization_name",
            ),
        ] {
            assert_eq!(validate(&u).map_err(|e| e.field).err(), Some(field));
        }
    }
}
