//! OpenID Connect sign-in with the `openidconnect` crate: discovery, authorization code
//! with PKCE (S256), a nonce in the ID token, RP-initiated logout when the provider
//! advertises an `end_session_endpoint`.
//!
//! Owns the providers (their configuration and discovered metadata, cached for an hour)
//! and the flows in progress: each `begin` keeps state, nonce and PKCE verifier in memory,
//! bound to the browser by the hash of a random cookie value the web layer sets, for
//! [`FLOW_TTL`], at most [`MAX_FLOWS`] at once; `finish` takes it out (a replayed callback
//! finds nothing). Every request to a provider goes through the guarded HTTP client
//! (`crate::net::http`), so its addresses pass the outbound policy.
//!
//! Knows no users or sessions: it answers "this provider vouches for this verified
//! e-mail"; the web layer (`web::oidc`) decides what that means. Must not: log tokens,
//! codes or verifiers.

pub mod config;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    AsyncHttpClient, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
    HttpResponse, IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
    TokenResponse,
};

use crate::model::Secret;
use crate::net::http::{Client, Fetch};

pub use config::Provider;

/// How long a started sign-in may take at the provider.
pub const FLOW_TTL: Duration = Duration::from_secs(10 * 60);
/// Sign-ins in progress at most (all browsers together).
pub const MAX_FLOWS: usize = 1000;
/// How long discovered metadata (and the provider's keys) are used before asking again.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// ID tokens longer than this are not kept for the logout hint.
pub const MAX_ID_TOKEN: usize = 8 * 1024;

/// Why a sign-in failed. [`Error::code`] is what the browser is told.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no such provider")]
    UnknownProvider,
    #[error("cannot use the provider: {0}")]
    Provider(String),
    #[error("unknown, expired or already used sign-in state")]
    State,
    #[error("too many sign-ins in progress")]
    Busy,
    #[error("the provider refused: {0}")]
    Denied(String),
    #[error("the answer names another issuer")]
    Issuer,
    #[error("the ID token is not valid: {0}")]
    Token(String),
    #[error("the provider gave no verified e-mail address")]
    Email,
}

impl Error {
    /// A short code for the login page, which explains it.
    pub fn code(&self) -> &'static str {
        match self {
            Error::UnknownProvider => "provider",
            Error::Provider(_) => "unavailable",
            Error::State => "state",
            Error::Busy => "busy",
            Error::Denied(_) => "denied",
            Error::Issuer => "issuer",
            Error::Token(_) => "token",
            Error::Email => "email",
        }
    }
}

/// Who the provider vouched for.
#[derive(Debug, Clone)]
pub struct Identity {
    pub provider: String,
    /// Verified by the provider, as it sent it (the caller normalizes).
    pub email: String,
    pub subject: String,
    /// The raw ID token, for the logout hint (`None` when longer than [`MAX_ID_TOKEN`]).
    pub id_token: Option<Secret>,
    /// What the browser brought to [`Oidc::begin`] (an invite token).
    pub invite: Option<Secret>,
}

/// A sign-in in progress.
struct Flow {
    provider: usize,
    binding: String,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
    redirect: RedirectUrl,
    invite: Option<Secret>,
    started: Instant,
}

struct Entry {
    config: Provider,
    metadata: tokio::sync::Mutex<Option<(Instant, Arc<ProviderMetadataWithLogout>)>>,
}

/// The providers and the sign-ins in progress; one per daemon.
pub struct Oidc {
    providers: Vec<Entry>,
    flows: Mutex<HashMap<String, Flow>>,
    http: Http,
    only: bool,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.providers.iter().map(|p| &p.config.name).collect();
        f.debug_struct("Oidc")
            .field("providers", &names)
            .field("only", &self.only)
            .finish()
    }
}

