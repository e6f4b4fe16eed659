//! Uploads: `POST /api/files` (the body is the file), `GET /api/files` (mine),
//! `DELETE /api/file/{id}` (mine), and the public links `GET /file/{id}`,
//! `GET /file/{id}/thumbnail` and `GET /paste/{id}` (a text file with line numbers), which
//! work without logging in so that the people a link is sent to on IRC can open it.
//!
//! Served files never run as documents on our origin: `Content-Security-Policy: sandbox`
//! on all of them, `nosniff`, and `attachment` for anything but images, video, audio and
//! plain text (see [`crate::files::kind`]).

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use tower::ServiceExt as _;

use super::session::Session;
use super::{AppState, Error};
use crate::files::{self, kind};
use crate::store::StoredFile;
use crate::wire;

/// Served files may not script, frame, or load anything but themselves.
const FILE_CSP: &str =
    "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'";

/// `/api` routes of uploads. The router mounts them outside the API's 1 MiB body limit:
/// [`files::Files::save`] cuts the stream at the upload limit itself, with a clear error.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/api/files", get(list).post(upload))
}

/// The other routes (under the API's default body limit).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/file/{id}", delete(remove))
        .route("/file/{id}", get(serve))
        .route("/file/{id}/thumbnail", get(thumbnail))
        .route("/paste/{id}", get(paste))
}

#[derive(Debug, Deserialize)]
struct UploadQuery {
    #[serde(default)]
    name: String,
}

/// The file's API object; links start at the base URL browsers and IRC users use.
fn view(f: &StoredFile, headers: &HeaderMap, state: &AppState) -> wire::File {
    let base = super::origin::base_url(headers, None, &state.config)
        .map(|u| u.to_string())
        .unwrap_or_else(|| "/".into());
    let base = base.trim_end_matches('/');
    let url = format!("{base}/file/{}", f.id);
    wire::File {
        thumbnail_url: f.thumbnail.then(|| format!("{url}/thumbnail")),
        paste_url: (f.content_type == "text/plain").then(|| format!("{base}/paste/{}", f.id)),
        id: f.id.clone(),
        name: f.name.clone(),
        size: f.size,
        content_type: f.content_type.clone(),
        created: crate::time::format_ms(f.created_at),
        url,
    }
}

async fn upload(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> Result<Json<wire::File>, Error> {
    let headers = req.headers().clone();
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let up = files::Upload {
        user: s.user.id,
        name: q.name,
        length,
    };
    let mut body = req.into_body().into_data_stream();
    let saved = match state.files.save(&state.store, up, &mut body).await {
        Ok(saved) => saved,
        Err(e) => {
            if matches!(
                e,
                files::Error::TooLarge(_) | files::Error::Quota { .. } | files::Error::Count(_)
            ) {
                drain(&mut body, length, state.files.limits.max_file).await;
            }
            return Err(e.into());
        }
    };
    tracing::info!(user = %s.user.id, id = %saved.id, size = saved.size, "file uploaded");
    Ok(Json(view(&saved, &headers, &state)))
}

/// Reads and drops the rest of a refused upload (a "lingering close"): a server that
/// closes with unread data resets the connection, and the browser, still sending, would
/// lose the answer that says why. Bounded: a declared size far past the limit, more than
/// 32 MiB or 5 s, and the connection is just closed.
async fn drain<S, E>(body: &mut S, length: Option<u64>, max_file: u64)
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
{
    use futures_util::StreamExt;
    const MAX: u64 = 32 * 1024 * 1024;
    if length.is_some_and(|n| n > max_file.saturating_add(MAX)) {
        return;
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut read = 0u64;
        while let Some(Ok(chunk)) = body.next().await {
            read += chunk.len() as u64;
            if read > MAX {
                break;
            }
        }
    })
    .await;
}

async fn list(
    State(state): State<AppState>,
    s: Session,
    headers: HeaderMap,
) -> Result<Json<wire::FileList>, Error> {
    let (files, used) = state.store.files_of(s.user.id).await?;
    Ok(Json(wire::FileList {
        files: files.iter().map(|f| view(f, &headers, &state)).collect(),
        used,
        quota: state.files.limits.quota,
        max_file_size: state.files.limits.max_file,
    }))
}

