//! The installable app: the web app manifest (`/manifest.webmanifest`, named after the
//! organisation) and the service worker (`/sw.js`: `frontend/public/sw.js` after a
//! prelude with the bundle's version, the base path and the app shell to cache).
//!
//! Both live at the top of the base path, so the worker's scope is the whole app also
//! under a sub-path (`CONVOS_REQUEST_BASE=https://host/chat/`).

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{assets, origin, AppState, Error};
use crate::account::Settings;

/// Theme colours of the light and dark themes (`--bg` in `frontend/src/app.css`); the
/// logo's green is the manifest's `theme_color` (one value only there).
const BRAND: &str = "#1f6f5c";
const LIGHT_BG: &str = "#ffffff";

/// `GET /manifest.webmanifest`.
pub async fn manifest(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let settings = Settings::load(&state.store, state.config.open_to_public).await?;
    let base = origin::base_path(&headers, &state.config);
    let body = document(&settings.organization_name, &base);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/manifest+json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body.to_string(),
    )
        .into_response())
}

/// The manifest for an organisation's name and the base path (`/` or `/chat/`).
fn document(name: &str, base: &str) -> serde_json::Value {
    let name = if name.trim().is_empty() {
        "Convos"
    } else {
        name.trim()
    };
    // Home screens cut names past about 12 characters.
    let short: String = name.chars().take(12).collect();
    let icon = |file: &str, size: u32, purpose: &str| {
        json!({"src": format!("{base}icons/{file}"), "sizes": format!("{size}x{size}"),
               "type": "image/png", "purpose": purpose})
    };
    json!({
        "id": base,
        "name": name,
        "short_name": short,
        "description": "Chat on IRC from anywhere, always online.",
        "start_url": base,
        "scope": base,
        "display": "standalone",
        "background_color": LIGHT_BG,
        "theme_color": BRAND,
        "icons": [
            icon("icon-192.png", 192, "any"),
            icon("icon-512.png", 512, "any"),
            icon("maskable-192.png", 192, "maskable"),
            icon("maskable-512.png", 512, "maskable"),
            {"src": format!("{base}favicon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    })
}

/// `GET /sw.js`: never cached by HTTP, so the browser sees a new bundle on its next
/// update check and the page offers a reload.
pub async fn service_worker(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = origin::base_path(&headers, &state.config);
    let Some(code) = assets::raw("sw.js") else {
        return Error::not_found("/sw.js").into_response();
    };
    let prelude = prelude(
        &assets::version(state.config.reload_tag.as_deref()),
        &base,
        &assets::shell(),
    );
    let mut body = prelude.into_bytes();
    body.extend_from_slice(&code);
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// `self.CONVOS = {...}` for the worker: the version names its cache, the shell is what it
/// stores on install (paths relative to the base, `""` being index.html).
fn prelude(version: &str, base: &str, shell: &[String]) -> String {
    let config = json!({"version": version, "base": base, "shell": shell});
    format!("self.CONVOS = {config};\n")
}

#[cfg(test)]
mod tests {
    use super::{document, prelude};

    #[test]
    fn manifest_under_a_sub_path() {
        let m = document("Example Chat Company", "/chat/");
        assert_eq!(m["name"], "Example Chat Company");
        assert_eq!(m["short_name"], "Example Chat");
        assert_eq!(m["start_url"], "/chat/");
        assert_eq!(m["scope"], "/chat/");
        assert_eq!(m["display"], "standalone");
        let icons = m["icons"].as_array().expect("icons");
        assert!(icons
            .iter()
            .all(|i| i["src"].as_str().is_some_and(|s| s.starts_with("/chat/"))));
        assert!(icons
            .iter()
            .any(|i| i["purpose"] == "maskable" && i["sizes"] == "512x512"));
        assert_eq!(document("  ", "/")["name"], "Convos");
    }

    #[test]
    fn prelude_is_one_statement() {
        let p = prelude("v1", "/", &["".into(), "assets/a.js".into()]);
        assert_eq!(
            p,
            "self.CONVOS = {\"base\":\"/\",\"shell\":[\"\",\"assets/a.js\"],\"version\":\"v1\"};\n"
        );
    }
}