impl Oidc {
    /// `client` reaches the providers (its policy decides which addresses); `only`: no
    /// password sign-in.
    pub fn new(providers: Vec<Provider>, client: Client, only: bool) -> Oidc {
        Oidc {
            providers: providers
                .into_iter()
                .map(|config| Entry {
                    config,
                    metadata: tokio::sync::Mutex::new(None),
                })
                .collect(),
            flows: Mutex::new(HashMap::new()),
            http: Http {
                client,
                fetch: Fetch {
                    timeout: Duration::from_secs(10),
                    max_body: 256 * 1024,
                    max_redirects: 0,
                    ..Fetch::default()
                },
            },
            only,
        }
    }

    /// Whether password sign-in is off.
    pub fn only(&self) -> bool {
        self.only
    }

    /// The providers, in configuration order.
    pub fn providers(&self) -> impl Iterator<Item = &Provider> {
        self.providers.iter().map(|e| &e.config)
    }

    /// The configured label of provider `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.providers()
            .find(|p| p.name == name)
            .map(|p| p.label.as_str())
    }

    fn entry(&self, name: &str) -> Result<(usize, &Entry), Error> {
        self.providers
            .iter()
            .enumerate()
            .find(|(_, e)| e.config.name == name)
            .ok_or(Error::UnknownProvider)
    }

    /// The provider's metadata: cached, or discovered now (issuer checked by the crate).
    async fn metadata(&self, entry: &Entry) -> Result<Arc<ProviderMetadataWithLogout>, Error> {
        let mut cached = entry.metadata.lock().await;
        if let Some((at, m)) = cached.as_ref() {
            if at.elapsed() < METADATA_TTL {
                return Ok(m.clone());
            }
        }
        let issuer = IssuerUrl::new(entry.config.issuer.as_str().trim_end_matches('/').into())
            .map_err(|e| Error::Provider(e.to_string()))?;
        let m = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| Error::Provider(error_chain(&e)))?;
        let m = Arc::new(m);
        *cached = Some((Instant::now(), m.clone()));
        Ok(m)
    }

    fn client(
        entry: &Entry,
        metadata: &ProviderMetadataWithLogout,
    ) -> openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(entry.config.client_id.clone()),
            entry
                .config
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose().to_string())),
        )
    }

    /// Starts a sign-in with provider `name`: returns the URL to send the browser to and
    /// the `state` it will come back with. `binding` is the hash of the cookie value that
    /// the browser must present at [`Oidc::finish`].
    pub async fn begin(
        &self,
        name: &str,
        redirect: url::Url,
        binding: String,
        invite: Option<Secret>,
    ) -> Result<url::Url, Error> {
        let (index, entry) = self.entry(name)?;
        let metadata = self.metadata(entry).await?;
        let redirect = RedirectUrl::from_url(redirect);
        let client = Self::client(entry, &metadata).set_redirect_uri(redirect.clone());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for s in entry.config.scopes.iter().filter(|s| *s != "openid") {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let (url, state, nonce) = req.url();
        let now = Instant::now();
        let mut flows = self.flows.lock().unwrap_or_else(|e| e.into_inner());
        flows.retain(|_, f| now.duration_since(f.started) < FLOW_TTL);
        if flows.len() >= MAX_FLOWS {
            return Err(Error::Busy);
        }
        flows.insert(
            state.secret().clone(),
            Flow {
                provider: index,
                binding,
                nonce,
                verifier,
                redirect,
                invite,
                started: now,
            },
        );
        Ok(url)
    }

    /// Finishes a sign-in: the callback's `state` must be a flow of provider `name` started
    /// by this browser (`binding`) within [`FLOW_TTL`]; it is used up whatever happens next.
    /// `iss` (RFC 9207), when sent, must be the provider's issuer. Exchanges `code` with
    /// the PKCE verifier and verifies the ID token (signature, issuer, audience, expiry,
    /// nonce); the e-mail must be verified (from the ID token or the userinfo endpoint).
    pub async fn finish(
        &self,
        name: &str,
        state: &str,
        binding: &str,
        callback: Callback<'_>,
    ) -> Result<Identity, Error> {
        let (index, entry) = self.entry(name)?;
        let flow = {
            let mut flows = self.flows.lock().unwrap_or_else(|e| e.into_inner());
            match flows.get(state) {
                Some(f) if f.binding == binding && f.provider == index => flows.remove(state),
                // Another browser's state is left for that browser.
                _ => None,
            }
        };
        let flow = flow
            .filter(|f| f.started.elapsed() < FLOW_TTL)
            .ok_or(Error::State)?;
        if let Some(error) = callback.error {
            return Err(Error::Denied(error.chars().take(100).collect()));
        }
        let metadata = self.metadata(entry).await?;
        if let Some(iss) = callback.iss {
            if iss.trim_end_matches('/') != metadata.issuer().as_str().trim_end_matches('/') {
                return Err(Error::Issuer);
            }
        }
        let code = callback.code.ok_or(Error::State)?;
        let client = Self::client(entry, &metadata).set_redirect_uri(flow.redirect);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| Error::Provider(e.to_string()))?
            .set_pkce_verifier(flow.verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| Error::Provider(error_chain(&e)))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| Error::Token("no ID token".into()))?;
        let claims = match id_token.claims(&client.id_token_verifier(), &flow.nonce) {
            Ok(c) => c,
            Err(e) => {
                // Perhaps the provider rotated its keys: the next sign-in discovers anew.
                *entry.metadata.lock().await = None;
                return Err(Error::Token(e.to_string()));
            }
        };
        let subject = claims.subject().clone();
        let mut email = claims
            .email()
            .map(|e| (e.as_str().to_string(), claims.email_verified()));
        if email.is_none() {
            if let Ok(req) = client.user_info(tokens.access_token().clone(), Some(subject.clone()))
            {
                let info: openidconnect::core::CoreUserInfoClaims = req
                    .request_async(&self.http)
                    .await
                    .map_err(|e| Error::Provider(error_chain(&e)))?;
                email = info
                    .email()
                    .map(|e| (e.as_str().to_string(), info.email_verified()));
            }
        }
        let Some((email, Some(true))) = email else {
            return Err(Error::Email);
        };
        let raw = id_token.to_string();
        Ok(Identity {
            provider: entry.config.name.clone(),
            email,
            subject: subject.as_str().to_string(),
            id_token: (raw.len() <= MAX_ID_TOKEN).then(|| Secret::new(raw)),
            invite: flow.invite,
        })
    }

    /// The provider's end-session URL for RP-initiated logout, when it advertises one
    /// (from cached metadata; `None` when not discovered or not offered).
    pub async fn logout_url(
        &self,
        name: &str,
        id_token: Option<&str>,
        after: url::Url,
    ) -> Option<url::Url> {
        let (_, entry) = self.entry(name).ok()?;
        let metadata = self.metadata(entry).await.ok()?;
        let end = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut url = LogoutRequest::from(end)
            .set_client_id(ClientId::new(entry.config.client_id.clone()))
            .set_post_logout_redirect_uri(PostLogoutRedirectUrl::from_url(after))
            .http_get_url();
        if let Some(t) = id_token {
            url.query_pairs_mut().append_pair("id_token_hint", t);
        }
        Some(url)
    }
}

/// What the provider sent back to the callback.
#[derive(Debug, Default, Clone, Copy)]
pub struct Callback<'a> {
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
    pub iss: Option<&'a str>,
}

/// An error with its causes, for logs and admins.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The crate's HTTP client: our guarded client, no redirects, 10 s, 256 KiB.
struct Http {
    client: Client,
    fetch: Fetch,
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = crate::net::http::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, mut request: HttpRequest) -> Self::Future {
        request.headers_mut().insert(
            openidconnect::http::header::USER_AGENT,
            openidconnect::http::HeaderValue::from_static(concat!(
                "Convos/",
                env!("CARGO_PKG_VERSION"),
                " (OpenID Connect)"
            )),
        );
        Box::pin(self.client.send(request, &self.fetch))
    }
}
