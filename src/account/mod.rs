//! Accounts without HTTP: e-mail normalisation, password rules and argon2id hashing,
//! random tokens and their hashes, one-use links, and server settings with their defaults.
//! Shared by the web layer and the `convos user` / `convos recover` commands.
//!
//! Must not: know axum, or log passwords, tokens or hashes.

pub mod command;
pub mod legacy;
pub mod settings;

pub use settings::Settings;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::model::{Secret, User};
use crate::store::{self, Store, TokenPurpose};

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Longest e-mail accepted, in bytes (RFC 5321 path limit); longer input is refused before
/// any other work.
pub const MAX_EMAIL_BYTES: usize = 254;

/// Password hashes waiting for the hashing thread, at most: each takes about 50 ms of a
/// core, so a burst beyond this is answered "busy" instead of queueing for minutes.
pub const MAX_QUEUED_HASHES: usize = 32;

/// How long an invite or a password-reset link stays valid.
pub const LINK_TTL_MS: i64 = 24 * 3600 * 1000;

/// What can go wrong; the messages are the ones the API shows.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Invalid email.")]
    InvalidEmail,
    #[error("Password too short.")]
    PasswordTooShort,
    #[error("Email is taken.")]
    EmailTaken,
    /// Too many passwords are waiting to be hashed: try again in a moment.
    #[error("Server busy, try again.")]
    Busy,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] store::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Trims and lowercases `raw`; fails unless it looks like `local@domain` without spaces.
pub fn normalize_email(raw: &str) -> Result<String> {
    let raw = raw.trim();
    if raw.len() > MAX_EMAIL_BYTES {
        return Err(Error::InvalidEmail);
    }
    let email = raw.to_lowercase();
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && email.len() <= 254
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if ok {
        Ok(email)
    } else {
        Err(Error::InvalidEmail)
    }
}

/// Fails with [`Error::PasswordTooShort`] under [`MIN_PASSWORD_CHARS`] characters.
pub fn check_password(password: &Secret) -> Result<()> {
    if password.expose().chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::PasswordTooShort);
    }
    Ok(())
}

/// Runs `job` on the one password-hashing thread and awaits its result; [`Error::Busy`]
/// when [`MAX_QUEUED_HASHES`] jobs are already waiting.
///
/// One thread, not the blocking pool: each argon2 hash takes 19 MiB, and glibc keeps such
/// blocks in a per-thread arena, so hashing on many pool threads left hundreds of MiB
/// resident after a few dozen logins. One thread also queues a burst of logins instead of
/// letting it take every core.
async fn on_hash_thread<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    type Job = Box<dyn FnOnce() + Send>;
    static QUEUED: AtomicUsize = AtomicUsize::new(0);
    static WORKER: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    let worker = WORKER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("argon2".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job();
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the password hashing thread");
        }
        std::sync::Mutex::new(tx)
    });
    let gone = || Error::Hash("the hashing thread is gone".into());
    if QUEUED.fetch_add(1, Ordering::SeqCst) >= MAX_QUEUED_HASHES {
        QUEUED.fetch_sub(1, Ordering::SeqCst);
        return Err(Error::Busy);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(job());
        QUEUED.fetch_sub(1, Ordering::SeqCst);
    });
    let sent = worker
        .lock()
        .map_err(|_| gone())
        .and_then(|w| w.send(job).map_err(|_| gone()));
    if let Err(e) = sent {
        QUEUED.fetch_sub(1, Ordering::SeqCst);
        return Err(e);
    }
    rx.await.map_err(|_| gone())
}

/// The argon2id PHC string of `password`, computed off the async threads.
pub async fn hash_password(password: Secret) -> Result<Secret> {
    on_hash_thread(move || hash_password_blocking(&password)).await?
}

fn hash_password_blocking(password: &Secret) -> Result<Secret> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| Secret::new(h.to_string()))
        .map_err(|e| Error::Hash(e.to_string()))
}

/// The outcome of a password check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Wrong password (or no such user).
    No,
    Yes,
    /// Right, against a hash from an imported account (bcrypt, or argon2 with other
    /// parameters): store this argon2id hash of the same password instead
    /// ([`upgrade_hash`]).
    Rehash(Secret),
}

impl Verified {
    /// Whether the password was right.
    pub fn ok(&self) -> bool {
        !matches!(self, Verified::No)
    }
}

/// Whether `password` matches the stored `hash`, computed off the async threads. Our
/// argon2id hashes, and the bcrypt and argon2 hashes of accounts imported from Convos or
/// The Lounge (see [`legacy`]), are accepted; for the latter the answer carries our hash
/// of the password to store. With no hash (unknown user) a dummy hash is checked, so that
/// both cases take about as long. Fails only with [`Error::Busy`] or when the hashing
/// thread is gone.
pub async fn verify_password(hash: Option<Secret>, password: Secret) -> Result<Verified> {
    on_hash_thread(move || {
        let Some(hash) = hash else {
            let dummy = dummy_hash();
            if let Ok(parsed) = PasswordHash::new(dummy.expose()) {
                let _ = Argon2::default().verify_password(password.expose().as_bytes(), &parsed);
            }
            return Verified::No;
        };
        if !legacy::verify(hash.expose(), password.expose()) {
            return Verified::No;
        }
        if !legacy::needs_rehash(hash.expose()) {
            return Verified::Yes;
        }
        match hash_password_blocking(&password) {
            Ok(new) => Verified::Rehash(new),
            // The login still succeeds; the old hash is replaced next time.
            Err(_) => Verified::Yes,
        }
    })
    .await
}

