//! Accounts: register, login, logout, sessions (HttpOnly cookie, hashed token), the
//! logged-in user extractors ([`Session`], [`Admin`]), the `Origin` check, and the user's
//! own account endpoints. Admin endpoints live in [`super::admin`].
//!
//! Must not: log passwords, tokens or cookies.

mod limit;
mod login;
mod oidc;
mod origin;
pub mod proxy;

pub use origin::{base_path, base_url, client_ip, client_key, origin_allowed, origin_allowed_at};

use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use tracing::{info, warn};

use super::{live, AppState, Error};
use crate::account::{self, Settings};
use crate::model::{Secret, TokenScope, User};
use crate::store::SessionDevice;
use crate::wire;

/// The session cookie's name.
pub const COOKIE: &str = "convos_session";

/// How long a session lives.
pub const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

/// Routes under `/api` for accounts.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/user/register", post(login::register))
        .route("/user/login", post(login::login))
        .route("/user/logout", post(login::logout).get(login::logout_get))
        .route("/oidc/{name}/start", axum::routing::get(oidc::start))
        .route("/oidc/{name}/callback", axum::routing::get(oidc::callback))
        .route(
            "/user",
            axum::routing::get(get_user)
                .post(update_user)
                .delete(delete_user),
        )
}

/// The logged-in user of a request, from the session cookie or an API token
/// (`Authorization: Bearer`, which wins over a cookie). Rejects with 401
/// `Need to log in first.` (or `Invalid API token.`); a cookie session on methods other
/// than GET/HEAD/OPTIONS with 403 `Invalid origin.` when the `Origin` header is not our
/// own (see [`origin_allowed`]); a token on those methods with 403 (only handlers taking
/// [`Sender`] let a `send` token write).
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    /// SHA-256 hex of the cookie token or API token: its key in the store.
    pub token_hash: String,
    /// How the request proved who it is.
    pub via: Via,
}

/// How a request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The session cookie of a browser: everything the user may do.
    Cookie,
    /// An API token (see [`super::tokens`]).
    Token { id: i64, scope: TokenScope },
    /// A trusted reverse proxy's sign-in header (see [`proxy`]): like a cookie.
    Proxy,
}

impl Session {
    /// Whether this request may send messages and commands.
    pub fn may_send(&self) -> bool {
        matches!(
            self.via,
            Via::Cookie
                | Via::Proxy
                | Via::Token {
                    scope: TokenScope::Send,
                    ..
                }
        )
    }

    /// Whether an API token authenticated the request.
    pub fn is_token(&self) -> bool {
        matches!(self.via, Via::Token { .. })
    }

    /// The request's identity, by API token or cookie, once per request.
    async fn identify(parts: &mut Parts, state: &AppState) -> Result<Session, Error> {
        if let Some(s) = parts.extensions.get::<Session>() {
            return Ok(s.clone());
        }
        let session = match super::ops::bearer(&parts.headers) {
            // Browsers never add this header cross-site without CORS (which we do not
            // offer), so a token needs no Origin check.
            Some(token) => super::tokens::authenticate(state, token).await?,
            None if state.config.proxy_auth.is_some() => {
                check_origin(parts, state)?;
                match proxy::identify(parts, state).await? {
                    Some(s) => s,
                    None => Self::by_cookie(parts, state).await?,
                }
            }
            None => Self::by_cookie(parts, state).await?,
        };
        parts.extensions.insert(session.clone());
        Ok(session)
    }

    /// The session of the cookie (after the Origin check).
    async fn by_cookie(parts: &Parts, state: &AppState) -> Result<Session, Error> {
        check_origin(parts, state)?;
        let token = session_token(&parts.headers).ok_or_else(need_login)?;
        let token_hash = account::token_hash(token);
        let user_id = session_used(state, &token_hash)
            .await?
            .ok_or_else(need_login)?;
        let user = state.store.user(user_id).await?.ok_or_else(need_login)?;
        Ok(Session {
            user,
            token_hash,
            via: Via::Cookie,
        })
    }
}

/// The user of an unexpired session, noting (at most every few minutes) that it was used.
pub(super) async fn session_used(
    state: &AppState,
    token_hash: &str,
) -> Result<Option<crate::model::UserId>, Error> {
    const TOUCH_EVERY_MS: i64 = 5 * 60 * 1000;
    let Some((user_id, last_seen)) = state.store.session(token_hash).await? else {
        return Ok(None);
    };
    if crate::time::now_ms().saturating_sub(last_seen) >= TOUCH_EVERY_MS {
        let (store, hash) = (state.store.clone(), token_hash.to_owned());
        tokio::spawn(async move {
            if let Err(e) = store.touch_session(&hash).await {
                tracing::debug!(error = %e, "cannot note a session's use");
            }
        });
    }
    Ok(Some(user_id))
}

