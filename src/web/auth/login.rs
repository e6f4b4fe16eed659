//! Register (also with an invite or a password-reset link), login and logout, and the
//! limits that keep them from being used to guess passwords or to exhaust the server.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use tracing::{info, warn};

use super::{limit, user_view};
use crate::account::{self, Settings};
use crate::model::{Secret, SignInMethod, User};
use crate::store::TokenPurpose;
use crate::web::error::body;
use crate::web::session::{
    clear_cookie, record_sign_in, session_token, start_session, ClientIp, Device, SameOrigin,
};
use crate::web::{live, AppState, Error};
use crate::wire;

/// Failed logins (and password checks) per client address and per account.
pub(super) fn login_limiter() -> &'static limit::Limiter {
    static LIMITER: OnceLock<limit::Limiter> = OnceLock::new();
    LIMITER.get_or_init(limit::Limiter::default)
}

/// Registrations and password resets per client address, each attempt that gets as far as
/// a token check or a password hash.
fn register_limiter() -> &'static limit::Limiter {
    static LIMITER: OnceLock<limit::Limiter> = OnceLock::new();
    LIMITER.get_or_init(|| limit::Limiter::new(REGISTER_MAX, limit::WINDOW, limit::CAP))
}

/// Registration attempts per client address and window.
const REGISTER_MAX: u32 = 20;

pub(super) fn too_many() -> Error {
    Error::new(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts, try again later.",
        "/",
    )
}

fn closed() -> Error {
    Error::new(StatusCode::FORBIDDEN, "Registration is closed.", "/")
}

/// 403 in "OIDC only" mode, where passwords sign nobody in.
fn passwords_off(state: &AppState) -> Result<(), Error> {
    if state.config.oidc.as_ref().is_some_and(|o| o.only()) {
        return Err(Error::new(
            StatusCode::FORBIDDEN,
            "Password sign-in is turned off: sign in with your identity provider.",
            "/",
        ));
    }
    Ok(())
}

fn bad_link() -> Error {
    Error::new(
        StatusCode::BAD_REQUEST,
        "Invalid or expired link.",
        "/token",
    )
}

#[derive(Deserialize)]
pub(super) struct Register {
    email: String,
    password: Secret,
    #[serde(default)]
    token: Option<Secret>,
}

/// Serialises registrations, so that two first users cannot both become admin.
pub(super) static REGISTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub(super) async fn register(
    State(state): State<AppState>,
    _: SameOrigin,
    ClientIp(ip): ClientIp,
    device: Device,
    req: Result<Json<Register>, JsonRejection>,
) -> Result<Response, Error> {
    passwords_off(&state)?;
    let req = body(req)?;
    let email = account::normalize_email(&req.email)?;
    account::check_password(&req.password)?;
    if !register_limiter().reserve(&[&format!("ip:{ip}")], Instant::now()) {
        warn!(%ip, "registration refused: too many attempts");
        return Err(too_many());
    }
    let _serial = REGISTER.lock().await;
    let existing = state.store.user_by_email(&email).await?;
    if let Some(user) = existing {
        let Some(token) = &req.token else {
            // With registration closed a taken e-mail gets the same answer as a free one:
            // the page does not tell who has an account.
            return Err(if registration_open(&state).await? {
                Error::from(account::Error::EmailTaken)
            } else {
                closed()
            });
        };
        return reset(&state, &user, &email, token, req.password, &device).await;
    }
    let first = state.store.users().await?.is_empty();
    if !first && !registration_open(&state).await? {
        let Some(token) = &req.token else {
            return Err(closed());
        };
        // The invite first: a guessed token costs no hashing.
        let invited =
            account::consume_link(&state.store, TokenPurpose::Invite, &email, token.expose())
                .await?;
        if !invited {
            return Err(bad_link());
        }
    }
    let user = account::create_user(&state.store, &email, req.password, first).await?;
    info!(user = %user.id, admin = user.admin, "registered");
    state.users.start(user.clone());
    record_sign_in(&state, &user, SignInMethod::Password, "").await;
    logged_in(&state, &user, &device).await
}

/// A password reset through a link: the token is checked (and used up) before any hashing.
async fn reset(
    state: &AppState,
    user: &User,
    email: &str,
    token: &Secret,
    password: Secret,
    device: &Device,
) -> Result<Response, Error> {
    let ok = account::consume_link(
        &state.store,
        TokenPurpose::PasswordReset,
        email,
        token.expose(),
    )
    .await?;
    if !ok {
        return Err(bad_link());
    }
    account::set_password(&state.store, user, password, None).await?;
    state.live.end(user.id, live::Ended::All);
    info!(user = %user.id, "password reset");
    logged_in(state, user, device).await
}

async fn registration_open(state: &AppState) -> Result<bool, Error> {
    Ok(Settings::load(&state.store, state.config.open_to_public)
        .await?
        .open_to_public)
}

