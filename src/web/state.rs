//! What every handler can reach: the store, the running users, and web configuration.

use std::sync::Arc;

use crate::store::Store;
use crate::user;

/// Web-side configuration, fixed at startup.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Trust `X-Forwarded-For/-Proto/-Host` (only behind a reverse proxy).
    pub reverse_proxy: bool,
    /// Public base URL (`CONVOS_REQUEST_BASE`), e.g. `https://chat.example.com/`.
    pub request_base: Option<url::Url>,
    /// Registration open to anyone (`CONVOS_OPEN_TO_PUBLIC`); the admin setting overrides.
    pub open_to_public: bool,
    /// ICE servers for calls (`CONVOS_STUN`, `CONVOS_TURN`, ...).
    pub rtc: crate::rtc::servers::IceConfig,
    /// Cookies get `Secure` (set when any listener is https or the base URL is); over an
    /// https request they get it anyway (see [`super::transport`]).
    pub secure_cookies: bool,
    /// Every listener is on a loopback address: refuse `Host`s other than loopback names
    /// (DNS rebinding).
    pub loopback_only: bool,
    /// An old Convos home found at start that `convos import` has not taken yet: the
    /// admin's settings show it.
    pub pending_import: Option<crate::wire::PendingImport>,
    /// `CONVOS_METRICS_TOKEN`: a bearer token that may read `/metrics` on the main listener.
    pub metrics_token: Option<crate::model::Secret>,
    /// `--auth-header`: a trusted reverse proxy names the signed-in user.
    pub proxy_auth: Option<super::session::proxy::ProxyAuth>,
    /// `--ldap-url`: passwords are also checked against this directory.
    pub ldap: Option<crate::ldap::Directory>,
    /// `CONVOS_OIDC_PROVIDERS`: "Sign in with ..." through OpenID Connect.
    pub oidc: Option<Arc<crate::oidc::Oidc>>,
    /// `CONVOS_RELOAD_TAG`: mixed into the app's version, so changing it offers every
    /// open browser a reload.
    pub reload_tag: Option<String>,
}

/// Shared state of the router: one reference count to clone and drop per extractor,
/// not one per field (each handler's `State` is a clone; ten fields made that about 5 %
/// of a signed-in request's CPU, BENCHMARKS.md issue 22). Fields are reached through it.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    pub store: Store,
    pub users: user::Registry,
    pub config: Arc<Config>,
    /// Sessions with an open WebSocket, to close them when the session ends.
    pub live: Arc<super::live::Live>,
    /// Uploaded files on disk and their limits.
    pub files: crate::files::Files,
    /// Link previews and the image proxy (`None`: turned off).
    pub previews: Option<crate::preview::Previews>,
    /// The Web Push task (`None` in tests that do not start it).
    pub push: Option<crate::push::Handle>,
    /// What `/readyz` reports.
    pub ready: Arc<super::ops::Ready>,
    /// This daemon's place among several on one database (`None`: it runs alone).
    pub cluster: Option<crate::cluster::Cluster>,
}

impl AppState {
    /// The user's actor (started on demand: it may have been stopped by an admin edit).
    pub fn actor(&self, user: &crate::model::User) -> user::Handle {
        self.users
            .get(user.id)
            .unwrap_or_else(|| self.users.start(user.clone()))
    }
}
