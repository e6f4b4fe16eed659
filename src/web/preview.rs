//! Link previews for logged-in users: `GET /api/preview?url=` (what a link is, as text)
//! and `GET /api/preview/image?url=&sig=` (the image proxy: only URLs the daemon signed,
//! fetched by the daemon so the sender's server never sees the user's address), and
//! `GET /api/preview/video?url=&sig=`, the same for a video link, streamed with ranges.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::session::Session;
use super::{AppState, Error};
use crate::preview;
use crate::wire;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/preview", get(link))
        .route("/preview/image", get(image))
        .route("/preview/video", get(video))
}

#[derive(Debug, Deserialize)]
struct LinkQuery {
    url: String,
}

async fn link(
    State(state): State<AppState>,
    _: Session,
    Query(q): Query<LinkQuery>,
) -> Result<Json<wire::LinkPreview>, Error> {
    // No preview is an answer, not an error (the browser logs failed requests).
    let none = || {
        Json(wire::LinkPreview {
            url: q.url.clone(),
            kind: "none".into(),
            title: None,
            description: None,
            site_name: None,
            image_url: None,
            video_url: None,
        })
    };
    let Some(previews) = &state.previews else {
        return Ok(none());
    };
    let p = match previews.get(&q.url).await {
        Ok(p) => p,
        Err(preview::Error::NotHttp) => {
            return Err(Error::new(
                StatusCode::BAD_REQUEST,
                "Not an http(s) link.",
                "/url",
            ))
        }
        Err(_) => return Ok(none()),
    };
    let proxied = |path: &str, u: url::Url| {
        let u = u.to_string();
        format!(
            "/api/preview/{path}?url={}&sig={}",
            percent_encoding::utf8_percent_encode(&u, percent_encoding::NON_ALPHANUMERIC),
            previews.sign(&u)
        )
    };
    let image_url = p.image.map(|u| proxied("image", u));
    let video_url = p.video.map(|u| proxied("video", u));
    Ok(Json(wire::LinkPreview {
        url: p.url,
        kind: p.kind.to_string(),
        title: p.title,
        description: p.description,
        site_name: p.site_name,
        image_url,
        video_url,
    }))
}

#[derive(Debug, Deserialize)]
struct ImageQuery {
    url: String,
    sig: String,
}

async fn image(
    State(state): State<AppState>,
    _: Session,
    Query(q): Query<ImageQuery>,
) -> Result<Response, Error> {
    let Some(previews) = &state.previews else {
        return Err(Error::not_found("/url"));
    };
    let (ctype, body) = previews.image(&q.url, &q.sig).await.map_err(|e| match e {
        preview::Error::Signature => Error::new(StatusCode::FORBIDDEN, "Bad signature.", "/sig"),
        other => Error::new(StatusCode::NOT_FOUND, format!("No image: {other}."), "/url"),
    })?;
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(res)
}

/// One `bytes=` range as browsers ask for media (`bytes=0-`, `bytes=100-199`); anything
/// else is not passed on.
fn media_range(h: &HeaderMap) -> Option<&HeaderValue> {
    let v = h.get(header::RANGE)?;
    let (start, end) = v.to_str().ok()?.strip_prefix("bytes=")?.split_once('-')?;
    let digits = |s: &str| s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    (!start.is_empty() && digits(start) && digits(end)).then_some(v)
}

async fn video(
    State(state): State<AppState>,
    _: Session,
    headers: HeaderMap,
    Query(q): Query<ImageQuery>,
) -> Result<Response, Error> {
    let Some(previews) = &state.previews else {
        return Err(Error::not_found("/url"));
    };
    let res = previews
        .video(&q.url, &q.sig, media_range(&headers))
        .await
        .map_err(|e| match e {
            preview::Error::Signature => {
                Error::new(StatusCode::FORBIDDEN, "Bad signature.", "/sig")
            }
            preview::Error::Busy => Error::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many videos are playing; try again soon.",
                "/url",
            ),
            other => Error::new(StatusCode::NOT_FOUND, format!("No video: {other}."), "/url"),
        })?;
    let status = StatusCode::from_u16(res.status).unwrap_or(StatusCode::OK);
    let mut out = Response::new(axum::body::Body::from_stream(res.body));
    *out.status_mut() = status;
    let h = out.headers_mut();
    // `accept` let only the playable types through: sent as the type they claim.
    if let Ok(v) = HeaderValue::from_str(&res.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Some(n) = res.length {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    if let Some(r) = res
        .content_range
        .filter(|_| status == StatusCode::PARTIAL_CONTENT)
    {
        h.insert(header::CONTENT_RANGE, r);
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(out)
}