/// A new session for `user`: the User JSON with its cookie.
async fn logged_in(state: &AppState, user: &User, device: &Device) -> Result<Response, Error> {
    let cookie = start_session(state, user, &device.0).await?;
    let body = user_view(state, user, Default::default()).await;
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

#[derive(Deserialize)]
pub(super) struct Login {
    email: String,
    password: Secret,
}

fn invalid_login() -> Error {
    Error::new(StatusCode::BAD_REQUEST, "Invalid email or password.", "/")
}

pub(super) async fn login(
    State(state): State<AppState>,
    _: SameOrigin,
    ClientIp(ip): ClientIp,
    device: Device,
    req: Result<Json<Login>, JsonRejection>,
) -> Result<Response, Error> {
    passwords_off(&state)?;
    let req = body(req)?;
    // Before anything else: no work, no limiter key, for input no account can have.
    let Ok(email) = account::normalize_email(&req.email) else {
        return Err(invalid_login());
    };
    let (ip_key, account_key) = (format!("ip:{ip}"), format!("email:{email}"));
    let limiter = login_limiter();
    // Reserved before the check: parallel guesses cannot all pass a "not yet blocked" test.
    if !limiter.reserve(&[&ip_key, &account_key], Instant::now()) {
        warn!(%ip, "login refused: too many failures");
        return Err(too_many());
    }
    if let Some(dir) = &state.config.ldap {
        match dir.authenticate(&email, req.password.expose()).await {
            Ok(Some(found)) => {
                let user = ldap_user(&state, found).await?;
                limiter.clear(&account_key);
                limiter.refund(&ip_key);
                info!(user = %user.id, %ip, "logged in by LDAP");
                record_sign_in(&state, &user, SignInMethod::Ldap, "").await;
                return logged_in(&state, &user, &device).await;
            }
            // Not in the directory, or a wrong password: local accounts still work.
            Ok(None) => {}
            Err(e) => warn!(error = %e, "LDAP sign-in failed; trying the local password"),
        }
    }
    let user = state.store.user_by_email(&email).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let verified = match account::verify_password(hash, req.password).await {
        Ok(v) => v,
        Err(e) => {
            limiter.refund(&ip_key);
            limiter.refund(&account_key);
            return Err(Error::from(e));
        }
    };
    match user {
        Some(user) if verified.ok() => {
            limiter.clear(&account_key);
            limiter.refund(&ip_key);
            info!(user = %user.id, %ip, "logged in");
            record_sign_in(&state, &user, SignInMethod::Password, "").await;
            if let account::Verified::Rehash(new) = verified {
                account::upgrade_hash(&state.store, &user, new).await;
            }
            let store = state.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.purge_expired().await {
                    warn!(error = %e, "cannot purge expired sessions");
                }
            });
            logged_in(&state, &user, &device).await
        }
        _ => {
            info!(%ip, "login failed");
            Err(invalid_login())
        }
    }
}

/// The account of someone the directory signed in: found by e-mail, or created (with a
/// random password nobody knows); its admin role follows the directory's admin filter.
async fn ldap_user(state: &AppState, found: crate::ldap::Found) -> Result<User, Error> {
    let email = account::normalize_email(&found.email).map_err(|_| invalid_login())?;
    let user = match state.store.user_by_email(&email).await? {
        Some(u) => u,
        None => {
            let first = state.store.users().await?.is_empty();
            let admin = first || found.admin == Some(true);
            match account::create_user(&state.store, &email, account::new_token(), admin).await {
                Ok(u) => {
                    info!(user = %u.id, admin = u.admin, "registered by LDAP");
                    state.users.start(u.clone());
                    u
                }
                Err(account::Error::EmailTaken) => state
                    .store
                    .user_by_email(&email)
                    .await?
                    .ok_or_else(invalid_login)?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    match found.admin {
        Some(admin) if admin != user.admin => {
            state.store.set_admin(user.id, admin).await?;
            let user = User { admin, ..user };
            super::tell_user_changed(state, &user).await;
            Ok(user)
        }
        _ => Ok(user),
    }
}

/// Ends the cookie's session; when an OpenID provider started it and offers
/// RP-initiated logout, answers where to sign out there too.
pub(super) async fn logout(
    State(state): State<AppState>,
    _: SameOrigin,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, Error> {
    let mut out = wire::LoggedOut::default();
    if let Some(token) = session_token(&headers) {
        let hash = account::token_hash(token);
        let user = state.store.session_user(&hash).await?;
        let oidc = match user {
            Some(_) => state.store.oidc_session(&hash).await?,
            None => None,
        };
        state.store.delete_session(&hash).await?;
        if let Some(user) = user {
            state.live.end(user, live::Ended::One(&hash));
        }
        if let (Some(o), Some(providers)) = (oidc, &state.config.oidc) {
            state.store.delete_oidc_session(&hash).await?;
            let after = crate::web::origin::base_url(&headers, uri.authority(), &state.config)
                .and_then(|b| b.join("login").ok());
            if let Some(after) = after {
                out.end_session_url = providers
                    .logout_url(&o.provider, o.id_token.as_deref(), after)
                    .await
                    .map(|u| u.to_string());
            }
        }
    }
    Ok(([(header::SET_COOKIE, clear_cookie(&state))], Json(out)).into_response())
}

/// A GET could be triggered by any page (an `<img>`): logging out takes a POST.
pub(super) async fn logout_get() -> Error {
    Error::new(StatusCode::METHOD_NOT_ALLOWED, "Use POST to log out.", "/")
}
