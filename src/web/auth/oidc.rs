//! "Sign in with ..." through OpenID Connect (`crate::oidc`): `GET /api/oidc/NAME/start`
//! sends the browser to the provider with a fresh random `convos_oidc` cookie that binds
//! the flow to it; `GET /api/oidc/NAME/callback` takes the flow out, checks everything,
//! and signs the verified e-mail's account in, or creates it when registration allows
//! (open, first user, or the invite the browser brought). Both are navigations, so every
//! failure is a redirect to the login page with `?oidc_error=CODE`, which it explains;
//! nothing is stored or changed before the provider's answer has been verified.
//!
//! Must not: log codes, tokens or e-mail addresses.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tracing::{info, warn};

use super::limit;
use crate::account::{self, Settings};
use crate::model::{Secret, SignInMethod, User};
use crate::store::TokenPurpose;
use crate::web::origin::{base_path, base_url};
use crate::web::session::{new_session, record_sign_in, ClientIp, Device};
use crate::web::AppState;

/// The cookie that binds a sign-in in progress to the browser that started it.
const BINDING: &str = "convos_oidc";

/// Sign-ins started per client address and window.
const STARTS_MAX: u32 = 30;

fn start_limiter() -> &'static limit::Limiter {
    static LIMITER: OnceLock<limit::Limiter> = OnceLock::new();
    LIMITER.get_or_init(|| limit::Limiter::new(STARTS_MAX, limit::WINDOW, limit::CAP))
}

#[derive(Deserialize)]
pub(super) struct Start {
    /// An invite link's token: lets a closed server create the invited account.
    #[serde(default)]
    invite: Option<String>,
}

/// The app URL of `path` (no leading `/`) as browsers see it, with the sub-path.
fn app_url(headers: &HeaderMap, uri: &Uri, state: &AppState, path: &str) -> Option<url::Url> {
    base_url(headers, uri.authority(), &state.config)?
        .join(path)
        .ok()
}

fn binding_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    crate::web::session::set_cookie(state, BINDING, value, max_age)
}

/// A `303 See Other` to `location`, not cached.
fn redirect(location: &str, cookie: HeaderValue) -> Response {
    let location =
        HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::SET_COOKIE, cookie),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

/// Back to the login page with an error code it explains; the binding cookie cleared.
fn fail(state: &AppState, headers: &HeaderMap, code: &str) -> Response {
    let to = format!(
        "{}login?oidc_error={code}",
        base_path(headers, &state.config)
    );
    redirect(&to, binding_cookie(state, "", 0))
}

pub(super) async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ClientIp(ip): ClientIp,
    Query(q): Query<Start>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(oidc) = state.config.oidc.clone() else {
        return fail(&state, &headers, "provider");
    };
    if oidc.label(&name).is_none() {
        return fail(&state, &headers, "provider");
    }
    if !start_limiter().reserve(&[&format!("ip:{ip}")], Instant::now()) {
        warn!(%ip, "oidc: too many sign-ins started");
        return fail(&state, &headers, "busy");
    }
    let Some(redirect_uri) = app_url(&headers, &uri, &state, &format!("api/oidc/{name}/callback"))
    else {
        return fail(&state, &headers, "unavailable");
    };
    let invite = q
        .invite
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .map(Secret::new);
    let binding = account::new_token();
    match oidc
        .begin(
            &name,
            redirect_uri,
            account::token_hash(binding.expose()),
            invite,
        )
        .await
    {
        Ok(url) => redirect(
            url.as_str(),
            binding_cookie(
                &state,
                binding.expose(),
                crate::oidc::FLOW_TTL.as_secs() as i64,
            ),
        ),
        Err(e) => {
            warn!(provider = %name, error = %e, "oidc: cannot start a sign-in");
            fail(&state, &headers, e.code())
        }
    }
}

/// The first value of each callback parameter we read, bounded.
#[derive(Default)]
struct Params {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

fn params(raw: &str) -> Params {
    let mut p = Params::default();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        let slot = match &*k {
            "code" => &mut p.code,
            "state" => &mut p.state,
            "error" => &mut p.error,
            "iss" => &mut p.iss,
            _ => continue,
        };
        if slot.is_none() && v.len() <= 4096 {
            *slot = Some(v.into_owned());
        }
    }
    p
}

