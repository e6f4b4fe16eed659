//! VAPID (RFC 8292): the server's P-256 key pair, generated once and kept in the store's
//! settings (or given by `CONVOS_VAPID_PUBLIC_KEY`/`CONVOS_VAPID_PRIVATE_KEY` so several
//! instances share it), and the `Authorization: vapid t=JWT, k=KEY` header of each push.
//! Signing is jwt-simple's ES256 (pure Rust).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use web_push_native::jwt_simple::prelude::{
    Claims, Duration as JwtDuration, ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ES256KeyPair,
};

use crate::store::Store;

/// The store setting holding the generated key.
const SETTING: &str = "vapid";

/// How long a signed token is good for (RFC 8292 allows at most 24 h).
const TOKEN_HOURS: u64 = 12;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("VAPID key: {0}")]
    Key(String),
    #[error("VAPID: the public key does not belong to the private key")]
    Mismatch,
    #[error("VAPID: {0}")]
    Store(#[from] crate::store::Error),
    #[error("VAPID: cannot sign: {0}")]
    Sign(String),
}

/// The server's VAPID key pair.
pub struct Vapid {
    key: ES256KeyPair,
    /// The public key as browsers want it (`applicationServerKey`): base64url of the
    /// uncompressed point.
    public: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Vapid {
    /// A new random key pair.
    pub fn generate() -> Vapid {
        Vapid::from_key(ES256KeyPair::generate())
    }

    /// The pair of a private key given as base64url of its 32-byte scalar.
    pub fn from_private(b64: &str) -> Result<Vapid, Error> {
        let raw = URL_SAFE_NO_PAD
            .decode(b64.trim().trim_end_matches('='))
            .map_err(|e| Error::Key(e.to_string()))?;
        let key = ES256KeyPair::from_bytes(&raw).map_err(|e| Error::Key(e.to_string()))?;
        Ok(Vapid::from_key(key))
    }

    fn from_key(key: ES256KeyPair) -> Vapid {
        let public = URL_SAFE_NO_PAD.encode(key.public_key().public_key().to_bytes_uncompressed());
        Vapid { key, public }
    }

    /// The public key, base64url (what `pushManager.subscribe` takes).
    pub fn public_key(&self) -> &str {
        &self.public
    }

    fn private_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.to_bytes())
    }

    /// The `Authorization` header for a push to `endpoint`: a token for the endpoint's
    /// origin (`aud`, with its port when not the default), signed for `contact`
    /// (`mailto:` or `https:`, the `sub` claim).
    pub fn authorization(&self, endpoint: &url::Url, contact: &str) -> Result<String, Error> {
        let aud = endpoint.origin().ascii_serialization();
        let claims = Claims::create(JwtDuration::from_hours(TOKEN_HOURS))
            .with_audience(aud)
            .with_subject(contact);
        let token = self
            .key
            .sign(claims)
            .map_err(|e| Error::Sign(e.to_string()))?;
        Ok(format!("vapid t={token}, k={}", self.public))
    }

    /// The key from `CONVOS_VAPID_PRIVATE_KEY` (checked against `..._PUBLIC_KEY` when given),
    /// else the one in the store, else a new one, stored for next time.
    pub async fn load(
        store: &Store,
        public: Option<&str>,
        private: Option<&str>,
    ) -> Result<Vapid, Error> {
        let given = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        if let Some(private) = given(private) {
            let vapid = Vapid::from_private(&private)?;
            if given(public).is_some_and(|p| p.trim_end_matches('=') != vapid.public) {
                return Err(Error::Mismatch);
            }
            return Ok(vapid);
        }
        if given(public).is_some() {
            return Err(Error::Key(
                "CONVOS_VAPID_PUBLIC_KEY needs CONVOS_VAPID_PRIVATE_KEY".into(),
            ));
        }
        if let Some(stored) = store.setting(SETTING).await? {
            if let Some(private) = stored.get("private_key").and_then(|v| v.as_str()) {
                return Vapid::from_private(private);
            }
        }
        let vapid = Vapid::generate();
        store
            .set_setting(
                SETTING,
                serde_json::json!({"public_key": vapid.public, "private_key": vapid.private_b64()}),
            )
            .await?;
        tracing::info!(public_key = %vapid.public, "generated the VAPID key for Web Push");
        Ok(vapid)
    }
}