/// After a [`Verified::Rehash`] login: replaces `old` (the hash just checked) with `new`,
/// unless the password was changed meanwhile. Failures are logged, never fatal.
pub async fn upgrade_hash(store: &Store, user: &User, new: Secret) {
    match store
        .upgrade_password_hash(user.id, user.password_hash.clone(), new)
        .await
    {
        Ok(true) => tracing::info!(user = %user.id, "password hash upgraded to argon2id"),
        Ok(false) => {}
        Err(e) => tracing::warn!(user = %user.id, error = %e, "cannot upgrade the password hash"),
    }
}

/// A hash of a random password, made once, with the same parameters as real ones.
fn dummy_hash() -> &'static Secret {
    static DUMMY: std::sync::OnceLock<Secret> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut pw = [0u8; 16];
        rand::rng().fill_bytes(&mut pw);
        let pw = Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pw));
        hash_password_blocking(&pw).unwrap_or_default()
    })
}

/// 32 random bytes, base64url without padding: session cookies and link tokens.
pub fn new_token() -> Secret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 hex of a session token: what the store keeps.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// The stored hash of a link token for `email`. Binding the e-mail into the hash means a
/// token presented with another e-mail is simply not found, and is not used up.
pub fn link_token_hash(email: &str, token: &str) -> String {
    let mut h = Sha256::new();
    h.update(email.as_bytes());
    h.update([0]);
    h.update(token.as_bytes());
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A one-use link: its token and when it expires (unix ms).
#[derive(Debug)]
pub struct Link {
    pub token: Secret,
    pub expires_at: i64,
}

/// Stores a new one-use token for `email` (already normalised), valid [`LINK_TTL_MS`].
pub async fn create_link(store: &Store, purpose: TokenPurpose, email: &str) -> Result<Link> {
    let token = new_token();
    let expires_at = crate::time::now_ms() + LINK_TTL_MS;
    store
        .create_token(
            purpose,
            &link_token_hash(email, token.expose()),
            email,
            expires_at,
        )
        .await?;
    Ok(Link { token, expires_at })
}

/// Uses up the token for `email`: `true` when it existed, had this purpose and was valid.
pub async fn consume_link(
    store: &Store,
    purpose: TokenPurpose,
    email: &str,
    token: &str,
) -> Result<bool> {
    let found = store
        .consume_token(purpose, &link_token_hash(email, token))
        .await?;
    Ok(found.as_deref() == Some(email))
}

/// `base` + `/register?email=..&token=..` (+ `&reset=1` for a password reset).
pub fn link_url(base: &url::Url, email: &str, token: &Secret, reset: bool) -> String {
    let mut url = base.clone();
    let path = format!("{}/register", base.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_fragment(None);
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        q.append_pair("email", email);
        q.append_pair("token", token.expose());
        if reset {
            q.append_pair("reset", "1");
        }
    }
    url.to_string()
}

/// Creates a user with an already validated e-mail and password.
pub async fn create_user(
    store: &Store,
    email: &str,
    password: Secret,
    admin: bool,
) -> Result<User> {
    check_password(&password)?;
    let hash = hash_password(password).await?;
    store
        .create_user(email, hash, admin)
        .await
        .map_err(|e| match e {
            store::Error::Conflict(_) => Error::EmailTaken,
            e => Error::Store(e),
        })
}

/// Sets a new password, ends every session of the user but `keep` (the SHA-256 hex of
/// the session making the change) and invalidates its password-reset links.
pub async fn set_password(
    store: &Store,
    user: &User,
    password: Secret,
    keep: Option<&str>,
) -> Result<()> {
    check_password(&password)?;
    let hash = hash_password(password).await?;
    store
        .change_password(user.id, hash, keep.map(str::to_owned))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for (raw, want) in [
            ("  Bob@Example.COM ", Some("bob@example.com")),
            ("a@b", Some("a@b")),
            ("", None),
            ("nobody", None),
            ("@example.com", None),
            ("bob@", None),
            ("b ob@example.com", None),
            ("a@b@c", None),
            ("a@b\u{0}", None),
            (
                &format!("a@{}", "b".repeat(252)),
                Some(&*format!("a@{}", "b".repeat(252))),
            ),
            (&format!("a@{}", "b".repeat(253)), None),
        ] {
            assert_eq!(normalize_email(raw).ok().as_deref(), want, "{raw:?}");
        }
    }

    #[test]
    fn password_length_counts_characters() {
        assert!(check_password(&Secret::new("123456789")).is_err());
        assert!(check_password(&Secret::new("1234567890")).is_ok());
        assert!(check_password(&Secret::new("ééééééééé")).is_err());
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let hash = hash_password(Secret::new("correct horse"))
            .await
            .expect("hash");
        assert!(hash.expose().starts_with("$argon2id$"));
        let verify =
            |h, p| async move { verify_password(h, Secret::new(p)).await.expect("ran").ok() };
        assert!(verify(Some(hash.clone()), "correct horse").await);
        assert!(!verify(Some(hash), "wrong horse!").await);
        assert!(!verify(None, "correct horse").await);
        assert!(!verify(Some(Secret::new("garbage")), "x").await);
    }

    #[test]
    fn tokens_and_hashes() {
        let a = new_token();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a.expose(), new_token().expose());
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(link_token_hash("a@b", "t"), link_token_hash("a@c", "t"));
    }

    #[test]
    fn link_urls() {
        let t = Secret::new("tok");
        let base = url::Url::parse("https://chat.example.com/convos/").expect("url");
        assert_eq!(
            link_url(&base, "a+b@example.com", &t, true),
            "https://chat.example.com/convos/register?email=a%2Bb%40example.com&token=tok&reset=1"
        );
        let base = url::Url::parse("http://localhost:8080").expect("url");
        assert_eq!(
            link_url(&base, "a@b", &t, false),
            "http://localhost:8080/register?email=a%40b&token=tok"
        );
    }
}