async fn remove(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> Result<Json<wire::Empty>, Error> {
    if !files::valid_id(&id) || !state.files.delete(&state.store, s.user.id, &id).await? {
        return Err(Error::not_found("/id"));
    }
    Ok(Json(wire::Empty {}))
}

/// The file, to anyone with its link.
async fn serve(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let Some(f) = find(&state, &id).await else {
        return not_found();
    };
    let (content_type, inline) = kind::serving(&f.content_type);
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        percent_encoding::utf8_percent_encode(&f.name, percent_encoding::NON_ALPHANUMERIC)
    );
    send(state.files.path(&f.sha256), content_type, &disposition, req).await
}

/// The thumbnail of an image file.
async fn thumbnail(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let Some(f) = find(&state, &id).await else {
        return not_found();
    };
    if !f.thumbnail {
        // A file that is not an image: nothing to show, and no error either (the chat asks
        // for the thumbnail of every file link; a 404 would be an error in every console).
        return StatusCode::NO_CONTENT.into_response();
    }
    let path = state.files.thumbnail_path(&f.sha256);
    // We wrote it: PNG (transparency) or JPEG.
    let png = tokio::fs::read(&path)
        .await
        .is_ok_and(|b| b.starts_with(b"\x89PNG"));
    let content_type = if png { "image/png" } else { "image/jpeg" };
    send(path, content_type, "inline", req).await
}

/// The most of a paste shown on its page; the rest is in the raw file.
const PASTE_SHOWN: u64 = 1024 * 1024;

/// A plain text file as a page with line numbers. The text is escaped, and the page's CSP
/// forbids every script anyway (`sandbox` without `allow-scripts`).
async fn paste(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(f) = find(&state, &id)
        .await
        .filter(|f| f.content_type == "text/plain")
    else {
        return not_found();
    };
    let path = state.files.path(&f.sha256);
    let bytes = match tokio::fs::File::open(&path).await {
        Ok(file) => {
            use tokio::io::AsyncReadExt as _;
            let mut buf = Vec::new();
            match file.take(PASTE_SHOWN).read_to_end(&mut buf).await {
                Ok(_) => buf,
                Err(_) => return not_found(),
            }
        }
        Err(_) => return not_found(),
    };
    let html = paste_page(&f, &String::from_utf8_lossy(&bytes));
    let mut res = (StatusCode::OK, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; style-src 'unsafe-inline'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    res
}

/// The page: the file's name, a link to the raw text, and one list item per line.
fn paste_page(f: &StoredFile, text: &str) -> String {
    let mut lines = String::with_capacity(text.len() + text.len() / 8);
    for line in text.trim_end_matches('\n').split('\n') {
        lines.push_str("<li><code>");
        lines.push_str(&escape(line.trim_end_matches('\r')));
        lines.push_str("</code></li>\n");
    }
    let more = if f.size > PASTE_SHOWN {
        "<p>Only the first megabyte is shown: open the raw text for the rest.</p>"
    } else {
        ""
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{name}</title>\
<style>body{{margin:0;font:14px/1.45 ui-monospace,monospace;color:#1d1d1f;background:#fff}}\
header{{padding:.6rem 1rem;border-bottom:1px solid #ddd;font-family:system-ui,sans-serif}}\
ol{{margin:0;padding:.5rem 0 .5rem 4.5em}}li{{padding-left:.75em;color:#888}}\
code{{color:#1d1d1f;white-space:pre-wrap;overflow-wrap:anywhere}}\
@media (prefers-color-scheme:dark){{body,code{{background:#16161a;color:#e8e8ea}}header{{border-color:#333}}a{{color:#8ab4f8}}}}</style>\
</head><body><header>{name} · <a href=\"../file/{id}\">raw</a></header>{more}<ol>\n{lines}</ol></body></html>",
        name = escape(&f.name),
        id = f.id,
    )
}

/// HTML-escapes text for element content and quoted attributes. Five characters do not
/// warrant a crate; the page's CSP stops scripts even if something slipped through.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

async fn find(state: &AppState, id: &str) -> Option<StoredFile> {
    if !files::valid_id(id) {
        return None;
    }
    match state.store.file(id).await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "file: cannot look up");
            None
        }
    }
}

fn not_found() -> Response {
    let mut res = (StatusCode::NOT_FOUND, "Not found.").into_response();
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FILE_CSP),
    );
    res
}

/// Serves `path` (with ranges, for video) under our headers.
async fn send(
    path: std::path::PathBuf,
    content_type: &str,
    disposition: &str,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let req = Request::from_parts(parts, Body::empty());
    let Ok(res) = tower_http::services::ServeFile::new(path)
        .oneshot(req)
        .await;
    let mut res = res.map(Body::new);
    if res.status() == StatusCode::NOT_FOUND {
        return not_found();
    }
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FILE_CSP),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    res
}