/// A logged-in admin; rejects others with 403 `Only admins can do that.`, and API
/// tokens with 403: they never carry admin powers.
#[derive(Debug, Clone)]
pub struct Admin(pub Session);

/// A person in a browser (session cookie): API tokens get 403. For managing tokens.
#[derive(Debug, Clone)]
pub struct Interactive(pub Session);

/// Someone who may send messages and commands: a browser session, or a `send` token.
#[derive(Debug, Clone)]
pub struct Sender(pub Session);

/// 403 for an API token on an endpoint tokens may not use.
pub(super) fn token_refused() -> Error {
    Error::new(StatusCode::FORBIDDEN, "API tokens cannot do that.", "/")
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let session = Session::identify(parts, state).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if session.is_token() && !safe {
            return Err(token_refused());
        }
        Ok(session)
    }
}

impl FromRequestParts<AppState> for Interactive {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let session = Session::identify(parts, state).await?;
        if session.is_token() {
            return Err(token_refused());
        }
        Ok(Interactive(session))
    }
}

impl FromRequestParts<AppState> for Sender {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let session = Session::identify(parts, state).await?;
        if !session.may_send() {
            return Err(Error::new(
                StatusCode::FORBIDDEN,
                "This API token may only read.",
                "/",
            ));
        }
        Ok(Sender(session))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let Interactive(session) = Interactive::from_request_parts(parts, state).await?;
        if !session.user.admin {
            return Err(Error::new(
                StatusCode::FORBIDDEN,
                "Only admins can do that.",
                "/",
            ));
        }
        Ok(Admin(session))
    }
}

/// 403 `Invalid origin.` for a state-changing request from another origin.
pub(super) fn check_origin(parts: &Parts, state: &AppState) -> Result<(), Error> {
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || origin_allowed_at(&parts.headers, parts.uri.authority(), &state.config) {
        return Ok(());
    }
    Err(Error::new(StatusCode::FORBIDDEN, "Invalid origin.", "/"))
}

/// The request's `Origin` check, for handlers that run without a session.
struct SameOrigin;

impl FromRequestParts<AppState> for SameOrigin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        check_origin(parts, state)?;
        Ok(SameOrigin)
    }
}

/// The client's address as counted by limits ([`client_key`]: an IPv6 address's /64) as
/// text, `"unknown"` when there is none (unix socket).
struct ClientIp(String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let ip = client_ip(&parts.headers, &parts.extensions, &state.config);
        Ok(ClientIp(ip.map_or_else(
            || "unknown".into(),
            |ip| client_key(ip).to_string(),
        )))
    }
}

/// Where a request comes from, kept with the session it opens (Settings → Sessions): the
/// `User-Agent` (control characters dropped, at most 256 characters) and the client's
/// address.
pub(super) struct Device(pub SessionDevice);

impl FromRequestParts<AppState> for Device {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(256)
            .collect();
        let address = client_ip(&parts.headers, &parts.extensions, &state.config)
            .map_or_else(String::new, |ip| ip.to_string());
        Ok(Device(SessionDevice {
            user_agent,
            address,
        }))
    }
}

fn need_login() -> Error {
    Error::new(StatusCode::UNAUTHORIZED, "Need to log in first.", "/")
}

/// A JSON body, or a 400/415 in our error shape.
pub(super) fn body<T>(r: Result<Json<T>, JsonRejection>) -> Result<T, Error> {
    r.map(|Json(v)| v)
        .map_err(|e| Error::new(e.status(), e.body_text(), "/"))
}

/// The session token from the `Cookie` header(s).
fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == COOKIE && !v.is_empty())
        .map(|(_, v)| v)
}

fn cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let c = format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    // Tokens are base64url, so this cannot fail; an empty cookie is the safe fallback.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub(super) fn clear_cookie(state: &AppState) -> HeaderValue {
    cookie(state, "", 0)
}

/// Starts a session for `user` on `device` and returns its `Set-Cookie` value.
pub(super) async fn start_session(
    state: &AppState,
    user: &User,
    device: &SessionDevice,
) -> Result<HeaderValue, Error> {
    Ok(new_session(state, user, device).await?.0)
}

/// Starts a session for `user` on `device`: its `Set-Cookie` value and the token's hash.
async fn new_session(
    state: &AppState,
    user: &User,
    device: &SessionDevice,
) -> Result<(HeaderValue, String), Error> {
    let token = account::new_token();
    let hash = account::token_hash(token.expose());
    let expires = crate::time::now_ms() + SESSION_TTL_MS;
    state
        .store
        .create_session(&hash, user.id, expires, device)
        .await?;
    Ok((cookie(state, token.expose(), SESSION_TTL_MS / 1000), hash))
}