/// The binding cookie's value.
fn binding(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == BINDING && !v.is_empty())
        .map(|(_, v)| v)
}

pub(super) async fn callback(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ClientIp(ip): ClientIp,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    device: Device,
) -> Response {
    let Some(oidc) = state.config.oidc.clone() else {
        return fail(&state, &headers, "provider");
    };
    let limiter = super::login::login_limiter();
    let ip_key = format!("ip:{ip}");
    if !limiter.reserve(&[&ip_key], Instant::now()) {
        warn!(%ip, "oidc: callback refused, too many failures");
        return fail(&state, &headers, "busy");
    }
    let raw = query.unwrap_or_default();
    let p = if raw.len() <= 16 * 1024 {
        params(&raw)
    } else {
        Params::default()
    };
    let (Some(flow), Some(bound)) = (p.state.as_deref(), binding(&headers)) else {
        info!(%ip, provider = %name, "oidc: callback without state or binding cookie");
        return fail(&state, &headers, "state");
    };
    let answer = crate::oidc::Callback {
        code: p.code.as_deref(),
        error: p.error.as_deref(),
        iss: p.iss.as_deref(),
    };
    let identity = match oidc
        .finish(&name, flow, &account::token_hash(bound), answer)
        .await
    {
        Ok(i) => i,
        Err(e) => {
            warn!(%ip, provider = %name, error = %e, "oidc: sign-in failed");
            return fail(&state, &headers, e.code());
        }
    };
    let user = match account_for(&state, &identity).await {
        Ok(u) => u,
        Err(code) => return fail(&state, &headers, code),
    };
    limiter.refund(&ip_key);
    let (cookie, hash) = match new_session(&state, &user, &device.0).await {
        Ok(s) => s,
        Err(e) => {
            warn!(error = ?e, "oidc: cannot start a session");
            return fail(&state, &headers, "unavailable");
        }
    };
    let id_token = identity.id_token.map(|t| t.expose().to_string());
    if let Err(e) = state
        .store
        .set_oidc_session(&hash, user.id, &identity.provider, id_token)
        .await
    {
        warn!(error = %e, "oidc: cannot remember the session's provider");
    }
    record_sign_in(&state, &user, SignInMethod::Oidc, &identity.provider).await;
    info!(user = %user.id, provider = %identity.provider, %ip, "logged in by OpenID Connect");
    let mut res = redirect(&base_path(&headers, &state.config), cookie);
    res.headers_mut()
        .append(header::SET_COOKIE, binding_cookie(&state, "", 0));
    res
}

/// The account of a verified e-mail: found, or created when registration is open, for
/// the first user (admin), or with an invite for that e-mail. `Err` is the error code.
async fn account_for(
    state: &AppState,
    identity: &crate::oidc::Identity,
) -> Result<User, &'static str> {
    let unavailable = |e: &dyn std::fmt::Display| {
        warn!(error = %e, "oidc: account lookup failed");
        "unavailable"
    };
    let email = account::normalize_email(&identity.email).map_err(|_| "email")?;
    let _serial = super::login::REGISTER.lock().await;
    if let Some(u) = state
        .store
        .user_by_email(&email)
        .await
        .map_err(|e| unavailable(&e))?
    {
        return Ok(u);
    }
    let first = state
        .store
        .users()
        .await
        .map_err(|e| unavailable(&e))?
        .is_empty();
    let open = Settings::load(&state.store, state.config.open_to_public)
        .await
        .map_err(|e| unavailable(&e))?
        .open_to_public;
    if !first && !open {
        let Some(token) = &identity.invite else {
            return Err("closed");
        };
        let invited =
            account::consume_link(&state.store, TokenPurpose::Invite, &email, token.expose())
                .await
                .map_err(|e| unavailable(&e))?;
        if !invited {
            return Err("invite");
        }
    }
    let user = account::create_user(&state.store, &email, account::new_token(), first)
        .await
        .map_err(|e| unavailable(&e))?;
    info!(user = %user.id, admin = user.admin, "registered by OpenID Connect");
    state.users.start(user.clone());
    Ok(user)
}
