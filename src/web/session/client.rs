//! What a request says about its client, as extractors for handlers that run without a
//! session (login, register, OIDC): [`SameOrigin`] (the `Origin` check alone),
//! [`ClientIp`] (the address counted by rate limits) and [`Device`] (kept with the
//! session it opens).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::store::SessionDevice;
use crate::web::origin::{client_ip, client_key};
use crate::web::{AppState, Error};

/// The request's `Origin` check, for handlers that run without a session.
pub(crate) struct SameOrigin;

impl FromRequestParts<AppState> for SameOrigin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        super::check_origin(parts, state)?;
        Ok(SameOrigin)
    }
}

/// The client's address as counted by limits ([`client_key`]: an IPv6 address's /64) as
/// text, `"unknown"` when there is none (unix socket).
pub(crate) struct ClientIp(pub String);

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
pub(crate) struct Device(pub SessionDevice);

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