/// Notes how `user` signed in, for the admin's list; a failure is only logged.
async fn record_sign_in(
    state: &AppState,
    user: &User,
    method: crate::model::SignInMethod,
    provider: &str,
) {
    if let Err(e) = state.store.record_sign_in(user.id, method, provider).await {
        warn!(error = %e, "cannot record the sign-in method");
    }
}

/// The User object of docs/api.md without `connections`/`conversations`: email, uid,
/// roles, registered, highlight_keywords, unread, default/forced connection, rtc.
pub async fn user_view(state: &AppState, user: &User, with: Include) -> wire::User {
    let settings = match Settings::load(&state.store, state.config.open_to_public).await {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "cannot load settings, using defaults");
            Settings::load_defaults(state.config.open_to_public)
        }
    };
    // As in Convos: the number of unread notifications (highlights), shown on the badge.
    let unread = match state.store.unread_notifications(user.id).await {
        Ok(n) => n,
        Err(e) => {
            warn!(error = %e, "cannot count unread notifications");
            0
        }
    };
    let mut view = user_object(state, &settings, user, unread);
    if with.connections {
        view.connections = Some(super::api::connections(state, user).await);
    }
    if with.conversations {
        view.conversations = Some(super::api::conversations(state, user).await);
    }
    view
}

/// What [`user_view`] adds to the account.
#[derive(Debug, Clone, Copy, Default)]
pub struct Include {
    pub connections: bool,
    pub conversations: bool,
}

impl Include {
    /// Connections and conversations: what a browser loads at start.
    pub const ALL: Include = Include {
        connections: true,
        conversations: true,
    };
}

/// [`user_view`] of the account alone, from already loaded settings.
pub(super) fn user_object(
    state: &AppState,
    settings: &Settings,
    user: &User,
    unread: u64,
) -> wire::User {
    wire::User {
        email: user.email.clone(),
        uid: user.id.0,
        roles: if user.admin {
            vec!["admin".into()]
        } else {
            vec![]
        },
        registered: crate::time::format_ms(user.created_at),
        highlight_keywords: user.highlight_keywords.clone(),
        auto_away: user.auto_away(),
        prefs: user.prefs(),
        quiet_hours: user.quiet_hours(),
        unread,
        default_connection: settings.default_connection.clone(),
        forced_connection: settings.forced_connection,
        video_service: String::new(),
        rtc: state
            .config
            .rtc
            .for_user(&user.id.to_string(), crate::time::now_ms() / 1000),
        default_server: crate::irc::url::Config::parse(
            &settings.default_connection,
            &crate::user::default_nick(&user.email),
        )
        .ok()
        .map(|c| wire::Server::from(&c)),
        connections: None,
        conversations: None,
    }
}

/// Lets the user's actor know its account changed (highlight keywords, roles).
pub(super) async fn tell_user_changed(state: &AppState, user: &User) {
    if let Some(handle) = state.users.get(user.id) {
        handle
            .tell(crate::user::Request::UserChanged(Box::new(user.clone())))
            .await;
    }
}

#[derive(Deserialize, Default)]
struct UserQuery {
    #[serde(default)]
    connections: Option<String>,
    #[serde(default)]
    conversations: Option<String>,
}

fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("true" | "1" | "yes"))
}

