//! The embedded frontend (`frontend/dist`): `index.html` and hashed assets, served
//! precompressed (brotli, gzip) when the browser accepts it.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/frontend/dist"]
struct Dist;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `index.html`, never cached, so a new deploy is picked up on the next load. Under a
/// sub-path (`base` other than `/`, already checked by
/// `web::origin::base_path`) its root-relative links get the prefix and a `<base href>`
/// tells the app where it lives.
pub fn index(base: &str) -> Response {
    match Dist::get("index.html") {
        Some(file) => {
            let body = if base == "/" {
                file.data.into_owned()
            } else {
                rebase(&String::from_utf8_lossy(&file.data), base).into_bytes()
            };
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/html; charset=utf-8"),
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                ],
                body,
            )
                .into_response()
        }
        None => (StatusCode::INTERNAL_SERVER_ERROR, "frontend bundle missing").into_response(),
    }
}

/// index.html for an app served under `base` (`/chat/`): `src="/x"`/`href="/x"` become
/// `"/chat/x"`, and `<base href="/chat/">` goes first in `<head>`.
fn rebase(html: &str, base: &str) -> String {
    let html = html
        .replace("src=\"/", &format!("src=\"{base}"))
        .replace("href=\"/", &format!("href=\"{base}"));
    html.replacen(
        "<head>",
        &format!("<head>\n    <base href=\"{base}\" />"),
        1,
    )
}

/// An embedded file's bytes as built (not precompressed); `None` when absent.
pub fn raw(path: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
    Dist::get(path).map(|f| f.data)
}

/// The bundle's version: a digest of every embedded file's digest (so any change of the
/// frontend changes it), plus `tag` (`CONVOS_RELOAD_TAG`) when set. Computed once.
pub fn version(tag: Option<&str>) -> String {
    static DIGEST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let digest = DIGEST.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut names: Vec<_> = Dist::iter().collect();
        names.sort();
        let mut h = Sha256::new();
        for name in names {
            if let Some(f) = Dist::get(&name) {
                h.update(name.as_bytes());
                h.update(f.metadata.sha256_hash());
            }
        }
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    });
    match tag {
        Some(t) if !t.is_empty() => format!("{digest}-{t}"),
        _ => digest.clone(),
    }
}

/// What the service worker stores for offline use, relative to the base path: `""`
/// (index.html), the hashed assets and the icons. (Not the manifest: it carries the
/// organisation's name, which may change without a new bundle.)
pub fn shell() -> Vec<String> {
    let mut out = vec![String::new()];
    let mut files: Vec<String> = Dist::iter()
        .map(|n| n.into_owned())
        .filter(|n| !n.ends_with(".gz") && !n.ends_with(".br") && n != "index.html" && n != "sw.js")
        .collect();
    files.sort();
    out.extend(files);
    out
}

/// A file under `/assets/` or another top-level static file (favicon); `None` when absent.
pub fn file(path: &str, headers: &HeaderMap) -> Option<Response> {
    let path = path.trim_start_matches('/');
    if path.is_empty()
        || path.ends_with(".gz")
        || path.ends_with(".br")
        || path == "index.html"
        || path == "sw.js"
    {
        return None;
    }
    let file = Dist::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let cache = if path.starts_with("assets/") {
        HeaderValue::from_static(IMMUTABLE)
    } else {
        HeaderValue::from_static("public, max-age=3600")
    };
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut body = file.data;
    let mut encoding = None;
    for (name, ext) in [("br", "br"), ("gzip", "gz")] {
        if accepts(accept, name) {
            if let Some(c) = Dist::get(&format!("{path}.{ext}")) {
                body = c.data;
                encoding = Some(name);
                break;
            }
        }
    }
    let mut res = Response::new(Body::from(body.into_owned()));
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, cache);
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(enc) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    Some(res)
}

/// Whether an `Accept-Encoding` value accepts `coding` (q=0 refuses it).
fn accepts(header_value: &str, coding: &str) -> bool {
    header_value.split(',').any(|item| {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        name.eq_ignore_ascii_case(coding) && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::{accepts, rebase};

    #[test]
    fn index_under_a_sub_path() {
        let html = "<html><head><link rel=\"icon\" href=\"/favicon.svg\" />\
                    <script src=\"/assets/a.js\"></script><a href=\"https://x/\">";
        let out = rebase(html, "/chat/");
        assert!(
            out.starts_with("<html><head>\n    <base href=\"/chat/\" />"),
            "{out}"
        );
        assert!(out.contains("href=\"/chat/favicon.svg\""));
        assert!(out.contains("src=\"/chat/assets/a.js\""));
        assert!(out.contains("href=\"https://x/\""));
    }

    #[test]
    fn accept_encoding() {
        assert!(accepts("gzip, deflate, br", "br"));
        assert!(accepts("gzip;q=0.5", "gzip"));
        assert!(!accepts("gzip;q=0", "gzip"));
        assert!(!accepts("identity", "gzip"));
        assert!(!accepts("", "br"));
    }
}