async fn get_user(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<UserQuery>,
) -> Json<wire::User> {
    let with = Include {
        connections: flag(&q.connections),
        conversations: flag(&q.conversations),
    };
    Json(user_view(&state, &session.user, with).await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserUpdate {
    #[serde(default)]
    highlight_keywords: Option<Vec<String>>,
    #[serde(default)]
    auto_away: Option<crate::model::AutoAway>,
    #[serde(default)]
    prefs: Option<crate::model::Prefs>,
    #[serde(default)]
    quiet_hours: Option<crate::notify::QuietHours>,
    #[serde(default)]
    password: Option<Secret>,
    #[serde(default)]
    old_password: Option<Secret>,
}

/// Keywords: trimmed, non-empty, unique, at most 100 of at most 100 characters.
fn clean_keywords(raw: Vec<String>) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for k in raw {
        let k = k.trim().to_owned();
        if k.is_empty() || out.contains(&k) {
            continue;
        }
        if k.chars().count() > 100 || out.len() >= 100 {
            return Err(Error::new(
                StatusCode::BAD_REQUEST,
                "Too many or too long highlight keywords.",
                "/highlight_keywords",
            ));
        }
        out.push(k);
    }
    Ok(out)
}

async fn update_user(
    State(state): State<AppState>,
    session: Session,
    req: Result<Json<UserUpdate>, JsonRejection>,
) -> Result<Response, Error> {
    let req = body(req)?;
    let token_hash = session.token_hash;
    let mut user = session.user;
    let keywords = req.highlight_keywords.map(clean_keywords).transpose()?;
    if let Some(a) = &req.auto_away {
        a.check()
            .map_err(|m| Error::new(StatusCode::BAD_REQUEST, m, "/auto_away"))?;
    }
    if let Some(p) = &req.prefs {
        p.check()
            .map_err(|m| Error::new(StatusCode::BAD_REQUEST, m, "/prefs"))?;
    }
    if let Some(q) = &req.quiet_hours {
        q.check()
            .map_err(|m| Error::new(StatusCode::BAD_REQUEST, m, "/quiet_hours"))?;
    }
    if let Some(password) = req.password {
        account::check_password(&password)?;
        let old = req.old_password.unwrap_or_default();
        check_own_password(&user, old, "/old_password", "Invalid old password.").await?;
        // Other sessions end (a stolen cookie stops working), this one goes on: the
        // person who just proved they know the password is the one using it.
        account::set_password(&state.store, &user, password, Some(&token_hash)).await?;
        state.live.end(user.id, live::Ended::AllBut(&token_hash));
        info!(user = %user.id, "password changed");
    }
    let mut changed = false;
    if let Some(k) = keywords {
        state
            .store
            .set_highlight_keywords(user.id, k.clone())
            .await?;
        user.highlight_keywords = k;
        changed = true;
    }
    // Auto-away, quiet hours and preferences live in the one settings object: one write.
    let before = user.settings.clone();
    if let Some(a) = req.auto_away {
        user.settings = user.settings_with_auto_away(&a);
    }
    if let Some(q) = req.quiet_hours {
        user.settings = user.settings_with_quiet_hours(&q);
    }
    if let Some(p) = req.prefs {
        user.settings = user.settings_with_prefs(&p);
    }
    if user.settings != before {
        state
            .store
            .set_user_settings(user.id, user.settings.clone())
            .await?;
        changed = true;
    }
    if changed {
        tell_user_changed(&state, &user).await;
    }
    Ok(Json(user_view(&state, &user, Include::default()).await).into_response())
}

/// Checks the logged-in user's own password (a stolen session must not take over the
/// account), counted like logins: 429 after too many failures.
async fn check_own_password(
    user: &User,
    password: Secret,
    path: &str,
    wrong: &str,
) -> Result<(), Error> {
    let account_key = format!("email:{}", user.email);
    let limiter = login::login_limiter();
    if !limiter.reserve(&[&account_key], Instant::now()) {
        return Err(login::too_many());
    }
    match account::verify_password(Some(user.password_hash.clone()), password).await {
        Ok(account::Verified::No) => Err(Error::new(StatusCode::BAD_REQUEST, wrong, path)),
        Ok(_) => {
            limiter.refund(&account_key);
            Ok(())
        }
        Err(e) => {
            limiter.refund(&account_key);
            Err(Error::from(e))
        }
    }
}

#[derive(Deserialize)]
struct Delete {
    password: Secret,
}

/// Deleting one's own account takes the current password: a session left open on a
/// shared computer must not be enough to erase everything.
async fn delete_user(
    State(state): State<AppState>,
    session: Session,
    req: Result<Json<Delete>, JsonRejection>,
) -> Result<Response, Error> {
    let req = body(req)?;
    check_own_password(
        &session.user,
        req.password,
        "/password",
        "Invalid password.",
    )
    .await?;
    let id = session.user.id;
    state.users.delete(id);
    state.store.delete_user(id).await?;
    state.live.end(id, live::Ended::All);
    info!(user = %id, "deleted own account");
    Ok((
        [(header::SET_COOKIE, clear_cookie(&state))],
        Json(wire::Empty {}),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_is_found() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; convos_session=tok; b=2"),
        );
        assert_eq!(session_token(&h), Some("tok"));
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1"));
        h.append(header::COOKIE, HeaderValue::from_static("convos_session=x"));
        assert_eq!(session_token(&h), Some("x"));
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("convos_sessionx=1; convos_session="),
        );
        assert_eq!(session_token(&h), None);
    }

    #[test]
    fn keywords_are_cleaned() {
        let k = clean_keywords(vec![
            " rust ".into(),
            "".into(),
            "rust".into(),
            "irc".into(),
        ])
        .expect("valid");
        assert_eq!(k, vec!["rust", "irc"]);
        assert!(clean_keywords(vec!["x".repeat(101)]).is_err());
    }
}
